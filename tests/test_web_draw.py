"""The Draw a digit component (explorer/draw/draw.js) in a blank Chromium page with the shipped z=2 models: a
stroke drawn with the mouse is prepared like vae.images prepares the same canvas pixels, both models'
reconstructions are torch's reconstructions of that digit, Undo and Clear take strokes away, "Use this drawing"
sends the prepared pixels, and a blank canvas says it is blank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _web_component import HOST, ComponentPage, pixels_attribute
from _web_page import require_chromium
from PIL import Image

from explorer.draw.component import draw_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parent.parent
ROOT = f"{HOST}.querySelector('.draw-digit')"
PREPARE_TOLERANCE = 1.0 / 255.0 + 5e-5  # tests/test_web_prepare.py's, plus data-pixels' four decimals
RECON_TOLERANCE = 2e-4  # the runner's 1e-4 (tests/test_web_runner.py) plus four decimals
LABELS = {"ae": "Autoencoder", "vae": "VAE"}
BLANK = "Nothing drawn yet: draw a digit with the mouse, a finger or a pen."


@pytest.fixture(scope="module")
def models() -> dict[str, torch.nn.Module]:
    import vae

    folders = {kind: REPO / "checkpoints" / f"{kind}-z2" for kind in LABELS}
    for folder in folders.values():
        if not (folder / "model.safetensors").exists():
            pytest.skip(f"{folder} is missing")
    return {kind: vae.load(folder).eval() for kind, folder in folders.items()}


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with ComponentPage("draw.js", css="draw.css").running() as session:
        yield session


@pytest.fixture
def mounted(page, models):
    page.mount(draw_data({kind: page.entry(model) for kind, model in models.items()}, LABELS))
    page.wait_for("() => document.querySelectorAll('canvas.digit[data-ready=\"true\"]').length === 2")
    return page


def _stroke(page, points: list[tuple[float, float]]) -> None:
    """Mouse down at the first point (fractions of the pad's box), through the others in small moves, up."""
    box = page.evaluate(
        f"() => {{ const r = {HOST}.querySelector('canvas.pad').getBoundingClientRect(); "
        "return [r.left, r.top, r.width, r.height]; }"
    )

    def draw(p) -> None:
        at = [(box[0] + x * box[2], box[1] + y * box[3]) for x, y in points]
        p.mouse.move(*at[0])
        p.mouse.down()
        for x, y in at[1:]:
            p.mouse.move(x, y, steps=12)
        p.mouse.up()

    page.call(draw)
    page.frames()


def _pad_grey(page) -> np.ndarray:
    """The pad's pixels as vae.images takes them: PIL's grey of the canvas's RGB, in [0, 1]."""
    rgb = page.rgba(".draw-digit canvas.pad")[..., :3].astype(np.uint8)
    return np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float32) / 255.0


def _shown(page, selector: str) -> np.ndarray:
    return pixels_attribute(page.evaluate(f"() => {HOST}.querySelector('{selector}').dataset.pixels"))


def _assert_prepared_like_python(page) -> np.ndarray:
    from vae import prepare_array

    expected = prepare_array(_pad_grey(page))
    prepared = _shown(page, "canvas.prepared")
    gap = np.abs(prepared - expected).max()
    assert gap <= PREPARE_TOLERANCE, f"the page's preparation is {gap:.4f} from vae.images'"
    painted = page.grey(".draw-digit canvas.prepared")
    assert np.abs(painted - np.round(255 * prepared)).max() <= 1
    return expected


def _status(page) -> str:
    return page.evaluate(f"() => {ROOT}.querySelector('.status').textContent")


def test_a_blank_canvas_says_so_and_sends_nothing(mounted) -> None:
    assert mounted.evaluate(f"() => {ROOT}.dataset.hasInk") == "false"
    assert _status(mounted) == BLANK
    assert mounted.evaluate(f"() => {ROOT}.querySelector('button.use').disabled") is True
    for selector in ("canvas.prepared", "canvas.recon-ae", "canvas.recon-vae"):
        assert not _shown(mounted, selector).any(), selector
    mounted.evaluate(f"() => {ROOT}.querySelector('button.use').click()")
    assert mounted.evaluate("() => window.triggered") == []
    labels = mounted.evaluate(f"() => [...{ROOT}.querySelectorAll('figcaption')].map(c => c.textContent)")
    assert labels == ["prepared like MNIST (28x28)", "Autoencoder", "VAE"]


