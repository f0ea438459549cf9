"""What the Draw page accepts back from the browser: 784 finite numbers in [0, 1], not blank."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.draw import drawing


def test_a_good_drawing_becomes_a_read_only_prepared_image() -> None:
    pixels = np.zeros(784)
    pixels[300:310] = np.linspace(0.1, 1.0, 10)
    prepared = drawing.prepared_drawing({"pixels": pixels.tolist()})
    assert prepared.image.shape == (28, 28) and prepared.image.dtype == np.float32
    np.testing.assert_allclose(prepared.image.ravel(), pixels, atol=1e-7)
    assert prepared.has_ink and prepared.name == "drawing"
    assert not prepared.image.flags.writeable
    assert prepared.tensor().shape == (1, 1, 28, 28)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"pixels": [0.5] * 783}, "784 pixel values .got 783"),
        ({"pixels": "0.5," * 784}, "784 pixel values .got str"),
        ("<img src=x onerror=alert(1)>", "784 pixel values"),
        ({"pixels": ["0.5"] * 784}, "not numbers"),
        ({"pixels": [True] * 784}, "not numbers"),
        ({"pixels": [float("nan")] + [0.5] * 783}, "not finite"),
        ({"pixels": [1e308 * 10] + [0.5] * 783}, "not finite"),
        ({"pixels": [1.5] + [0.5] * 783}, r"\[0, 1\] \(got 0.5 to 1.5\)"),
        ({"pixels": [-0.1] + [0.5] * 783}, r"\[0, 1\]"),
        ({"pixels": [0.0] * 784}, "empty"),
        (None, "784 pixel values"),
    ],
)
def test_bad_drawings_get_a_clear_message(value, message: str) -> None:
    with pytest.raises(drawing.DrawingError, match=message):
        drawing.prepared_drawing(value)


@pytest.mark.parametrize("huge", [10**400, -(10**400)], ids=["10**400", "-10**400"])
def test_an_integer_too_large_for_a_float_is_a_drawing_error(huge: int) -> None:
    # Issue 26: math.isfinite raised OverflowError, which the Draw page does not catch.
    with pytest.raises(drawing.DrawingError, match="far too large to be a pixel"):
        drawing.prepared_drawing({"pixels": [huge] + [0.1] * 783})


def test_ink_too_faint_for_float32_counts_as_an_empty_canvas() -> None:
    # Found by tests/test_input_properties.py: 4e-265 is not zero as a float64 but is as the float32 image,
    # so an all-black drawing was kept as if something had been drawn.
    with pytest.raises(drawing.DrawingError, match="empty"):
        drawing.prepared_drawing({"pixels": [4e-265] * 784})


@pytest.mark.parametrize("size", [2, 16])
def test_draw_page_renders_without_a_browser(size: int) -> None:
    from conftest import assert_clean
    from test_app import CATALOG, app

    if size not in CATALOG.pairs or CATALOG.classifier is None:
        pytest.skip(f"no z={size} model pair under the checkpoints folder")
    at = app(size, "views/draw.py")
    assert_clean(at)
    assert at.title[0].value == "Draw a digit"
