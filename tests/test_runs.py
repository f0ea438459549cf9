"""Training runs started from the app (explorer.train.runs + explorer.train.run_worker), on tiny models and
data slices.

Each job is real: a worker process in its own session runs `python -m vae.train` (or a fault-injecting copy
of it, tests/_blocking_train.py and tests/_nan_train.py), so what is tested is what the Train page starts.
Mid-epoch moments are reached deterministically: the blocking trainer holds still inside a known training
step until the test has sent its signal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from explorer.shared import model_catalog
from explorer.shared.state import user_run_widget_key
from explorer.train import run_records, run_view, runs
from explorer.train.run_records import RunSpec
from vae.checkpoint import Checkpoint, load, read_checkpoint
from vae.config import ModelConfig

REPO = Path(__file__).resolve().parent.parent
LIMIT, BATCH = 512, 128  # 4 training steps per epoch
SPEC = RunSpec("vae", "mlp", 2, beta=1.0, epochs=1, max_minutes=0.0, train_limit=LIMIT, hidden=(16,), seed=3)
BLOCKING = (str(REPO / "tests" / "_blocking_train.py"),)
NAN = (str(REPO / "tests" / "_nan_train.py"),)


def _tensors(folder: Path) -> dict[str, torch.Tensor]:
    return {**load_file(folder / "model.safetensors"), **load_file(folder / "training_state.safetensors")}


def _assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert sorted(a) == sorted(b)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"tensors differ: {different}"


def _wait_for_log(root: Path, name: str, text: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in run_records.log_tail(root, name, 200):
            return
        if runs.read_lock(root) is None:
            break
        time.sleep(0.05)
    pytest.fail(f"never saw {text!r} in the run's log:\n{run_records.log_tail(root, name, 40)}")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for key in [k for k in os.environ if k.startswith(("TEST_", "VAE_SLOW_"))]:
        monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def cli_reference(tmp_path_factory) -> dict[str, torch.Tensor]:
    """One epoch of the same settings through the CLI, flags written out by hand (not through RunSpec)."""
    out = tmp_path_factory.mktemp("cli") / "run"
    args = ["--kind", "vae", "--arch", "mlp", "--latent-dim", "2", "--hidden", "16", "--beta", "1", "--epochs", "1"]
    args += ["--train-limit", str(LIMIT), "--batch-size", str(BATCH), "--seed", "3", "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "vae.train", *args, "--out", str(out)], cwd=REPO, env=env, check=True)
    return _tensors(out)


def test_app_run_gives_the_cli_weights(tmp_path, cli_reference):
    (name,) = runs.start([SPEC], tmp_path, evaluate=False)
    assert runs.wait(tmp_path, 120)
    status = run_records.read_status(tmp_path, name)
    assert (status.state, status.returncode, status.reason) == ("finished", 0, "completed all epochs")
    _assert_same_weights(_tensors(tmp_path / name), cli_reference)
    assert runs.usable_folders(tmp_path) == [tmp_path / name]


def test_stop_mid_epoch_keeps_the_previous_epoch_and_the_lock_refuses_a_second_run(
    tmp_path, cli_reference, monkeypatch
):
    monkeypatch.setenv("TEST_BLOCK_AT_STEP", "6")  # the second batch of epoch 2
    monkeypatch.setenv("TEST_RELEASE_FILE", str(tmp_path / "release"))
    spec = RunSpec(**{**SPEC.__dict__, "epochs": 3})
    first, queued = runs.start([spec, SPEC], tmp_path, evaluate=False, trainer=BLOCKING)
    _wait_for_log(tmp_path, first, "test-blocked-at-step 6")
    assert runs.active_run(tmp_path).name == first
    assert runs.usable_folders(tmp_path) == []  # a run in training is not offered to the pages
    with pytest.raises(runs.RunBusy, match="in progress"):
        runs.start([SPEC], tmp_path)

    assert runs.stop(tmp_path)
    (tmp_path / "release").touch()
    assert runs.wait(tmp_path, 60)
    status = run_records.read_status(tmp_path, first)
    assert status.state == "stopped" and status.returncode == 143
    assert "epoch 2" in status.reason and "epoch 1" in status.reason, status.reason
    assert run_records.read_status(tmp_path, queued).state == "cancelled"
    model = load(tmp_path / first)  # loadable, and holding exactly the first epoch's weights
    assert len(model.checkpoint.history) == 1
    _assert_same_weights(_tensors(tmp_path / first), cli_reference)


def test_non_finite_loss_is_reported_and_the_previous_epoch_kept(tmp_path, cli_reference, monkeypatch):
    monkeypatch.setenv("TEST_NAN_AT_STEP", "7")  # the third batch of epoch 2
    (name,) = runs.start([RunSpec(**{**SPEC.__dict__, "epochs": 3})], tmp_path, evaluate=False, trainer=NAN)
    assert runs.wait(tmp_path, 120)
    status = run_records.read_status(tmp_path, name)
    assert (status.state, status.returncode) == ("failed", 1)
    assert "loss became nan at epoch 2, batch 3" in status.reason and "epoch 1 is kept" in status.reason
    assert len(read_checkpoint(tmp_path / name).history) == 1
    _assert_same_weights(_tensors(tmp_path / name), cli_reference)


def test_a_crash_is_reported_with_its_last_words(tmp_path):
    crash = ("-c", "raise RuntimeError('the disk is on fire')")
    (name,) = runs.start([SPEC], tmp_path, evaluate=False, trainer=crash)
    assert runs.wait(tmp_path, 60)
    status = run_records.read_status(tmp_path, name)
    assert status.state == "failed" and status.returncode == 1
    assert "crashed (exit code 1)" in status.reason and "RuntimeError: the disk is on fire" in status.reason


def test_a_stale_lock_is_cleared_and_its_run_marked_failed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer exists (reaped)
    (tmp_path / run_records.STATUS).mkdir()
    run_records.update_status(tmp_path, "old", spec=SPEC.__dict__, state="running", created=1.0)
    (tmp_path / runs.LOCK).write_text(f'{{"pid": {dead.pid}, "runs": ["old"], "started": 1.0}}')
    assert runs.read_lock(tmp_path) is None  # nobody holds the flock: the description is a dead job's
    old = runs.scan(tmp_path).status("old")  # shown as it really is, before anyone writes it down
    assert old.state == "failed" and "without a report" in old.reason
    (name,) = runs.start([SPEC], tmp_path, evaluate=False, trainer=("-c", "pass"))  # the server is free again
    assert runs.wait(tmp_path, 60)
    assert run_records.read_status(tmp_path, name).state == "finished"
    old = run_records.read_status(tmp_path, "old")  # the start settled the dead job on disk
    assert old.state == "failed" and "without a report" in old.reason and old.ended is not None
    assert (tmp_path / runs.LOCK).read_text() == ""  # the finished worker cleared its description


def test_run_names_and_settings():
    when = time.mktime((2026, 1, 2, 3, 4, 5, 0, 0, -1))
    assert run_records.run_name(SPEC, when, set()) == "20260102-030405-vae-z2-b1"
    assert run_records.run_name(RunSpec("ae", "conv", 16), when, set()) == "20260102-030405-ae-conv-z16"
    assert run_records.run_name(SPEC, when, {"20260102-030405-vae-z2-b1"}) == "20260102-030405-vae-z2-b1-2"
    assert [s.beta for s in run_records.sweep_specs()] == [0.5, 1.0, 4.0]
    assert RunSpec(latent_dim=0, beta=-1).problems() == [
        "latent size must be between 1 and 64",
        "beta must be between 0 and 100",
    ]
    with pytest.raises(ValueError, match="latent size"):
        runs.start([RunSpec(latent_dim=0)], Path("/nonexistent"))


def _checkpoint(kind: str, dim: int, name: str, dataset: str = "mnist") -> Checkpoint:
    return Checkpoint(
        Path("runs") / name, ModelConfig(kind=kind, latent_dim=dim, hidden=(8,)), dataset={"name": dataset}
    )


def test_a_user_run_takes_the_slot_of_its_kind():
    shipped_ae, shipped_vae = _checkpoint("ae", 2, "ae-z2"), _checkpoint("vae", 2, "vae-z2")
    catalog = model_catalog.Catalog(root=Path("checkpoints"), pairs={2: model_catalog.Pair(2, shipped_ae, shipped_vae)})
    run, other = _checkpoint("vae", 2, "20260101-000000-vae-z2-b4"), _checkpoint("ae", 8, "20260101-000001-ae-z8")
    fashion = _checkpoint("vae", 4, "fashion", dataset="fashion-mnist")
    users = model_catalog.usable_user_runs([run, other, fashion])
    assert [c.name for c in users] == ["20260101-000001-ae-z8", "20260101-000000-vae-z2-b4"]
    assert model_catalog.latent_sizes(catalog, users) == [2, 8]
    assert model_catalog.pair_with_run(catalog, 2, run) == model_catalog.Pair(2, shipped_ae, run)
    assert model_catalog.pair_with_run(catalog, 8, other) == model_catalog.Pair(8, ae=other)
    assert model_catalog.pair_with_run(catalog, 2, None) == catalog.pairs[2]


def test_collapse_warning_and_progress():
    images = np.zeros((run_view.SHOWN, 28, 28), dtype=np.float32)
    shot = run_view.Snapshot(3, images, images, images, [2.1, 0.001, 0.002, 0.0], [0.9, 0.0, 0.001, 0.0], 1)
    assert "only 1 of 4" in run_view.collapse_warning("vae", shot)
    assert run_view.collapse_warning("ae", shot) is None
    healthy = run_view.Snapshot(3, images, images, images, [2.1, 1.5, 0.002, 0.0], [0.9, 0.8, 0.001, 0.0], 2)
    assert run_view.collapse_warning("vae", healthy) is None

    status = run_records.RunStatus("r", RunSpec(epochs=10, max_minutes=0), "running", started=100.0)
    record = Checkpoint(Path("r"), ModelConfig(), history=[{"images_per_second": 4000.0}] * 2)
    shown = run_view.progress(status, record, now=140.0)  # 2 epochs in 40 s: 8 more take 160 s
    assert (shown.epoch, shown.epochs, shown.images_per_second, shown.seconds_left) == (2, 10, 4000.0, 160.0)
    assert shown.text() == "epoch 2/10 · 4,000 images/s · about 2 min 40 s left"


def _train_page_when_done(root, timeout: float):
    """Once the runs under ``root`` have ended: a fresh session on the Train page, latent size 2, checked clean."""
    from conftest import assert_clean
    from streamlit.testing.v1 import AppTest

    assert runs.wait(root, timeout)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["explorer.latent_size"] = 2
    at.run()
    at.switch_page("views/train.py").run()
    assert_clean(at)
    return at


def test_train_page_and_sidebar_offer_a_finished_run(tmp_path, monkeypatch):
    from conftest import assert_clean, charts, curve, panel_titles

    monkeypatch.setenv(run_records.RUNS_ENV, str(tmp_path))
    (name,) = runs.start([SPEC], tmp_path, evaluate=False)
    at = _train_page_when_done(tmp_path, 120)
    assert any("finished" in h.value for h in at.subheader), [h.value for h in at.subheader]
    shown = charts(at)  # the run's curves and its latent bars, on the live Plotly chart (no Vega)
    assert sorted(shown) == ["latent-bars", "train-curves"] and not at.get("vega_lite_chart")
    history = read_checkpoint(tmp_path / name).history
    curves = shown["train-curves"]
    assert len(curves["data"][0]["x"]) == len(history)
    assert panel_titles(curves) == ["loss", "reconstruction", "KL"]
    assert curve(curves, 0, "train") == pytest.approx([h["train_loss"] for h in history])
    bars = shown["latent-bars"]
    (trace,) = bars["data"]
    assert trace["x"] == [f"z{i}" for i in range(SPEC.latent_dim)] and "active" in bars["layout"]["title"]["text"]
    assert not at.button[0].disabled  # nothing runs: starting is allowed

    picker = at.selectbox(key=user_run_widget_key(2))
    assert picker.options[1].startswith(f"user run: {name}")
    picker.select(name).run()
    assert_clean(at)
    assert any(f"VAE: `{name}`" in c.value for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]


def test_a_run_of_a_new_latent_size_is_offered_but_not_made_the_default(tmp_path, monkeypatch):
    # A z=20 run (a size no shipped pair has, larger than theirs) adds "20 dimensions" to the sidebar; a new
    # visitor still starts on the largest shipped size, whose AE and VAE every page needs.
    from conftest import assert_clean
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(run_records.RUNS_ENV, str(tmp_path))
    spec = RunSpec("vae", "mlp", 20, beta=1.0, epochs=1, max_minutes=0.0, train_limit=LIMIT, hidden=(16,), seed=3)
    runs.start([spec], tmp_path, evaluate=False)
    assert runs.wait(tmp_path, 120)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert_clean(at)
    radio = at.sidebar.radio[0]
    assert "20 dimensions" in radio.options, radio.options
    assert radio.value == 16, radio.value


def test_a_finished_sweep_is_compared_side_by_side_on_canvas_maps(tmp_path, monkeypatch):
    import base64
    import json

    from explorer.train.train_panels import MAP_POINTS

    monkeypatch.setenv(run_records.RUNS_ENV, str(tmp_path))
    specs = [RunSpec("vae", "mlp", 2, beta=b, epochs=1, max_minutes=0.0, train_limit=LIMIT, hidden=(16,), seed=3)
             for b in (0.5, 4.0)]  # fmt: skip
    names = runs.start(specs, tmp_path, evaluate=False)
    at = _train_page_when_done(tmp_path, 240)
    elements = [e for e in at.get("bidi_component") if e.proto.component_name == "explorer.latent_map"]
    maps = [json.loads(e.proto.json) for e in elements]
    assert [m["testid"] for m in maps] == [f"sweep-map-{name}" for name in names]
    for data in maps:
        xy = np.frombuffer(base64.b64decode(data["points"]), "<f4").reshape(-1, 2)
        assert data["count"] == len(xy) == MAP_POINTS and np.isfinite(xy).all()
        assert data["prior"] == {"x": 0.0, "y": 0.0} and data["pickable"] is False
    assert not at.get("plotly_chart")


def test_the_train_page_can_ask_for_the_importance_weighted_objective(tmp_path):
    """k > 1 reaches the CLI as --iwae-k, names the run and its label; an AE or an absurd k is refused."""
    spec = RunSpec("vae", latent_dim=2, iwae_k=5)
    argv = spec.argv(tmp_path / "run")
    assert argv[argv.index("--iwae-k") + 1] == "5" and "k=5" in spec.label()
    assert run_records.run_name(spec, 0.0, set()).endswith("-z2-b1-k5")
    assert "--iwae-k" not in RunSpec("vae").argv(tmp_path / "run")  # k = 1: the ELBO, the CLI's default
    assert RunSpec("ae", iwae_k=5).problems() and RunSpec("vae", iwae_k=0).problems()
    assert not spec.problems()
    written = {"name": "x", "spec": spec.__dict__, "state": "queued", "created": 1.0}
    run_records.write_json(run_records.status_path(tmp_path, "x"), written)
    assert run_records.read_status(tmp_path, "x").spec == spec  # the status file keeps it
