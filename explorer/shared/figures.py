"""PNG pictures for the pages (digits, grids, strips, downloads) and the digit palette: plain functions of
arrays, so tests need no browser. Charts are data for our canvas chart component (explorer/charts/chart_data.py).

Digits are always enlarged by whole-pixel blocks (nearest neighbour), never smoothed: a 28x28 digit blown
up with interpolation looks blurred and hides exactly the pixels a person wants to inspect.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
from PIL import Image

from vae.export import gif_bytes, image_grid, image_strip, png_bytes

DIGIT_COLORS: tuple[str, ...] = (  # ten distinct hues, one per digit (the D3 "category10" palette)
    "#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF",
)  # fmt: skip

# The latent maps are drawn by our canvas component (explorer/latent_map/map.js); every other chart is a Plotly figure
# (explorer/charts/plots.py, from the data explorer/charts/chart_data.py builds).


# --------------------------------------------------------------------------------------------------------
# Pictures


def digit_png(image: np.ndarray, scale: int = 10) -> bytes:
    """One digit as a crisp PNG, each pixel a scale x scale block (28 -> 280 px at the default)."""
    return png_bytes(np.asarray(image).reshape(28, 28), scale=scale)


def inline_png(png: bytes) -> str:
    """A PNG as a data: URL, which st.image passes to the browser as it is, inside the page update.

    Given bytes, st.image re-encodes a PNG as JPEG (blurring the square pixels), stores it as a /media file
    and the browser fetches it in a second round trip; a quick rerun can delete that file before the fetch
    (HTTP 404, a broken image for a moment). Digits are ~1 KB, so sending them inline costs nothing.
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def thumbnail_png(picture: np.ndarray, size: int = 120) -> bytes:
    """A [0, 1] grey picture fitted into size x size, so the browser shows it at its natural size.

    Small pictures are enlarged by whole pixels; large ones are shrunk by averaging blocks (a box filter),
    which keeps thin strokes visible where picking every n-th pixel would drop them.
    """
    pixels = np.clip(np.asarray(picture, dtype=np.float32), 0.0, 1.0)
    height, width = pixels.shape
    longest = max(height, width)
    if longest <= size:
        return png_bytes(pixels, scale=max(1, size // longest))
    shape = (max(1, round(width * size / longest)), max(1, round(height * size / longest)))
    shrunk = Image.fromarray((pixels * 255).round().astype(np.uint8)).resize(shape, Image.Resampling.BOX)
    return png_bytes(np.asarray(shrunk, dtype=np.float32) / 255)


def strip_png(images: Sequence[np.ndarray] | np.ndarray, scale: int = 4, pad: int = 2) -> bytes:
    """Digits side by side in one row, separated by thin white gaps."""
    return png_bytes(image_strip(np.asarray(images).reshape(-1, 28, 28), pad=pad), scale=scale)


def grid_png(images: np.ndarray, columns: int, scale: int = 3, pad: int = 2) -> bytes:
    """Digits tiled row by row; pad=0 gives a seamless manifold picture."""
    return png_bytes(image_grid(np.asarray(images).reshape(-1, 28, 28), columns=columns, pad=pad), scale=scale)


# --------------------------------------------------------------------------------------------------------
# Downloads


def interpolation_gif(rows: Sequence[np.ndarray], scale: int = 6, duration_ms: int = 120) -> bytes:
    """An animated GIF of interpolation rows (each (steps, 28, 28)): frame i shows every row's step i side
    by side (AE | VAE), playing forward and back so it loops smoothly."""
    steps = len(rows[0])
    frames = [image_strip([row[i] for row in rows]) for i in range(steps)]
    return gif_bytes(frames, scale=scale, duration_ms=duration_ms, bounce=True)


def interpolation_png(rows: Sequence[np.ndarray], scale: int = 4) -> bytes:
    """All interpolation rows as one PNG, one row of steps per model."""
    return png_bytes(image_grid(np.concatenate(list(rows)), columns=len(rows[0])), scale=scale)
