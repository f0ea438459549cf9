"""Training: the loss goes down, runs resume exactly, interruptions and bad data keep the last checkpoint."""

from __future__ import annotations

import json
import threading

import pytest
import torch

from vae.checkpoint import load, read_checkpoint
from vae.config import ModelConfig, TrainConfig
from vae.stopping import StopFlag, TrainingError, TrainingInterrupted
from vae.train import main
from vae.training import fit


def _weights(path):
    from safetensors.torch import load_file

    return load_file(path / "training_state.safetensors")


def test_fit_lowers_the_loss_and_records_history(tmp_path, tiny_vae_config, mnist_small):
    record = fit(
        tiny_vae_config, TrainConfig(epochs=3, batch_size=64), tmp_path / "run", data=mnist_small, progress=False
    )
    losses = [entry["valid_loss"] for entry in record.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert record.progress["finished"] and record.progress["stop_reason"] == "completed all epochs"
    assert load(tmp_path / "run").config == tiny_vae_config


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path, tiny_vae_config, mnist_small):
    config = TrainConfig(epochs=3, batch_size=64, warmup_epochs=2, seed=3)
    fit(tiny_vae_config, config, tmp_path / "straight", data=mnist_small, progress=False)

    stop = StopFlag()

    def interrupt_after_epoch_2(entry):
        if entry["epoch"] == 2:
            stop.set("test")

    with pytest.raises(TrainingInterrupted, match="holds epoch 2"):
        fit(
            tiny_vae_config,
            config,
            tmp_path / "split",
            data=mnist_small,
            progress=False,
            on_epoch=interrupt_after_epoch_2,
            stop=stop,
        )
    assert read_checkpoint(tmp_path / "split").progress["epoch"] == 2
    record = fit(tiny_vae_config, config, tmp_path / "split", data=mnist_small, progress=False, resume=True)
    assert [e["epoch"] for e in record.history] == [1, 2, 3]
    straight, split = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert straight.keys() == split.keys()
    for key in straight:
        assert torch.equal(straight[key], split[key]), key


def test_nan_in_the_data_stops_with_a_clear_message(tmp_path, tiny_vae_config, mnist_small):
    train_x, train_y, valid_x, valid_y = (t.clone() for t in mnist_small)
    train_x[17, 0, 5, 5] = float("nan")
    with pytest.raises(TrainingError, match=r"NaN or infinite pixels .* image 17"):
        fit(
            tiny_vae_config,
            TrainConfig(epochs=1),
            tmp_path / "run",
            data=(train_x, train_y, valid_x, valid_y),
            progress=False,
        )


def test_a_diverging_loss_keeps_the_last_good_checkpoint(tmp_path, tiny_vae_config, mnist_small, monkeypatch):
    from safetensors.torch import load_file

    config = TrainConfig(epochs=3, batch_size=256)
    fit(tiny_vae_config, TrainConfig(epochs=1, batch_size=256), tmp_path / "run", data=mnist_small, progress=False)
    epoch_1 = load_file(tmp_path / "run" / "model.safetensors")
    import vae.training as train_module

    real = train_module._batch_terms

    def poisoned(*args, **kwargs):
        terms = real(*args, **kwargs)
        terms.loss = terms.loss * float("nan")
        return terms

    monkeypatch.setattr(train_module, "_batch_terms", poisoned)
    with pytest.raises(TrainingError, match="the loss became nan at epoch 2, batch 1; stopped, epoch 1 is kept"):
        fit(tiny_vae_config, config, tmp_path / "run", data=mnist_small, progress=False, resume=True)
    assert read_checkpoint(tmp_path / "run").progress["epoch"] == 1
    kept = load(tmp_path / "run").state_dict()  # the epoch-1 weights, untouched by the diverged epoch 2
    assert kept.keys() == epoch_1.keys()
    for key in kept:
        assert torch.equal(kept[key], epoch_1[key]), key


def test_early_stopping_and_the_best_weights(tmp_path, mnist_small):
    # lr so high the validation loss stops improving: patience 1 must stop the run early.
    config = ModelConfig(kind="ae", latent_dim=2, hidden=(16,))
    record = fit(config, TrainConfig(epochs=30, lr=0.5, patience=1), tmp_path / "run", data=mnist_small, progress=False)
    assert len(record.history) < 30 and record.progress["stop_reason"].startswith("early stopping")
    best = min(record.history, key=lambda e: e["valid_loss"])
    assert record.progress["best_epoch"] == best["epoch"]


