"""User runs in the app when they are odd: a latent size no shipped pair has (so one model of a pair), a
picked run that disappears, damaged run folders with hostile config.json fields, and the Train page's header
following the run just started in the same tab.

Runs are planted straight into a temporary $VAE_RUNS (an untrained tiny model saved as vae.train saves it),
except for the Train page test, which trains a real one-epoch run; every page is then opened with AppTest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from conftest import PAGE_SCRIPTS

from explorer.shared.state import user_run_widget_key
from explorer.train import run_records, runs
from vae.checkpoint import CONFIG_FILE, Checkpoint, save_checkpoint
from vae.config import ModelConfig
from vae.models import build_model

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
PAGES = PAGE_SCRIPTS
NEEDS_BOTH = {"views/draw.py", "views/sampling.py"}  # these compare the two models: they say which one is missing
NEEDS_VAE = {"views/inside.py"}  # the VAE's posterior and ELBO; it works without the autoencoder


def plant_run(root: Path, name: str, kind: str, latent_dim: int) -> Path:
    """A checkpoint folder as vae.train writes it (untrained weights, one history record)."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, latent_dim=latent_dim, hidden=(16,)))
    record = Checkpoint(root / name, model.config, dataset={"name": "mnist"}, history=[{"epoch": 1, "train_loss": 1.0}])
    save_checkpoint(root / name, model, record)
    return root / name


