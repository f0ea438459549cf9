"""The drawing canvas: how the components set it up, and what the Draw page's canvas sends back, checked and
turned into an upload-like prepared image.

The browser prepares the drawing like MNIST (prepare.js, with vae.images' constants from ``canvas()``) and sends
784 numbers; nothing it sends is trusted: wrong length, text, NaN or values outside [0, 1] get a clear message
instead of an image. No streamlit here, so the tests call it directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer.draw.contract import DrawingCanvas
from vae import images
from vae.images import MNIST_SIZE, PreparedImage

PIXELS = MNIST_SIZE * MNIST_SIZE
DRAWING_NAME = "drawing"
CANVAS_SIDE = 280  # canvas pixels a side: ten per pixel of the 28x28 digit
PEN_WIDTH = 18  # canvas pixels: where the pen-width slider starts


def canvas() -> DrawingCanvas:
    """The drawing canvas as the components take it: its size, its pen, and vae.images' preparation constants
    (prepare.js mirrors vae.images step by step, with these numbers)."""
    preparation = {
        "mnist_size": images.MNIST_SIZE,
        "box_size": images.BOX_SIZE,
        "border_percent": images.BORDER_PERCENT,
        "min_contrast": images.MIN_CONTRAST,
        "noise_floor": images.NOISE_FLOOR,
        "ink_threshold": images.INK_THRESHOLD,
        "ink_trim": images.INK_TRIM,
        "min_stroke": images.MIN_STROKE,
    }
    return {"side": CANVAS_SIDE, "pen": PEN_WIDTH, "preparation": preparation}


class DrawingError(ValueError):
    """A drawing that cannot be used; ``str(err)`` is a sentence for the person who drew it."""


def _as_floats(pixels: list | tuple) -> np.ndarray:
    """The numbers as float64; an integer too large for a float (10**400, say) is refused for its size."""
    try:
        return np.array([float(p) for p in pixels], dtype=np.float64)
    except OverflowError:
        raise DrawingError(
            "The drawing arrived with a value far too large to be a pixel (they lie in [0, 1]); please try again."
        ) from None


def drawing_pixels(value: Any) -> np.ndarray:
    """The (28, 28) float32 picture in a value sent by the canvas ({"pixels": [784 numbers]})."""
    pixels = value.get("pixels") if isinstance(value, dict) else value
    if not isinstance(pixels, (list, tuple)) or len(pixels) != PIXELS:
        count = len(pixels) if isinstance(pixels, (list, tuple)) else type(pixels).__name__
        raise DrawingError(f"The drawing did not arrive as {PIXELS} pixel values (got {count}); please try again.")
    if not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in pixels):
        raise DrawingError("The drawing arrived with values that are not numbers; please try again.")
    image = _as_floats(pixels)
    if not np.isfinite(image).all():
        raise DrawingError("The drawing arrived with values that are not finite numbers; please try again.")
    if image.min() < 0.0 or image.max() > 1.0:
        raise DrawingError(
            f"The drawing's pixel values must lie in [0, 1] (got {image.min():.3g} to {image.max():.3g})."
        )
    picture = image.astype(np.float32).reshape(MNIST_SIZE, MNIST_SIZE)
    if not picture.any():  # checked in float32: ink fainter than ~1e-45 rounds to nothing
        raise DrawingError("The canvas is empty: draw a digit first.")
    return picture


def prepared_drawing(value: Any) -> PreparedImage:
    """A drawing as the pages handle uploads: a read-only PreparedImage named "drawing"."""
    image = drawing_pixels(value)
    image.setflags(write=False)
    return PreparedImage(
        name=DRAWING_NAME,
        image=image,
        inverted=True,  # drawn dark on a white canvas, like most uploads
        steps=(("drawn on the canvas, prepared like MNIST in the browser", image),),
        source_format="canvas",
        source_size=(CANVAS_SIDE, CANVAS_SIDE),
    )
