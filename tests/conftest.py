"""Shared fixtures: tiny models and small data slices so the core tests run in seconds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
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
    """The data each canvas chart (explorer/web/chart.js) on the page was given, by its test id (AppTest cannot
    run the component's JS; tests/test_web_chart.py checks how it draws)."""
    import json

    found = [e for e in at.get("bidi_component") if e.proto.component_name == "explorer.chart"]
    return {data["testid"]: data for data in (json.loads(e.proto.json) for e in found)}