def session(monkeypatch, root: Path, size: int | None = None):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(run_records.RUNS_ENV, str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    if size is not None:
        at.session_state["explorer.latent_size"] = size
    return at.run()


def page_problems(at) -> list[str]:
    """Exceptions and error boxes on the page (the guard turns exceptions into one st.error)."""
    return [e.value for e in at.exception] + [e.value for e in at.error]


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_a_latent_size_with_one_user_model_opens_every_page(tmp_path, monkeypatch, kind):
    name = f"20260101-000000-{kind}-z32"
    plant_run(tmp_path, name, kind, 32)
    at = session(monkeypatch, tmp_path, size=32)
    assert at.sidebar.radio[0].value == 32
    picker = at.selectbox(key=user_run_widget_key(32))
    assert picker.options == [f"user run: {name}"] and picker.value == name  # no "shipped models" to pick
    assert any(f"`{name}`" in c.value for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    other = "VAE" if kind == "ae" else "Autoencoder"
    for page in PAGES:
        at.switch_page(page).run()
        assert not page_problems(at), (page, page_problems(at))
        assert at.title, f"{page} shows no title"
        warnings = [w.value for w in at.warning]
        if page in NEEDS_BOTH or (page in NEEDS_VAE and other == "VAE"):
            assert any(f"needs the {other} of latent size 32" in w for w in warnings), warnings
        else:
            assert not any("needs the" in w for w in warnings), (page, warnings)


def test_a_picked_run_that_disappears_falls_back_to_what_is_left(tmp_path, monkeypatch):
    old, new = "20260101-000000-vae-z32", "20260102-000000-ae-z32"
    plant_run(tmp_path, old, "vae", 32)
    plant_run(tmp_path, new, "ae", 32)
    at = session(monkeypatch, tmp_path, size=32)
    at.selectbox(key=user_run_widget_key(32)).select(old).run()
    shutil.rmtree(tmp_path / old)
    for page in ["views/sliders.py", "views/interpolate.py", "views/latent_map.py", "views/home.py"]:
        at.switch_page(page).run()
        assert not page_problems(at), (page, page_problems(at))
    assert any(f"Autoencoder: `{new}`" in c.value for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    shutil.rmtree(tmp_path / new)  # the size itself is gone: back to a shipped one
    at.switch_page("views/sliders.py").run()
    assert not page_problems(at), page_problems(at)
    assert 32 not in at.sidebar.radio[0].options


HOSTILE = {
    # config.json change: words the listed reason must contain
    "latent-true": (("model", "latent_dim"), True, "latent_dim must be a whole number"),
    "dataset-text": (("dataset",), "mnist", "dataset must be an object"),
    "huge-hidden": (("model", "hidden"), [1_000_000_000], "hidden must be"),
    "huge-total": (("model", "hidden"), [60_000, 60_000, 60_000], "parameters, more than"),
    "history-text": (("history",), "x", "history must be a list"),
    "metrics-list": (("metrics",), [1, 2], "metrics must be an object"),
    "progress-number": (("progress",), 5, "progress must be an object"),
    "epochs-text": (("training", "epochs"), "ten", "training config: '<' not supported"),
}


def _damage(folder: Path, keys: tuple[str, ...], value: object) -> None:
    config = json.loads((folder / CONFIG_FILE).read_text())
    if keys[0] == "training":
        config["training"] = {"epochs": 1}  # the planted runs record none
    target = config
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    (folder / CONFIG_FILE).write_text(json.dumps(config))


def at_catalog_broken() -> list:
    from explorer.shared.model_catalog import build_catalog
    from explorer.shared.resources import checkpoint_root
    from vae.checkpoint import scan_checkpoints

    return build_catalog(checkpoint_root(), scan_checkpoints(checkpoint_root())).broken


def test_hostile_run_folders_are_listed_as_damaged_and_every_page_runs(tmp_path, monkeypatch):
    good = "20260101-000000-vae-z2"
    plant_run(tmp_path, good, "vae", 2)
    for folder, (keys, value, _) in HOSTILE.items():
        _damage(plant_run(tmp_path, folder, "vae", 2), keys, value)
    at = session(monkeypatch, tmp_path, size=2)
    assert not page_problems(at), page_problems(at)
    (expander,) = [e for e in at.expander if "could not be loaded" in e.label]
    listed = {m.value.split("**")[1]: m.value for m in expander.markdown}
    for folder, (_, _, words) in HOSTILE.items():
        assert words in listed.get(folder, ""), (folder, listed.get(folder))
    assert good not in listed
    assert expander.label.startswith(f"{len(HOSTILE) + len(at_catalog_broken())} checkpoint(s)"), expander.label
    assert at.selectbox(key=user_run_widget_key(2)).options[1:] == [f"user run: {good}"]
    at.selectbox(key=user_run_widget_key(2)).select(good).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not page_problems(at), (page, page_problems(at))
        assert at.title, f"{page} shows no title"


def test_the_train_page_header_follows_the_run_just_started_in_the_same_tab(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(run_records.RUNS_ENV, str(tmp_path))
    spec = run_records.RunSpec("vae", "mlp", 2, epochs=1, max_minutes=0.0, train_limit=512, hidden=(16,), seed=3)
    (earlier,) = runs.start([spec], tmp_path, evaluate=False)
    assert runs.wait(tmp_path, 120)
    (later,) = runs.start([spec], tmp_path, evaluate=False)
    assert runs.wait(tmp_path, 120)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["explorer.latent_size"] = 2
    at.run()
    at.switch_page("views/train.py").run()
    show = next(s for s in at.selectbox if s.label == "Show run")
    show.select(earlier).run()
    assert any(earlier in c.value for c in at.caption if c.value.startswith("Run `"))

    at.button[0].click().run()  # the form's "Start training" (defaults: a 10-epoch z=2 VAE), started here
    newest = runs.statuses(tmp_path)[0].name
    assert newest not in (earlier, later)
    runs.stop(tmp_path)  # end it early; stopped is an end like any other
    assert runs.wait(tmp_path, 120)
    at.run()
    headers = [c.value for c in at.caption if c.value.startswith("Run `")]
    assert headers and newest in headers[0], headers
    show = next(s for s in at.selectbox if s.label == "Show run")
    assert show.value == newest


def test_a_drawing_nested_too_deeply_keeps_the_canvas(monkeypatch):
    # Streamlit decodes the canvas's trigger value (json.loads) while registering the component, before the
    # page sees it; lists nested ~500 deep raise RecursionError there. The same deserializer raising it once
    # reproduces that path: the component's id is registered, nothing is drawn, the page gets the error.
    from streamlit.components.v2.bidi_component import main as bidi_main
    from streamlit.testing.v1 import AppTest

    real = bidi_main.deserialize_trigger_list
    armed = {"left": 0}

    def deserialize(value):
        if armed["left"] > 0:
            armed["left"] -= 1
            raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")
        return real(value)

    monkeypatch.setattr(bidi_main, "deserialize_trigger_list", deserialize)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("views/draw.py").run()
    canvases = [e for e in at.get("bidi_component") if e.proto.component_name == "explorer.draw_digit"]
    assert len(canvases) == 1 and not page_problems(at)
    armed["left"] = 1
    at.run()
    assert not page_problems(at), page_problems(at)
    assert any("cannot be read" in w.value for w in at.warning), [w.value for w in at.warning]
    canvases = [e for e in at.get("bidi_component") if e.proto.component_name == "explorer.draw_digit"]
    assert len(canvases) == 1, "the canvas must stay on the page"
    at.run()  # and the next run is back to normal
    assert not page_problems(at) and not at.warning
    assert len([e for e in at.get("bidi_component") if e.proto.component_name == "explorer.draw_digit"]) == 1
