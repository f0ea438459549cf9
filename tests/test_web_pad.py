"""The Latent pad component (explorer/latent_map/pad.js) in a blank Chromium page with the shipped z=16 models and the
pads of 1,000 test digits' codes on each model's PCA plane (explorer.latent_map.latent_pad): the pointer's place
on either pad is decoded by both models as torch decodes the code that place maps to, a click pins it and sends
it, and each point is drawn in its digit's colour where the payload puts it."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
import torch
from _web_component import HOST, ComponentPage, decode, pixels_attribute
from _web_page import require_chromium

from explorer.latent_map import latent_pad
from explorer.latent_map.pad import pad_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parent.parent
ROOT = f"{HOST}.querySelector('.latent-pad')"
KINDS = ("ae", "vae")
LABELS = {"ae": "Autoencoder", "vae": "VAE"}
SIDE = 260  # pad.js's PAD_CSS_SIDE, at one device pixel per CSS pixel
POINTS = 1000
TOLERANCE = 3e-4  # per pixel: the runner's 1e-4 (tests/test_web_runner.py) plus data-pixels' four decimals
ALPHA = 0.55  # pad.js draws its points at this opacity


@pytest.fixture(scope="module")
def setup() -> dict:
    import vae
    from explorer.shared import figures
    from vae.data import load_mnist

    folders = {kind: REPO / "checkpoints" / f"{kind}-z16" for kind in KINDS}
    for folder in folders.values():
        if not (folder / "model.safetensors").exists():
            pytest.skip(f"{folder} is missing")
    images, labels = load_mnist("test")
    images, labels = images[:POINTS].reshape(-1, 1, 28, 28), labels[:POINTS].numpy()
    models, planes, codes = {}, {}, {}
    for kind, folder in folders.items():
        models[kind] = vae.load(folder).eval()
        with torch.inference_mode():
            codes[kind] = models[kind].embed(images).numpy()
        planes[kind] = latent_pad.pad_plane(codes[kind], kind, "pca")
    pads = {kind: latent_pad.scatter_payload(planes[kind], codes[kind], labels) for kind in KINDS}
    return {"models": models, "planes": planes, "codes": codes, "labels": labels, "pads": pads,
            "colors": list(figures.DIGIT_COLORS)}  # fmt: skip


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with ComponentPage("pad.js", css="pad.css").running() as session:
        yield session


def _data(page, setup: dict, pinned: tuple[float, float] | None = None) -> dict:
    models = {kind: page.entry(model) for kind, model in setup["models"].items()}
    return pad_data(models, LABELS, setup["pads"], setup["colors"], pinned=pinned)


@pytest.fixture
def mounted(page, setup):
    page.mount(_data(page, setup))
    page.wait_for("() => document.querySelectorAll('canvas.digit[data-ready=\"true\"]').length === 2")
    return page


def _box(page, kind: str) -> list[float]:
    script = f"() => {{ const r = {HOST}.querySelector('canvas.pad-{kind}').getBoundingClientRect(); "
    return page.evaluate(script + "return [r.left, r.top, r.width, r.height]; }")


def _point(page, kind: str, x: int, y: int, click: bool = False) -> tuple[float, float]:
    """Move the mouse to pixel (x, y) of a pad (and click there); returns the pad position (u, v) under the
    event the page received (its coordinates may be rounded to whole pixels when the pad's box is not)."""
    left, top, width, height = _box(page, kind)
    assert (width, height) == (SIDE, SIDE)
    page.evaluate(
        """() => { window.pointed = null;
           for (const type of ['pointermove', 'click'])
             document.addEventListener(type, e => { window.pointed = [e.clientX, e.clientY]; }, {capture: true}); }"""
    )
    page.call(lambda p: p.mouse.move(left + x - 20, top + y + 15))
    page.call(lambda p: (p.mouse.click if click else p.mouse.move)(left + x, top + y))
    page.frames()
    cx, cy = page.evaluate("() => window.pointed")
    assert abs(cx - left - x) <= 1 and abs(cy - top - y) <= 1
    return 2 * (cx - left) / SIDE - 1, 1 - 2 * (cy - top) / SIDE


def _shown(page, kind: str) -> np.ndarray:
    return pixels_attribute(page.evaluate(f"() => {HOST}.querySelector('canvas.pad-digit-{kind}').dataset.pixels"))


def _assert_both_decode(page, setup: dict, uv: tuple[float, float]) -> dict[str, np.ndarray]:
    codes = latent_pad.pinned_codes(setup["planes"], uv)
    pictures = {}
    for kind in KINDS:
        want = decode(setup["models"][kind], codes[kind][None])[0]
        gap = np.abs(_shown(page, kind) - want).max()
        assert gap <= TOLERANCE, f"{kind} at {uv}: {gap:.2e} from torch's decode"
        assert np.abs(page.grey(f"canvas.pad-digit-{kind}") - np.round(255 * want)).max() <= 1, kind
        plane = setup["planes"][kind]
        x, y = plane.pad_to_plane(np.asarray([uv]))[0]
        block = f"{HOST}.querySelector('canvas.pad-{kind}').closest('.block')"
        where = page.evaluate(f"() => {block}.querySelector('.where').textContent")
        assert where == f"PC 1 = {x:.2f}, PC 2 = {y:.2f}"
        pictures[kind] = want
    return pictures


def test_the_pointer_over_either_pad_is_decoded_by_both_models(mounted, setup) -> None:
    start = _assert_both_decode(mounted, setup, (0.0, 0.0))  # nothing pointed at yet: the pads' centres
    uv = _point(mounted, "ae", 65, 52)
    assert uv == pytest.approx((-0.5, 0.6), abs=2 / SIDE)
    moved = _assert_both_decode(mounted, setup, uv)
    for kind in KINDS:  # the pointer changed both digits
        assert np.abs(moved[kind] - start[kind]).max() > 0.3, kind
    uv = _point(mounted, "vae", 208, 182)  # the other pad moves both as well
    _assert_both_decode(mounted, setup, uv)
    assert mounted.evaluate("() => window.sent") == []  # moving is not pinning


def test_a_click_pins_and_sends_the_place(mounted, setup) -> None:
    uv = _point(mounted, "vae", 91, 195, click=True)
    sent = mounted.evaluate("() => window.sent")
    assert [name for name, _ in sent] == ["pinned"]
    assert sent[0][1] == pytest.approx({"u": uv[0], "v": uv[1]}, abs=1e-9)
    _assert_both_decode(mounted, setup, uv)
    for kind in KINDS:  # the pin's dot on both pads, nothing drawn far from it and its cross-hairs
        overlay = mounted.rgba(f"canvas.pad-{kind}")
        assert overlay[195, 91, 3] == 255 and overlay[195, 91, :3].max() == 0, kind
        assert overlay[20, 20, 3] == 0, kind
    moved = _point(mounted, "ae", 30, 30)  # the pointer moves on: the digits follow it, the pin stays
    _assert_both_decode(mounted, setup, moved)
    assert mounted.rgba("canvas.pad-ae")[195, 91, 3] == 255
    assert len(mounted.evaluate("() => window.sent")) == 1


def test_a_pin_from_python_is_decoded_first(page, setup) -> None:
    page.mount(_data(page, setup, pinned=(0.25, -0.5)))
    page.wait_for("() => document.querySelectorAll('canvas.digit[data-ready=\"true\"]').length === 2")
    page.frames()
    _assert_both_decode(page, setup, (0.25, -0.5))


def _isolated(xy: np.ndarray, pad: dict) -> list[int]:
    """The points well inside the pad whose pixel no other point's 2x2 mark and no prior circle touches."""
    inside = (xy >= 4).all(axis=1) & (xy <= SIDE - 4).all(axis=1)
    return [i for i in np.flatnonzero(inside) if _far(tuple(xy[i]), np.delete(xy, i, axis=0), pad)]


def _screen(uv: np.ndarray) -> np.ndarray:
    return np.stack([(uv[:, 0] + 1) / 2 * SIDE, (1 - uv[:, 1]) / 2 * SIDE], axis=1)


def test_the_points_are_drawn_where_the_payload_puts_them(mounted, setup) -> None:
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in setup["colors"]], dtype=float)
    for number, kind in enumerate(KINDS, start=1):
        pad = setup["pads"][kind]
        uv = np.frombuffer(base64.b64decode(pad["points"]), dtype="<f4").reshape(-1, 2)
        xy = _screen(uv)
        scatter = mounted.rgba(f".block:nth-child({number}) canvas.scatter")
        chosen = _isolated(xy, pad)
        assert len(chosen) >= 20, f"{kind}: only {len(chosen)} isolated points to look at"
        for i in chosen:
            x, y = (int(v) for v in xy[i])  # the pixel under the point's centre, inside its 2x2 mark
            want = ALPHA * colours[setup["labels"][i]] + (1 - ALPHA) * 255
            got = scatter[y, x, :3]
            assert np.abs(got - want).max() <= 3, f"{kind}: point {i} (digit {setup['labels'][i]}) at {x, y}: {got}"
        empty = [(x, y) for x in range(2, SIDE, 16) for y in range(2, SIDE, 16) if _far((x + 0.5, y + 0.5), xy, pad)]
        assert len(empty) > 20 and all(scatter[y, x, :3].min() == 255 for x, y in empty), kind  # white elsewhere


