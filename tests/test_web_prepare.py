"""The browser's MNIST preparation (prepare.js, with pixel_math.js) against vae.images on the same drawn pixels,
with the preparation constants the components send (explorer.draw.drawing.canvas).

Strokes are rendered in Python on a 280x280 canvas-like grey array (anti-aliased, quantised to bytes as a
canvas would), handed to both implementations, and the 28x28 results compared. Tolerance: at most 1/255 per
pixel (one grey level of an 8-bit picture); the JS mirrors numpy's float32 arithmetic and summation order and
Pillow's resampling coefficients, so in practice the two agree to float32 rounding.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _web_page import BlankPage, require_chromium

from explorer.draw import drawing
from explorer.shared.browser.components import web_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SIDE = drawing.CANVAS_SIDE
TOLERANCE = 1.0 / 255.0


def python_prepare(grey: np.ndarray) -> np.ndarray:
    """The Python library's preparation of a grey float image: the one place to repoint after refactors."""
    from vae import prepare_array

    return prepare_array(grey)


# --------------------------------------------------------------------------------------------------------
# A tiny stroke renderer: anti-aliased round-capped polylines, dark ink on white like the page's canvas.


def _segment_distance(ys: np.ndarray, xs: np.ndarray, a: tuple, b: tuple) -> np.ndarray:
    (ay, ax), (by, bx) = a, b
    dy, dx = by - ay, bx - ax
    length2 = dy * dy + dx * dx
    t = np.zeros_like(ys) if length2 == 0 else np.clip(((ys - ay) * dy + (xs - ax) * dx) / length2, 0.0, 1.0)
    return np.hypot(ys - (ay + t * dy), xs - (ax + t * dx))


def render(strokes: list[list[tuple[float, float]]], pen: float, dark_on_light: bool = True) -> np.ndarray:
    """(280, 280) float32 in [0, 1] with k/255 levels, strokes of diameter `pen` given as (row, col) points."""
    ys, xs = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64) + 0.5
    coverage = np.zeros((SIDE, SIDE))
    for stroke in strokes:
        points = stroke if len(stroke) > 1 else stroke * 2
        for a, b in itertools.pairwise(points):
            distance = _segment_distance(ys, xs, a, b)
            coverage = np.maximum(coverage, np.clip(pen / 2 + 0.5 - distance, 0.0, 1.0))
    ink = np.round(coverage * 255).astype(np.uint8)
    grey = 255 - ink if dark_on_light else ink
    return (grey.astype(np.float32) / 255.0).astype(np.float32)


def _arc(cy: float, cx: float, r: float, start: float, stop: float, n: int = 40) -> list[tuple[float, float]]:
    return [(cy + r * math.sin(a), cx + r * math.cos(a)) for a in np.linspace(start, stop, n)]


CASES = {
    "vertical 1": ([[(50, 140), (230, 140)]], 18, True),
    "slanted 1 with flag": ([[(80, 115), (50, 150), (235, 135)]], 16, True),
    "seven": ([[(60, 70), (60, 210), (230, 110)]], 20, True),
    "horizontal line": ([[(140, 40), (140, 240)]], 14, True),
    "thin pen zero": ([_arc(140, 140, 90, 0, 2 * math.pi, 60)], 3, True),
    "thick pen arc": ([_arc(150, 140, 70, 0.3, 3.6)], 36, True),
    "off-centre two": ([[*_arc(70, 60, 35, math.pi, 2.2 * math.pi, 20), (140, 30), (140, 110)]], 12, True),
    "touching the border": ([[(0, 270), (279, 200)], [(140, 279), (200, 180)]], 22, True),
    "a dot": ([[(150, 120)]], 20, True),
    "light on dark four": ([[(40, 90), (160, 60), (160, 200)], [(60, 170), (250, 170)]], 18, False),
    "two strokes eight": ([_arc(90, 140, 45, 0, 2 * math.pi), _arc(190, 140, 55, 0, 2 * math.pi)], 15, True),
    "tiny scribble": ([[(138, 138), (142, 145), (139, 150)]], 6, True),
    "empty canvas": ([], 18, True),
}


def _open(page) -> None:
    page.set_content("<html><body></body></html>")
    for name in ("pixel_math.js", "prepare.js"):  # as LIBRARIES puts them in front of draw.js
        page.add_script_tag(content=web_path(name).read_text())


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with BlankPage(_open).running() as session:
        yield session


def browser_prepare(page, grey: np.ndarray) -> dict:
    return page.evaluate(
        """([pixels, side, preparation]) => {
             const r = MnistPrepare.prepare(Float32Array.from(pixels), side, side, preparation);
             return {image: Array.from(r.image), hasInk: r.hasInk, inverted: r.inverted, reason: r.reason};
           }""",
        [grey.ravel().tolist(), SIDE, drawing.canvas()["preparation"]],
    )


@pytest.mark.parametrize("name", list(CASES))
def test_browser_preparation_matches_python(page, name: str) -> None:
    strokes, pen, dark = CASES[name]
    grey = render(strokes, pen, dark)
    expected = python_prepare(grey)
    result = browser_prepare(page, grey)
    got = np.asarray(result["image"], dtype=np.float32).reshape(28, 28)
    error = np.abs(got - expected)
    print(f"{name}: max {error.max():.2e}, mean {error.mean():.2e}")
    assert result["hasInk"] == bool(expected.any())
    worst = np.unravel_index(error.argmax(), error.shape)
    assert error.max() <= TOLERANCE, f"{name}: max error {error.max():.4f} at {worst}"
    if strokes:
        assert result["hasInk"] and got.max() == pytest.approx(1.0)


def test_empty_canvas_says_nothing_was_drawn(page) -> None:
    result = browser_prepare(page, render([], 18))
    assert not result["hasInk"]
    assert result["reason"] == "nothing drawn yet"
    assert not any(result["image"])


def test_canvas_pixels_become_the_grey_pil_would_make(page) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float32) / 255.0
    rgba = np.concatenate([rgb, np.full((16, 16, 1), 255, np.uint8)], axis=2)
    script = "px => Array.from(MnistPrepare.greyFromRGBA(Uint8ClampedArray.from(px)))"
    got = page.evaluate(script, rgba.ravel().tolist())
    np.testing.assert_array_equal(np.asarray(got, dtype=np.float32).reshape(16, 16), expected)


RESIZES = [((53, 31), (20, 12)), ((7, 12), (11, 20)), ((40, 9), (20, 5)), ((5, 5), (20, 20))]


@pytest.mark.parametrize(("size", "out"), RESIZES)
def test_resampling_matches_pillow(page, size: tuple[int, int], out: tuple[int, int]) -> None:
    """PIL's float-mode BOX (shrinking) and BICUBIC (enlarging) resize, coefficient for coefficient."""
    from PIL import Image

    height, width = size
    a = np.random.default_rng(height * width).random(size, dtype=np.float32)
    for name, resample in (("box", Image.Resampling.BOX), ("bicubic", Image.Resampling.BICUBIC)):
        expected = np.clip(np.asarray(Image.fromarray(a).resize(out[::-1], resample)), 0.0, None)
        got = page.evaluate(
            """([a, h, w, oh, ow, f]) => Array.from(PixelMath.resize(
                 Float32Array.from(a), h, w, ow, oh, PixelMath.FILTERS[f]))""",
            [a.ravel().tolist(), height, width, out[0], out[1], name],
        )
        np.testing.assert_allclose(np.asarray(got, dtype=np.float32).reshape(out), expected, rtol=0, atol=1e-6)
