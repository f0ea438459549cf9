"""The Inside the VAE page without a browser: explorer.inside.data's data, and the page through AppTest for both
model pairs (AppTest cannot run the component's JS, so it reads the data the page gives the component)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_clean
from test_app import SIZES, app

from explorer.inside import data as inside

PAGE = "views/inside.py"


def _component(at) -> dict:
    (component,) = [e for e in at.get("bidi_component") if e.proto.component_name == "explorer.inside_vae"]
    return json.loads(component.proto.json)


@pytest.fixture(autouse=True)
def _no_user_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_RUNS", str(tmp_path / "runs"))


@pytest.mark.parametrize("size", SIZES)
def test_the_page_hands_a_test_seven_and_both_planes_to_the_component(size: int) -> None:
    from vae.data import load_mnist

    at = app(size, PAGE)
    assert_clean(at)
    assert at.title[0].value == "Inside the VAE"
    data = _component(at)
    assert data["mode"] == "image" and data["caption"] == "test image #0 (a 7)"
    want = load_mnist("test")[0][0, 0].numpy().ravel()
    np.testing.assert_allclose(data["image"], want, atol=1e-6)
    assert sorted(data["order"]) == list(range(size))
    assert set(data["models"]) == set(data["pads"]) == {"vae", "ae"}
    assert len(data["models"]["vae"]["spec"]["logvar_head"]) == 1
    assert data["pads"]["vae"]["count"] == 10_000 and data["pads"]["vae"]["prior"] is not None
    assert len(data["pads"]["vae"]["components"]) == 2 and len(data["pads"]["vae"]["components"][0]) == size


def test_draw_mode_sends_no_image() -> None:
    at = app(SIZES[0], PAGE)
    at.radio(key="inside.source").set_value("draw").run()
    assert_clean(at)
    data = _component(at)
    assert data["mode"] == "draw" and data["image"] is None


def _entries(dim: int = 3) -> tuple[dict, dict]:
    models = {"vae": {"hash": "h", "url": "u", "spec": {"latent_dim": dim}}}
    return models, {"vae": {"count": 0}}


def test_component_data_cleans_the_pixels_and_keeps_the_order() -> None:
    models, pads = _entries()
    image = np.full((28, 28), 0.5)
    image[0, 0], image[0, 1] = np.nan, 7.0
    data = inside.component_data(models, pads, [2, 0, 1], image, "x")
    assert data["image"][:3] == [0.0, 1.0, 0.5] and len(data["image"]) == 784
    assert data["order"] == [2, 0, 1] and list(data["models"]) == ["vae"]
    assert inside.has_ink(data["image"]) and not inside.has_ink([0.0] * 784)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"order": [0, 1]}, "each of the VAE's 3 dimensions"),
        ({"mode": "paint"}, "mode must be one of"),
        ({"image": np.zeros((5, 5))}, "28x28"),
        ({"models": {}}, "needs a VAE"),
    ],
)
def test_component_data_refuses_what_it_cannot_show(change: dict, message: str) -> None:
    models, pads = _entries()
    arguments = {"models": models, "pads": pads, "order": [0, 1, 2], "image": np.zeros((28, 28)), "caption": "x"}
    with pytest.raises(inside.InsideError, match=message):
        inside.component_data(**{**arguments, **change})
