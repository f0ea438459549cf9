"""The training timeline in the app (AppTest, no browser): the Latent map and the Train page hand the scrubber
every epoch once; a missing, truncated or tampered timeline file is named with its reason and the map stays."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from vae.config import ModelConfig, TrainConfig
from vae.timeline import TIMELINE_FILE
from vae.training import fit

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")


@pytest.fixture(scope="module")
def timelines(tmp_path_factory, mnist_small_module):
    """Timelines of a 2-epoch AE and VAE with z = 2 (small, made here; the page does not check they are the
    shipped models' own)."""
    root = tmp_path_factory.mktemp("timelines")
    for kind in ("ae", "vae"):
        config = ModelConfig(kind=kind, arch="mlp", latent_dim=2, hidden=(32,))
        fit(config, TrainConfig(epochs=2, batch_size=128), root / kind, data=mnist_small_module, progress=False)
    return root


@pytest.fixture(scope="module")
def mnist_small_module():
    from vae.data import load_mnist

    train_x, train_y = load_mnist("train")
    valid_x, valid_y = load_mnist("valid")
    return train_x[:512], train_y[:512], valid_x[:200], valid_y[:200]


@pytest.fixture
def checkpoints(tmp_path, monkeypatch, timelines):
    """A copy of the shipped checkpoints whose z = 2 pair carries the made-up timelines."""
    root = tmp_path / "checkpoints"
    for name in ("ae-z2", "vae-z2", "classifier"):
        shutil.copytree(REPO / "checkpoints" / name, root / name)
    for kind in ("ae", "vae"):
        shutil.copy(timelines / kind / TIMELINE_FILE, root / f"{kind}-z2" / TIMELINE_FILE)
    monkeypatch.setenv("VAE_CHECKPOINTS", str(root))
    monkeypatch.setenv("VAE_RUNS", str(tmp_path / "runs"))
    return root


def _latent_map():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.switch_page("views/latent_map.py").run()
    assert not at.exception, at.exception
    return at


def _components(at, name: str) -> list[dict]:
    return [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == name]


def _timeline_data(at) -> dict:
    """The Latent map's timeline data: served from static/ (its message carries only the file's URL)."""
    (message,) = _components(at, "explorer.training_timeline")
    assert set(message) == {"src", "testid"} and message["src"].startswith("app/static/timelines/")
    return json.loads((REPO / "static" / message["src"].removeprefix("app/static/")).read_text())


def test_the_latent_map_sends_both_timelines_once(checkpoints):
    at = _latent_map()
    data = _timeline_data(at)
    assert [m["kind"] for m in data["models"]] == ["ae", "vae"]
    for model in data["models"]:
        assert model["epochs"] == [1, 2] and model["count"] == 200
        points = np.frombuffer(base64.b64decode(model["points"]), "<f2").reshape(2, 200, 2)
        assert np.isfinite(points).all() and not np.array_equal(points[0], points[1])
        x0, x1, y0, y1 = model["bounds"]  # fixed axes holding (nearly) every epoch's codes
        inside = (points[..., 0] >= x0) & (points[..., 0] <= x1) & (points[..., 1] >= y0) & (points[..., 1] <= y1)
        assert inside.mean() >= 0.99
    assert data["models"][0]["prior"] is None and data["models"][1]["prior"] == [0.0, 0.0]
    assert len(_components(at, "explorer.latent_map")) == 2


@pytest.mark.parametrize("damage", ["missing", "truncated", "tampered"])
def test_a_damaged_timeline_is_named_and_the_map_still_works(checkpoints, damage):
    file = checkpoints / "vae-z2" / TIMELINE_FILE
    if damage == "missing":
        file.unlink()
    elif damage == "truncated":
        file.write_bytes(file.read_bytes()[:1000])
    else:
        data = bytearray(file.read_bytes())
        data[-50] ^= 0xFF
        file.write_bytes(bytes(data))
    at = _latent_map()
    reason = {"missing": "missing", "truncated": "truncated or corrupt", "tampered": "checksum"}[damage]
    messages = [i.value for i in at.info]
    assert any("VAE: no training timeline" in m and reason in m for m in messages), messages
    data = _timeline_data(at)
    assert [m["kind"] for m in data["models"]] == ["ae"]  # the autoencoder's timeline is still shown
    assert len(_components(at, "explorer.latent_map")) == 2  # and both maps


def test_the_digit_toggle_sends_the_atlas(checkpoints):
    at = _latent_map()
    at.toggle(key="map.digits").set_value(True).run()
    maps = _components(at, "explorer.latent_map")
    assert [m["mode"] for m in maps] == ["digits", "digits"]
    url = maps[0]["sprites"]["url"]
    assert url.startswith("app/static/atlas/") and (REPO / "static" / url.removeprefix("app/static/")).is_file()


def test_a_run_started_on_the_train_page_records_its_timeline_and_the_page_shows_it(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from explorer.train import run_records, runs
    from vae.checkpoint import read_checkpoint

    monkeypatch.setenv(run_records.RUNS_ENV, str(tmp_path))
    spec = run_records.RunSpec("vae", "mlp", 2, epochs=2, max_minutes=0.0, train_limit=1000, hidden=(16,), seed=3)
    (name,) = runs.start([spec], tmp_path, evaluate=False)
    assert runs.wait(tmp_path, 180)
    assert (tmp_path / name / TIMELINE_FILE).is_file()  # the background CLI records it by default
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["explorer.latent_size"] = 2
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception, at.exception
    (data,) = _components(at, "explorer.training_timeline")
    (model,) = data["models"]
    history = read_checkpoint(tmp_path / name).history
    assert model["epochs"] == [h["epoch"] for h in history] == [1, 2]
    assert model["losses"]["valid_loss"] == pytest.approx([h["valid_loss"] for h in history], rel=1e-6)
    assert model["kl_per_dim"][-1] == pytest.approx(history[-1]["valid_kl_per_dim"], abs=1e-3)
