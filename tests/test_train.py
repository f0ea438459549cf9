"""Training: the loss goes down, runs resume exactly, interruptions and bad data keep the last checkpoint."""

from __future__ import annotations

import pytest
import torch

from vae.checkpoint import load, read_checkpoint
from vae.config import ModelConfig, TrainConfig
from vae.train import StopFlag, TrainingError, TrainingInterrupted, fit, main


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
    config = TrainConfig(epochs=3, batch_size=256)
    fit(tiny_vae_config, TrainConfig(epochs=1, batch_size=256), tmp_path / "run", data=mnist_small, progress=False)
    import vae.train as train_module

    real = train_module._batch_terms

    def poisoned(model, x, y, beta):
        terms = real(model, x, y, beta)
        terms.loss = terms.loss * float("nan")
        return terms

    monkeypatch.setattr(train_module, "_batch_terms", poisoned)
    with pytest.raises(TrainingError, match="the loss became nan at epoch 2, batch 1; stopped, epoch 1 is kept"):
        fit(tiny_vae_config, config, tmp_path / "run", data=mnist_small, progress=False, resume=True)
    assert read_checkpoint(tmp_path / "run").progress["epoch"] == 1
    assert load(tmp_path / "run") is not None


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
    assert "latent_dim must be a positive integer" in capsys.readouterr().err
    assert main(["--resume", "--out", str(tmp_path / "nothing")]) == 2
