"""Image export helpers: numpy or torch images in, PNG/GIF bytes, grids and strips out."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image


def _as_array(image: Any) -> np.ndarray:
    if hasattr(image, "detach"):  # torch tensors, possibly requiring grad or living on a GPU
        image = image.detach().cpu().numpy()
    return np.asarray(image)


def _as_2d(image: Any) -> np.ndarray:
    a = _as_array(image)
    while a.ndim > 2 and a.shape[0] == 1:  # (1, 28, 28) and (1, 1, 28, 28) are single images too
        a = a[0]
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {a.shape}")
    return a


def _as_stack(images: Any) -> np.ndarray:
    """(N, H, W) float32 from an (N, H, W) / (N, 1, H, W) array or tensor, or a sequence of 2-D images."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("no images given")
        frames = [_as_2d(image) for image in images]
        if len({frame.shape for frame in frames}) != 1:
            raise ValueError(f"images differ in shape: {sorted({frame.shape for frame in frames})}")
        return np.stack(frames).astype(np.float32)
    a = _as_array(images).astype(np.float32)
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    elif a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"expected images shaped (N, H, W) or (N, 1, H, W), got {a.shape}")
    if len(a) == 0:
        raise ValueError("no images given")
    return a


def upscale_nearest(image: np.ndarray, factor: int) -> np.ndarray:
    """Enlarge a 2-D image by an integer factor, each pixel becoming a crisp factor x factor block."""
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    a = _as_2d(image)
    return np.repeat(np.repeat(a, int(factor), axis=0), int(factor), axis=1)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] floats to 0..255 bytes; values outside are clipped and NaN becomes 0."""
    a = np.nan_to_num(_as_array(image).astype(np.float32), nan=0.0)
    return np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """A greyscale PNG of a [0, 1] image, enlarged `scale` times without blurring."""
    pixels = upscale_nearest(to_uint8(_as_2d(image)), scale)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def image_grid(images: np.ndarray, columns: int, pad: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """Tile N equally sized images row by row into one float32 picture.

    `pad` pixels of `pad_value` separate the tiles and frame the whole grid; empty cells of the last row stay
    `pad_value`. `columns` larger than N is reduced to N.
    """
    stack = _as_stack(images)
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    if pad < 0:
        raise ValueError(f"pad must not be negative, got {pad}")
    count, height, width = stack.shape
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    grid = np.full((rows * (height + pad) + pad, columns * (width + pad) + pad), pad_value, dtype=np.float32)
    for index, tile in enumerate(stack):
        row, col = divmod(index, columns)
        top, left = pad + row * (height + pad), pad + col * (width + pad)
        grid[top : top + height, left : left + width] = tile
    return grid


def image_strip(images: Sequence[np.ndarray] | np.ndarray, pad: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """All images side by side in one row, framed and separated like ``image_grid``."""
    stack = _as_stack(images)
    return image_grid(stack, columns=len(stack), pad=pad, pad_value=pad_value)


def gif_bytes(
    frames: Sequence[np.ndarray], scale: int = 4, duration_ms: int = 80, loop: bool = True, bounce: bool = False
) -> bytes:
    """An animated greyscale GIF with exactly one GIF frame per requested frame.

    `bounce` plays the path forward then back without showing either end twice (a, b, c -> a, b, c, b), so
    a looping bounce never stalls. `duration_ms` is per frame; GIF counts in 10 ms steps and browsers slow
    anything under 20 ms down to ~100 ms, so shorter values are raised to 20.
    """
    stack = to_uint8(_as_stack(frames))
    sequence = list(stack)
    if bounce:
        sequence += sequence[-2:0:-1]
    pictures: list[Image.Image] = []
    previous: np.ndarray | None = None
    for frame in sequence:
        pixels = upscale_nearest(frame, scale)
        if previous is not None and np.array_equal(pixels, previous):
            # PIL folds a frame identical to the one before into it (whatever `optimize` says), which would
            # change the frame count and the timing. One grey level on one corner pixel keeps them apart.
            pixels = pixels.copy()
            pixels[0, 0] = pixels[0, 0] + 1 if pixels[0, 0] < 255 else 254
        pictures.append(Image.fromarray(pixels))
        previous = pixels
    options: dict[str, Any] = {
        "save_all": True,
        "append_images": pictures[1:],
        "duration": max(20, int(duration_ms)),
        "optimize": False,
        "disposal": 1,  # keep each frame on screen under the next, which only redraws what changed
    }
    if loop:
        options["loop"] = 0  # 0 = forever; without the key the GIF plays once
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", **options)
    return buffer.getvalue()


def error_heatmap(original: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Signed per-pixel error, reconstruction minus original, as float32 (positive = ink the model added)."""
    before, after = _as_2d(original).astype(np.float32), _as_2d(reconstruction).astype(np.float32)
    if before.shape != after.shape:
        raise ValueError(f"shapes differ: original {before.shape}, reconstruction {after.shape}")
    return after - before
