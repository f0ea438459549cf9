"""Checkpoint round trips, and one clear error for each way a checkpoint folder can be broken."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch

from vae.checkpoint import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    Checkpoint,
    CheckpointError,
    load,
    read_checkpoint,
    save_checkpoint,
    scan_checkpoints,
    update_metrics,
)
from vae.config import ModelConfig, TrainConfig
from vae.models import build_model


@pytest.fixture
def saved(tmp_path, tiny_vae_config):
    torch.manual_seed(0)
    model = build_model(tiny_vae_config).eval()
    record = Checkpoint(
        path=tmp_path / "ckpt",
        model=tiny_vae_config,
        training=TrainConfig(epochs=3),
        dataset={"name": "mnist"},
        metrics={"test_neg_elbo": 123.0},
        history=[{"epoch": 1, "train_loss": 200.0}],
    )
    save_checkpoint(tmp_path / "ckpt", model, record)
    return tmp_path / "ckpt", model


@pytest.mark.parametrize("kind", ["ae", "vae", "classifier"])
def test_round_trip_gives_identical_outputs(tmp_path, kind):
    config = ModelConfig(kind=kind, latent_dim=3, hidden=(16,), channels=(4, 8))
    torch.manual_seed(1)
    model = build_model(config).eval()
    save_checkpoint(tmp_path / kind, model)
    loaded = load(tmp_path / kind)
    assert not loaded.training
    assert loaded.config == config
    x = torch.rand(4, 1, 28, 28)
    with torch.inference_mode():
        if kind == "classifier":
            assert torch.equal(model(x), loaded(x))
        else:
            assert torch.equal(model.reconstruct(x), loaded.reconstruct(x))


def test_config_json_holds_everything(saved):
    path, _ = saved
    data = json.loads((path / CONFIG_FILE).read_text())
    assert data["format_version"] == 1
    assert data["model"]["latent_dim"] == 4 and data["training"]["epochs"] == 3
    assert data["metrics"] == {"test_neg_elbo": 123.0} and data["history"][0]["epoch"] == 1
    assert data["torch_version"] == torch.__version__ and "created" in data
    assert not (path / "training_state.safetensors").exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt"]  # no temporary folders left


def test_update_metrics_keeps_the_weights(saved):
    path, _ = saved
    before = (path / WEIGHTS_FILE).read_bytes()
    update_metrics(path, {"active_units": 3})
    assert read_checkpoint(path).metrics == {"test_neg_elbo": 123.0, "active_units": 3}
    assert (path / WEIGHTS_FILE).read_bytes() == before


def _break(path, how):
    weights, config = path / WEIGHTS_FILE, path / CONFIG_FILE
    if how == "missing weights":
        weights.unlink()
    elif how == "missing config":
        config.unlink()
    elif how == "truncated weights":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 2])
    elif how == "garbage weights":
        weights.write_bytes(b"\x00" * 64)
    elif how == "pickle as weights":
        weights.write_bytes(pickle.dumps({"weight": [1, 2, 3]}))
    elif how == "shape mismatch":
        data = json.loads(config.read_text())
        data["model"]["hidden"] = [48]
        config.write_text(json.dumps(data))
    elif how == "unknown version":
        data = json.loads(config.read_text())
        data["format_version"] = 99
        config.write_text(json.dumps(data))
    elif how == "invalid json":
        config.write_text('{"format_version": 1, "model": ')
    elif how == "invalid model config":
        data = json.loads(config.read_text())
        data["model"]["kind"] = "diffusion"
        config.write_text(json.dumps(data))
    elif how == "deep json":  # issue 36: json.loads raised RecursionError, which no page caught
        config.write_text("[" * 100_000 + "]" * 100_000)
    elif how == "long number":  # json.loads raised ValueError (Python's limit on integer digits)
        config.write_text('{"format_version": ' + "9" * 5000 + "}")
    elif how == "deep model value":  # parses, then the model config's message would print it
        data = json.loads(config.read_text())
        config.write_text(json.dumps({**data, "model": {**data["model"], "hidden": json.loads("[" * 900 + "]" * 900)}}))
    elif how == "nan weights":
        from safetensors.torch import load_file, save_file

        tensors = load_file(weights)
        first = sorted(tensors)[0]
        tensors[first] = torch.full_like(tensors[first], float("nan"))
        save_file(tensors, weights)


@pytest.mark.parametrize(
    "how, words",
    [
        ("missing weights", r"model\.safetensors: missing"),
        ("missing config", r"config\.json: missing"),
        ("truncated weights", r"model\.safetensors: truncated or corrupt"),
        ("garbage weights", r"model\.safetensors: truncated or corrupt"),
        ("pickle as weights", r"model\.safetensors: truncated or corrupt"),
        ("shape mismatch", r"model\.safetensors: does not match config\.json: wrong shapes"),
        ("unknown version", r"config\.json: unknown format version 99"),
        ("invalid json", r"config\.json: not valid JSON"),
        ("deep json", r"config\.json: not valid JSON \(nested too deeply\)"),
        ("long number", r"config\.json: not valid JSON \(a number with too many digits\)"),
        ("deep model value", r"config\.json: (hidden must be|a value is nested too deeply)"),
        ("invalid model config", r"config\.json: model kind must be one of"),
        ("nan weights", r"model\.safetensors: tensor .* NaN"),
    ],
)
def test_each_broken_checkpoint_gives_its_clear_error(saved, how, words):
    path, _ = saved
    _break(path, how)
    with pytest.raises(CheckpointError, match=words):
        load(path)


def test_scan_lists_broken_folders_beside_good_ones(tmp_path, tiny_vae_config):
    model = build_model(tiny_vae_config)
    for name in ("good", "bad"):
        save_checkpoint(tmp_path / name, model)
    _break(tmp_path / "bad", "truncated weights")
    (tmp_path / "empty").mkdir()
    results = dict(scan_checkpoints(tmp_path))
    assert isinstance(results[tmp_path / "good"], Checkpoint)
    assert isinstance(results[tmp_path / "bad"], CheckpointError)
    assert "config.json: missing" in str(results[tmp_path / "empty"])


def test_a_half_finished_swap_is_recovered(saved):
    # A writer killed between its two renames leaves only .NAME.old: the next read restores it.
    path, model = saved
    os.rename(path, path.parent / f".{path.name}.old")
    loaded = load(path)
    assert path.is_dir()
    assert torch.equal(next(iter(loaded.state_dict().values())), next(iter(model.state_dict().values())))


def test_a_reader_waits_for_a_live_writer_between_its_renames(saved):
    # A writer (this process: its PID is alive) has moved the folder aside and not yet put the new one in
    # place. The reader must not restore the old folder under it, but wait for the swap to finish.
    import threading
    import time

    path, _ = saved
    old, staging = path.parent / f".{path.name}.old", path.parent / f".{path.name}.tmp-{os.getpid()}"
    os.rename(path, old)
    staging.mkdir()

    def finish_the_swap():
        time.sleep(0.2)
        os.rename(old, path)  # stands in for the writer's second rename
        staging.rmdir()

    writer = threading.Thread(target=finish_the_swap)
    writer.start()
    try:
        assert read_checkpoint(path).model.latent_dim == 4
        assert not old.exists()
    finally:
        writer.join()
