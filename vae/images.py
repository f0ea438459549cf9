"""Uploaded pictures in, MNIST-style 28x28 digits out: the public API and the preparation pipeline.

``prepare_image`` turns the bytes of an uploaded file into what the models were trained on; anything it
cannot use raises ``vae.image_files.ImageError`` with a sentence meant for the person who uploaded the file
(the checks, the limits and the decoding of the file to grey are in ``vae.image_files``). ``prepare_array`` is
the same preparation for a grey array that is already decoded (see its docstring for the steps, in order).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from vae.image_files import (
    ImageError,
    as_grey,
    flatten_alpha,
    grey_and_alpha,
    open_first_frame,
    refuse_non_image,
    too_big_reason,
)

if TYPE_CHECKING:
    import torch

MAX_UPLOAD_MB = 10  # keep equal to server.maxUploadSize in .streamlit/config.toml
UPLOAD_TYPES = ("png", "jpg", "jpeg", "bmp", "gif", "webp")

MNIST_SIZE = 28
BOX_SIZE = 20  # MNIST scales each digit into 20x20 and leaves a 4-pixel margin for the centring shift

# Tuning of the preparation, as fractions of the [0, 1] grey range or of the ink's peak. The browser prepares
# drawings with the same numbers: they travel in its components' data (explorer.draw.drawing.canvas).
_PREVIEW_MAX_SIDE = 280
BORDER_PERCENT = 3  # the outer 3% on every side is the border whose median is the background
MIN_CONTRAST = 0.1  # weaker than ~25 grey levels above the background is paper texture or JPEG noise
NOISE_FLOOR = 0.1  # of the peak; below it everything becomes pure black, as in MNIST's background
INK_THRESHOLD = 0.25  # of the peak; what counts as ink when finding the bounding box
INK_TRIM = 0.005  # share of the ink mass that may be cut from each side: drops isolated dust specks
MIN_STROKE = 2.0  # thinnest stroke, in output pixels, before strokes are thickened (MNIST's are 2-3)


@dataclass(frozen=True, eq=False)
class PreparedImage:
    """An upload prepared like an MNIST digit, with a preview of every step that got it there.

    ``image`` is float32 (28, 28) in [0, 1], white ink on black, its brightest pixel at 1.0 (all zeros when
    no ink was found). ``steps`` pairs a caption with a float32 [0, 1] picture per step, in order; large
    pictures are shrunk to at most 280 pixels a side. ``source_format`` and ``source_size`` describe the
    upload (after EXIF rotation).
    """

    name: str
    image: np.ndarray
    inverted: bool
    steps: tuple[tuple[str, np.ndarray], ...]
    source_format: str = ""
    source_size: tuple[int, int] = (0, 0)

    @property
    def has_ink(self) -> bool:
        """False when the upload was blank (one colour, or contrast too faint to tell ink from paper)."""
        return bool(np.any(self.image > 0))

    def tensor(self) -> torch.Tensor:
        """The image as a model input batch of one: float32 (1, 1, 28, 28)."""
        import torch

        return torch.from_numpy(self.image.copy()).reshape(1, 1, MNIST_SIZE, MNIST_SIZE)


# ---------------------------------------------------------------------------------------------------------
# The preparation pipeline, one function per step (prepare_array lists them in order)

_Steps = list[tuple[str, np.ndarray]]


def _resize(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a float image to (width, height) in PIL's float mode, which keeps full precision."""
    shrinking = size[0] < a.shape[1] or size[1] < a.shape[0]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    out = np.asarray(Image.fromarray(np.ascontiguousarray(a, dtype=np.float32)).resize(size, resample))
    return np.clip(out, 0.0, None).astype(np.float32)


def _note(steps: _Steps | None, caption: str, picture: np.ndarray) -> None:
    """Keep a preview of a step (at most 280 pixels a side, read-only) when previews are wanted."""
    if steps is None:
        return
    a = np.clip(np.asarray(picture, dtype=np.float32), 0.0, 1.0)
    height, width = a.shape
    if max(height, width) > _PREVIEW_MAX_SIDE:
        scale = _PREVIEW_MAX_SIDE / max(height, width)
        a = np.clip(_resize(a, (max(1, round(width * scale)), max(1, round(height * scale)))), 0.0, 1.0)
    a = np.array(a, dtype=np.float32)  # own the buffer, then freeze it: PreparedImage is immutable
    a.setflags(write=False)
    steps.append((caption, a))