def test_a_stroke_is_prepared_like_vae_images_and_reconstructed_like_torch(mounted, models) -> None:
    _stroke(mounted, [(0.55, 0.15), (0.45, 0.85)])  # a slanted 1
    assert mounted.evaluate(f"() => {ROOT}.dataset.hasInk") == "true"
    assert _status(mounted).startswith("Reconstructions follow your pen.")
    grey = _pad_grey(mounted)
    assert grey[140, 100:180].min() < 0.1 and grey[140, :60].min() == 1.0  # ink where the pointer went only
    expected = _assert_prepared_like_python(mounted)
    assert expected.max() == pytest.approx(1.0) and (expected > 0.5).sum() >= 20

    mounted.evaluate(f"() => {ROOT}.querySelector('button.use').click()")
    triggered = mounted.evaluate("() => window.triggered")
    assert [name for name, _ in triggered] == ["use"] and list(triggered[0][1]) == ["pixels"]
    sent = np.asarray(triggered[0][1]["pixels"], dtype=np.float32)
    assert sent.shape == (784,)
    assert np.abs(sent.reshape(28, 28) - expected).max() <= PREPARE_TOLERANCE
    np.testing.assert_allclose(sent.reshape(28, 28), _shown(mounted, "canvas.prepared"), atol=5e-5)

    for kind, model in models.items():
        with torch.inference_mode():
            want = model.reconstruct(torch.from_numpy(sent).reshape(1, 1, 28, 28)).numpy().reshape(28, 28)
        assert want.max() > 0.5, f"{kind}: torch's reconstruction is blank"
        gap = np.abs(_shown(mounted, f"canvas.recon-{kind}") - want).max()
        assert gap <= RECON_TOLERANCE, f"{kind}: the page's reconstruction is {gap:.2e} from torch's"
        painted = mounted.grey(f".draw-digit canvas.recon-{kind}")
        assert np.abs(painted - np.round(255 * want)).max() <= 1, kind


def test_undo_takes_the_last_stroke_away_and_clear_all_of_them(mounted) -> None:
    _stroke(mounted, [(0.5, 0.15), (0.5, 0.85)])  # a 1 ...
    one = _shown(mounted, "canvas.prepared")
    _stroke(mounted, [(0.2, 0.5), (0.8, 0.5)])  # ... crossed into a plus
    crossed = _pad_grey(mounted)
    assert crossed[140, 60:80].max() < 0.1  # the bar is on the pad, left of the 1
    assert np.abs(_shown(mounted, "canvas.prepared") - one).max() > 0.5
    _assert_prepared_like_python(mounted)

    mounted.evaluate(f"() => {ROOT}.querySelector('button.undo').click()")
    mounted.frames()
    grey = _pad_grey(mounted)
    assert grey[140, 60:80].min() == 1.0 and grey[60:220, 140].max() < 0.1  # the bar is gone, the 1 stays
    # The 1 again, up to its edges: Undo repaints it as one path, the hand painted it one segment at a time.
    assert np.abs(_shown(mounted, "canvas.prepared") - one).max() <= 0.02
    _assert_prepared_like_python(mounted)

    mounted.evaluate(f"() => {ROOT}.querySelector('button.clear').click()")
    mounted.frames()
    assert _pad_grey(mounted).min() == 1.0
    assert mounted.evaluate(f"() => {ROOT}.dataset.hasInk") == "false"
    assert _status(mounted) == BLANK
    for selector in ("canvas.prepared", "canvas.recon-ae", "canvas.recon-vae"):
        assert not _shown(mounted, selector).any(), selector
    assert mounted.evaluate(f"() => {ROOT}.querySelector('button.use').disabled") is True
    mounted.evaluate(f"() => {ROOT}.querySelector('button.use').click()")
    assert mounted.evaluate("() => window.triggered") == []