def test_classifier_trains(tmp_path, mnist_small):
    config = ModelConfig(kind="classifier", hidden=(32,), channels=(8, 16))
    record = fit(
        config, TrainConfig(epochs=2, batch_size=64, lr=3e-3), tmp_path / "clf", data=mnist_small, progress=False
    )
    assert record.history[-1]["valid_error_rate"] < 0.35


def test_cli_trains_and_refuses_bad_arguments(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["--kind", "ae", "--latent-dim", "2", "--hidden", "16", "--epochs", "1", "--train-limit", "500"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    assert read_checkpoint(out).info["command"].startswith("python -m vae.train --kind ae")
    assert main(["--latent-dim", "0", "--out", str(tmp_path / "bad")]) == 2
    assert "latent_dim must be a whole number from 1 to 4096, got 0" in capsys.readouterr().err
    assert main(["--resume", "--out", str(tmp_path / "nothing")]) == 2


def test_epoch_records_carry_what_a_live_page_needs(tmp_path, tiny_vae_config, mnist_small):
    received = []
    record = fit(
        tiny_vae_config,
        TrainConfig(epochs=2, batch_size=64, warmup_epochs=2),
        tmp_path / "run",
        data=mnist_small,
        progress=False,
        on_epoch=received.append,
    )
    assert received == record.history == read_checkpoint(tmp_path / "run").history
    assert json.loads(json.dumps(received)) == received  # plain values: a child process can send them as they are
    for entry in received:
        assert entry.keys() >= REQUIRED_KEYS, REQUIRED_KEYS - entry.keys()
        assert entry["train_neg_elbo"] == pytest.approx(entry["train_reconstruction"] + entry["train_kl"])
        assert entry["valid_neg_elbo"] == entry["valid_loss"]
        assert len(entry["valid_kl_per_dim"]) == tiny_vae_config.latent_dim
        assert sum(entry["valid_kl_per_dim"]) == pytest.approx(entry["valid_kl"], abs=1e-3)
        assert entry["elapsed_seconds"] >= entry["seconds"] > 0
    assert received[0]["beta"] == 0.5 and received[1]["beta"] == 1.0  # the warm-up: train_loss is beta-weighted
    assert received[0]["train_loss"] < received[0]["train_neg_elbo"]
    assert received[1]["elapsed_seconds"] > received[0]["elapsed_seconds"]


REQUIRED_KEYS = {
    "epoch",
    "beta",
    "train_loss",
    "train_neg_elbo",
    "train_reconstruction",
    "train_kl",
    "valid_loss",
    "valid_neg_elbo",
    "valid_reconstruction",
    "valid_kl",
    "valid_kl_per_dim",
    "seconds",
    "images_per_second",
    "elapsed_seconds",
}


def test_a_stop_from_another_thread_ends_the_run_after_the_batch_in_flight(
    tmp_path, tiny_vae_config, mnist_small, monkeypatch
):
    import vae.training as training

    stop, steps, real = StopFlag(), [], training._batch_terms
    stop_at = 1024 // 64 + 3  # the third batch of epoch 2

    def batch_terms(model, x, y, beta, step=None):
        if model.training:
            steps.append(len(x))
            if len(steps) == stop_at:  # as a page's stop button would: from another thread, mid-epoch
                setter = threading.Thread(target=stop.set, args=("the stop button",))
                setter.start()
                setter.join()
        return real(model, x, y, beta, step)

    monkeypatch.setattr(training, "_batch_terms", batch_terms)
    with pytest.raises(TrainingInterrupted, match=r"stopped by the stop button during epoch 2; .* holds epoch 1"):
        fit(
            tiny_vae_config,
            TrainConfig(epochs=3, batch_size=64),
            tmp_path / "run",
            data=mnist_small,
            progress=False,
            stop=stop,
        )
    assert len(steps) == stop_at  # the batch in flight finished; no further batch started
    saved = read_checkpoint(tmp_path / "run")
    assert saved.progress["epoch"] == 1 and [e["epoch"] for e in saved.history] == [1]