def _border(a: np.ndarray) -> np.ndarray:
    k = max(1, min(a.shape) * BORDER_PERCENT // 100)
    return np.concatenate([a[:k].ravel(), a[-k:].ravel(), a[:, :k].ravel(), a[:, -k:].ravel()])


def _is_dark_on_light(grey: np.ndarray) -> bool:
    """The border is mostly background even when the ink touches it, so a border closer to the brightest than
    to the darkest value means dark ink on light paper."""
    lo, hi = float(grey.min()), float(grey.max())
    border = float(np.median(_border(grey)))
    return border > 0.5 if hi - lo < 1e-6 else border > (lo + hi) / 2


def _trimmed_span(mass: np.ndarray, trim: float) -> tuple[int, int]:
    """First and last index of a mass profile after cutting up to `trim` of the total from each end."""
    cumulative = np.cumsum(mass, dtype=np.float64)
    total = cumulative[-1]
    start = int(np.searchsorted(cumulative, trim * total, side="right"))
    stop = int(np.searchsorted(cumulative, (1.0 - trim) * total, side="left"))
    return min(start, stop), max(start, stop)


def _stroke_width(mask: np.ndarray) -> float:
    """Rough stroke width of a binary drawing: a stroke of width w and length L has area wL and ~2L edge."""
    area = int(mask.sum())
    # Edge pixels: ink with a 4-neighbour that is not ink (outside the crop counts as not ink).
    edge = area - int(ndimage.binary_erosion(mask, border_value=0).sum())
    return 2.0 * area / edge if edge else float(max(mask.shape))


def _dilate(a: np.ndarray, radius: int) -> np.ndarray:
    """Grow the picture by `radius` on each side and take the maximum over (2r+1)x(2r+1) squares."""
    return ndimage.maximum_filter(np.pad(a, radius), size=2 * radius + 1, mode="constant", cval=0.0)


def _centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    row, col = ndimage.center_of_mass(a)
    return float(row), float(col)


def _ink(grey: np.ndarray, inverted: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(ink scaled so its peak is 1 and faint noise is 0, mask of the confident ink), or None when blank."""
    ink = 1.0 - grey if inverted else grey
    # Measure ink above the background level, so grey paper and faint scan noise do not count as ink.
    ink = np.clip(ink - float(np.median(_border(ink))), 0.0, 1.0)
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        return None
    mask = ink >= INK_THRESHOLD * peak
    ink = np.clip((ink - NOISE_FLOOR * peak) / ((1.0 - NOISE_FLOOR) * peak), 0.0, 1.0)
    return ink, mask


def _crop_and_thicken(ink: np.ndarray, mask: np.ndarray, steps: _Steps | None) -> np.ndarray:
    """Crop to the ink (dust trimmed off), then thicken strokes that 20x20 would turn into faint hairlines."""
    weights = np.where(mask, ink, 0.0)
    top, bottom = _trimmed_span(weights.sum(axis=1), INK_TRIM)
    left, right = _trimmed_span(weights.sum(axis=0), INK_TRIM)
    crop = ink[top : bottom + 1, left : right + 1]
    _note(steps, "cropped to the ink", crop)

    # Growing by r on each side also grows the box, hence the (1 - t) in the radius.
    longest = max(crop.shape)
    target = MIN_STROKE / BOX_SIZE
    width = _stroke_width(mask[top : bottom + 1, left : right + 1])
    radius = math.ceil((target * longest - width) / (2.0 * (1.0 - target)))
    if radius > 0:
        crop = _dilate(crop, radius)
        _note(steps, "strokes thickened", crop)
    return crop


def _fit_and_centre(crop: np.ndarray, steps: _Steps | None) -> np.ndarray | None:
    """Scale into the 20x20 box, then place it in 28x28 by its centre of mass; None if the ink vanished."""
    height, width = crop.shape
    scale = BOX_SIZE / max(height, width)
    fit_w = min(BOX_SIZE, max(1, round(width * scale)))
    fit_h = min(BOX_SIZE, max(1, round(height * scale)))
    fitted = _resize(crop, (fit_w, fit_h))
    if float(fitted.sum()) <= 0.0:
        return None
    if steps is not None:
        box = np.zeros((BOX_SIZE, BOX_SIZE), dtype=np.float32)
        box_top, box_left = (BOX_SIZE - fit_h) // 2, (BOX_SIZE - fit_w) // 2
        box[box_top : box_top + fit_h, box_left : box_left + fit_w] = fitted
        _note(steps, "fitted into 20x20", np.clip(box / box.max(), 0.0, 1.0))

    # Whole-pixel shift putting the centre of mass on (14, 14), as MNIST did, but never pushing ink out.
    centre_row, centre_col = _centre_of_mass(fitted)
    row = min(max(round(MNIST_SIZE / 2 - centre_row), 0), MNIST_SIZE - fit_h)
    col = min(max(round(MNIST_SIZE / 2 - centre_col), 0), MNIST_SIZE - fit_w)
    digit = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    digit[row : row + fit_h, col : col + fit_w] = fitted
    digit = np.clip(digit / digit.max(), 0.0, 1.0).astype(np.float32)
    _note(steps, "centred by mass in 28x28", digit)
    return digit


def _mnist_digit(grey: np.ndarray, inverted: bool | None, steps: _Steps | None) -> tuple[np.ndarray, bool]:
    """(28x28 digit, inverted?) from a grey float32 image in [0, 1]; `inverted` None means decide from the
    border. Appends a preview per step to `steps` unless it is None."""
    _note(steps, "original (grey)", grey)
    if inverted is None:
        inverted = _is_dark_on_light(grey)
    if inverted:
        _note(steps, "inverted", 1.0 - grey)
    blank = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    found = _ink(grey, inverted)
    digit = None if found is None else _fit_and_centre(_crop_and_thicken(*found, steps), steps)
    if digit is None:
        _note(steps, "no ink found", blank)
        return blank, inverted
    return digit, inverted


def prepare_array(grey: np.ndarray, *, dark_on_light: bool | None = None) -> np.ndarray:
    """A grey picture of one digit, (H, W) uint8 or float in [0, 1], as a float32 (28, 28) MNIST-style digit.

    White ink on black, brightest pixel 1.0; all zeros when no ink is found. `dark_on_light` says the ink is
    darker than the paper (True) or lighter (False); None decides it from the border as ``prepare_image``
    does. The steps, in order (fractions of the [0, 1] range or of the ink's peak):

    1. Over 1024 pixels a side, resized with PIL's BOX filter by s = 1024 / longest side to
       (max(1, round(W * s)), max(1, round(H * s))): uint8 in mode "L" (so rounded to uint8, as decoded uploads
       are), floats in mode "F". Then uint8 is divided by 255 in float32; floats are clipped to [0, 1].
    2. Polarity when not given: border = the outer k = max(1, min(H, W) * 3 // 100) rows and columns on all
       four sides (corners twice); dark on light if median(border) > (min + max) / 2 (> 0.5 for a flat image).
       Dark on light: ink = 1 - grey; else ink = grey.
    3. Background: ink = clip(ink - median(border of ink), 0, 1); peak = max(ink). peak < 0.1: blank.
    4. mask = ink >= 0.25 * peak; ink = clip((ink - 0.1 * peak) / (0.9 * peak), 0, 1).
    5. Crop: the row and column sums of ink-inside-mask, each trimmed by up to 0.5 % of the mass per end
       (first index whose cumulative sum exceeds 0.005 * total, last where it reaches 0.995 * total).
    6. Thicken: stroke width w = 2 * area / edge of the cropped mask (edge = mask pixels with a 4-neighbour
       off the mask or outside the crop); r = ceil((0.1 * longest side - w) / 1.8); if r > 0, pad by r zeros
       and take the maximum over (2r + 1)^2 squares.
    7. Fit: scale = 20 / longest side; size = min(20, max(1, round(side * scale))) with Python's round (half
       to even); PIL resize in float mode ("F"): BOX when either side shrinks, else BICUBIC; clip below 0.
       All zeros after it: blank.
    8. Centre: centre of mass (row, col) of the fitted patch, pixel centres at 0, 1, ...; offset =
       clamp(round(14 - centre), 0, 28 - size) (round half to even); the patch is placed at that offset.
    9. Divide by the maximum, clip to [0, 1], float32.
    """
    digit, _ = _mnist_digit(as_grey(grey), None if dark_on_light is None else bool(dark_on_light), None)
    return digit


def prepare_image(data: bytes, name: str, *, max_bytes: int = MAX_UPLOAD_MB * 2**20) -> PreparedImage:
    """Turn an uploaded file's bytes into an MNIST-style digit (``prepare_array``, with previews).

    Raises ImageError (and nothing else for bad input) when the file is empty, over `max_bytes`, not a
    PNG/JPEG/BMP/GIF/WebP image, over MAX_PIXELS, or damaged. Animations use their first frame; EXIF rotation
    is applied; transparency, 16-bit grey, palettes and CMYK are handled. A blank image is not an error: it
    comes back as all zeros with ``has_ink`` False.
    """
    name = name or "upload"
    data = bytes(data)
    if not data:
        raise ImageError(name, "the file is empty")
    if len(data) > max_bytes:
        raise ImageError(name, too_big_reason(len(data), max_bytes))
    refuse_non_image(data, name)

    img, (width, height) = open_first_frame(data, name)
    source_format = "JPEG" if img.format == "MPO" else str(img.format)
    try:
        stored_size = img.size
        # In place, so there is no copy when nothing needs turning. A broken EXIF block is no reason to refuse
        # pixels that decoded fine, so its errors are ignored.
        with contextlib.suppress(Exception):
            ImageOps.exif_transpose(img, in_place=True)
        if img.size != stored_size:  # turned a quarter: report the size as displayed
            width, height = height, width
        grey, alpha = grey_and_alpha(img, name)
    finally:
        img.close()

    steps: _Steps = []
    digit, inverted = _mnist_digit(flatten_alpha(grey, alpha), None, steps)
    digit.setflags(write=False)
    return PreparedImage(
        name=name,
        image=digit,
        inverted=inverted,
        steps=tuple(steps),
        source_format=source_format,
        source_size=(width, height),
    )