def _far(at: tuple[float, float], xy: np.ndarray, pad: dict) -> bool:
    """No point's mark and no prior circle within 3 pixels of ``at``."""
    if np.abs(xy - at).max(axis=1).min() < 3:
        return False
    prior = pad["prior"]
    if prior is None:
        return True
    distance = np.hypot(at[0] - (prior["u"] + 1) / 2 * SIDE, at[1] - (1 - prior["v"]) / 2 * SIDE)
    return min(abs(distance - sigma * prior["radius"] / 2 * SIDE) for sigma in latent_pad.PRIOR_SIGMAS) >= 3


def test_the_vae_pad_draws_the_priors_circles(mounted, setup) -> None:
    prior = setup["pads"]["vae"]["prior"]
    assert prior is not None and setup["pads"]["ae"]["prior"] is None
    scatter = mounted.rgba(".block:nth-child(2) canvas.scatter")
    cx, cy = (prior["u"] + 1) / 2 * SIDE, (1 - prior["v"]) / 2 * SIDE
    assert latent_pad.PRIOR_SIGMAS == (1.0, 2.0, 3.0)  # the circles the data asks for
    for sigma in latent_pad.PRIOR_SIGMAS:  # each dashed circle starts with a dash at its rightmost point
        x = cx + sigma * prior["radius"] / 2 * SIDE
        if x < SIDE - 1:
            assert scatter[int(cy) - 1 : int(cy) + 2, int(x) - 1 : int(x) + 2, :3].min() < 100, sigma
