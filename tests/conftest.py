"""Shared fixtures: tiny models and small data slices so the core tests run in seconds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
# Every page script the app navigates to (app.py lists views/*.py), for the tests that open every page.
PAGE_SCRIPTS = sorted(f"views/{path.name}" for path in (REPO / "views").glob("*.py"))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(scope="session")
def mnist_small() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train_x, train_y, valid_x, valid_y): 1,024 training and 256 validation images of real MNIST."""
    from vae.data import load_mnist

    train_x, train_y = load_mnist("train")
    valid_x, valid_y = load_mnist("valid")
    return train_x[:1024], train_y[:1024], valid_x[:256], valid_y[:256]


@pytest.fixture
def tiny_vae_config():
    from vae.config import ModelConfig

    return ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,))


@pytest.fixture
def tiny_ae_config():
    from vae.config import ModelConfig

    return ModelConfig(kind="ae", arch="mlp", latent_dim=4, hidden=(32,))


def assert_clean(at) -> None:
    """No exception element and no error box (the page guard turns exceptions into st.error)."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def live_sliders(at) -> dict:
    """The data the Latent sliders page gives its live component (AppTest cannot run the component's JS):
    ``sliders`` by importance (dim, label, lo, hi, step, active), ``code`` by dimension, ``revision``."""
    import json

    (component,) = [e for e in at.get("bidi_component") if e.proto.component_name == "explorer.live_sliders"]
    return json.loads(component.proto.json)


def charts(at) -> dict[str, dict]:
    """Each chart on the page as the Plotly figure it was given ({"data", "layout"}), by its test id
    (``layout.meta.testid``): the st.plotly_chart ones and the live ones (explorer.live_chart)."""
    import json

    figures = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    live = [e for e in at.get("bidi_component") if e.proto.component_name == "explorer.live_chart"]
    figures += [json.loads(json.loads(e.proto.json)["figure"]) for e in live]
    return {figure["layout"]["meta"]["testid"]: figure for figure in figures}


def panel_titles(figure: dict) -> list[str]:
    """The subplot titles of a figure with panels (curves, error maps), left to right and top down."""
    return [
        a["text"]
        for a in figure["layout"].get("annotations", [])
        if a.get("yref") == "paper" and a.get("xref") == "paper"
    ]


def curve(figure: dict, panel: int, name: str) -> list:
    """The y values of series ``name`` ("train" or "valid") in a training-curves figure's ``panel``-th panel."""
    axis = "x" if panel == 0 else f"x{panel + 1}"
    (trace,) = [t for t in figure["data"] if t.get("xaxis", "x") == axis and t["name"] == name]
    return trace["y"]


def panel_columns(figure: dict) -> int:
    """How many panels a figure puts side by side (distinct x-axis domains)."""
    layout = figure["layout"]
    return len({tuple(layout[k]["domain"]) for k in layout if k.startswith("xaxis")})
