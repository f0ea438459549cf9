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


# --------------------------------------------------------------------------------------------------------
# Checkpoints describe their data (label names, preparation, size, hash) and still name their labels when old


def test_fit_records_what_data_the_model_saw(tmp_path, tiny_vae_config, mnist_small):
    import hashlib

    from vae.training import fit

    record = fit(tiny_vae_config, TrainConfig(epochs=1, batch_size=256), tmp_path / "run", data=mnist_small)
    stored = json.loads((tmp_path / "run" / CONFIG_FILE).read_text())["dataset"]
    train_x, train_y = mnist_small[0], mnist_small[1]
    expected = hashlib.sha256(train_x.numpy().tobytes() + train_y.numpy().tobytes()).hexdigest()
    assert stored["data_hash"] == f"sha256:{expected}" and record.dataset == stored
    assert stored["label_names"] == [str(d) for d in range(10)] and stored["preparation"] == "original"
    assert (stored["image_size"], stored["channels"], stored["train_size"]) == ([28, 28], 1, 1024)


def test_the_data_hash_changes_with_one_pixel(mnist_small):
    from vae.data import dataset_record

    x, y = mnist_small[0][:64].clone(), mnist_small[1][:64]
    before = dataset_record("mnist", x, y)["data_hash"]
    assert dataset_record("mnist", x.clone(), y.clone())["data_hash"] == before
    x[5, 0, 14, 14] += 1 / 255
    assert dataset_record("mnist", x, y)["data_hash"] != before
    assert dataset_record("fashion-mnist", x, y)["label_names"][9] == "Ankle boot"


def _without_new_fields(path, dataset):
    """Rewrite a checkpoint's config.json as older versions wrote it: the dataset's name and sizes only."""
    data = json.loads((path / CONFIG_FILE).read_text())
    data["dataset"] = dataset
    (path / CONFIG_FILE).write_text(json.dumps(data))


def test_an_old_checkpoint_still_loads_and_names_its_labels(saved, tmp_path):
    from vae.checkpoint import label_names

    path, _ = saved
    _without_new_fields(path, {"name": "mnist", "train_size": 50000, "valid_size": 10000})
    assert load(path).checkpoint.dataset == {"name": "mnist", "train_size": 50000, "valid_size": 10000}
    assert label_names(read_checkpoint(path)) == tuple(str(d) for d in range(10))
    _without_new_fields(path, {"name": "kmnist"})
    assert label_names(read_checkpoint(path))[:3] == ("o", "ki", "su")
    _without_new_fields(path, {"name": str(tmp_path / "datasets" / "gone-0123456789ab")})
    assert label_names(read_checkpoint(path)) == tuple(f"class {i}" for i in range(10))  # the config's num_classes
    assert label_names(read_checkpoint(path), count=3) == ("class 0", "class 1", "class 2")
    _without_new_fields(path, {})
    assert label_names(read_checkpoint(path)) == tuple(str(d) for d in range(10))  # trained on TrainConfig's mnist


def test_recorded_names_win_and_an_empty_list_means_no_labels(saved):
    from vae.checkpoint import label_names

    path, _ = saved
    _without_new_fields(path, {"name": "/nowhere", "label_names": ["cats", "dogs"]})
    assert label_names(read_checkpoint(path)) == ("cats", "dogs")
    _without_new_fields(path, {"name": "/nowhere", "label_names": []})
    assert label_names(read_checkpoint(path)) == ()


@pytest.mark.parametrize("name", ["vae-z2", "ae-z16", "classifier"])
def test_the_shipped_checkpoints_name_the_digits(name):
    from conftest import REPO

    from vae.checkpoint import label_names

    checkpoint = read_checkpoint(REPO / "checkpoints" / name)
    assert label_names(checkpoint) == tuple(str(d) for d in range(10))
