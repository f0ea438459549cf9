"""Uploaded pictures in, MNIST-style 28x28 digits out: decoding, checks and the preparation pipeline.

``prepare_image`` turns the bytes of an uploaded file into what the models were trained on; anything it
cannot use raises ``ImageError`` with a sentence meant for the person who uploaded the file.
``prepare_array`` is the same preparation for a grey array that is already decoded (see its docstring for
the steps, in order). Nothing here touches PIL's global settings: ``Image.MAX_IMAGE_PIXELS`` and
``ImageFile.LOAD_TRUNCATED_IMAGES`` keep their defaults, so truncated files fail instead of loading half grey.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import BmpImagePlugin, GifImagePlugin, Image, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin
from scipy import ndimage

if TYPE_CHECKING:
    import torch

MAX_UPLOAD_MB = 10  # keep equal to server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000
SUPPORTED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
UPLOAD_TYPES = ("png", "jpg", "jpeg", "bmp", "gif", "webp")

MNIST_SIZE = 28
BOX_SIZE = 20  # MNIST scales each digit into 20x20 and leaves a 4-pixel margin for the centring shift

# Tuning of the preparation, as fractions of the [0, 1] grey range or of the ink's peak.
_WORK_MAX_SIDE = 1024  # larger uploads are shrunk first: a digit needs far fewer pixels than a 40 MP photo
_PREVIEW_MAX_SIDE = 280
_MIN_CONTRAST = 0.1  # weaker than ~25 grey levels above the background is paper texture or JPEG noise
_NOISE_FLOOR = 0.1  # of the peak; below it everything becomes pure black, as in MNIST's background
_INK_THRESHOLD = 0.25  # of the peak; what counts as ink when finding the bounding box
_INK_TRIM = 0.005  # share of the ink mass that may be cut from each side: drops isolated dust specks
_MIN_STROKE = 2.0  # thinnest stroke, in output pixels, before strokes are thickened (MNIST's are 2-3)

_FORMAT_LIST = "PNG, JPEG, BMP, GIF or WebP"
_CORRUPT = "the image data is truncated or corrupt"
_TRANSPARENCY_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageError(ValueError):
    """An upload that cannot be turned into a digit; ``str(err)`` reads "<file name>: <reason>"."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, reason)
        self.name = name
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


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
# Upload checks


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _size_text(n_bytes: int) -> str:
    if n_bytes >= 2**20:
        return f"{_number(n_bytes / 2**20)} MB"
    if n_bytes >= 2**10:
        return f"{_number(n_bytes / 2**10)} KB"
    return f"{n_bytes} bytes"


def _too_big_reason(n_bytes: int, max_bytes: int) -> str:
    size, limit = _size_text(n_bytes), _size_text(max_bytes)
    if size == limit:  # "10 MB; the limit is 10 MB" would read as a contradiction
        size, limit = f"{n_bytes:,} bytes", f"{limit} ({max_bytes:,} bytes)"
    return f"the file is {size}; the upload limit is {limit}"


def _pixel_limit_text() -> str:
    return f"the limit is {_number(MAX_PIXELS / 1e6)} megapixels"


# Formats we decode, recognised by their first bytes so a damaged file is called damaged, not "not an image".
# BMP's "BM" is too short to trust on its own; it is only used once PIL has already failed.
def _supported_signature(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _unsupported_format(data: bytes) -> str | None:
    """Name a few common formats we refuse, so the message can say what the file actually is."""
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIC"
    if data.startswith(b"8BPS"):
        return "Photoshop (PSD)"
    return None


def _looks_like_text(sample: bytes) -> bool:
    if not sample or b"\x00" in sample:
        return False
    for cut in range(4):  # the sample may end inside a multi-byte UTF-8 character
        try:
            text = sample[: len(sample) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    printable = sum(ch.isprintable() or ch in "\t\n\r\f" for ch in text)
    return printable >= 0.95 * max(1, len(text))


def _refuse_non_image(data: bytes, name: str) -> None:
    """Catch the usual wrong files (drawings, documents, text) before PIL gives them a vaguer answer."""
    if _supported_signature(data):
        return
    if b"%PDF-" in data[:1024]:
        raise ImageError(name, "this is a PDF, not an image")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and b"<svg" in head:
        raise ImageError(name, "this is an SVG drawing, not a raster image")
    if head.startswith(b"<") and (head.startswith(b"<!doctype html") or b"<html" in head):
        raise ImageError(name, "this is not an image (it looks like an HTML page)")
    if _looks_like_text(data[:4096]):
        raise ImageError(name, "this is not an image (it looks like text)")


# The documented plugin classes read a header without Image.open's bomb check (see _header_size).
_HEADER_READERS = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "GIF": GifImagePlugin.GifImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
}


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header alone, for files so large that PIL's bomb guard refuses to open them.

    Image.open runs the format plugin and then its bomb check; constructing the plugin's class directly reads
    the same header without that check. Only used to word the refusal, so any failure means "size unknown".
    """
    fmt = _supported_signature(data) or ("BMP" if data.startswith(b"BM") else None)
    if fmt is None:
        return None
    try:
        with _HEADER_READERS[fmt](io.BytesIO(data)) as img:
            return img.size
    except Exception:  # a damaged header: the caller falls back to PIL's pixel count
        return None


def _dimensions_reason(width: int, height: int) -> str:
    megapixels = _number(width * height / 1e6)
    return f"the image is {width}x{height} pixels ({megapixels} megapixels); {_pixel_limit_text()}"


def _pixels_reason(data: bytes, exc: Exception) -> str:
    size = _header_size(data)
    if size is not None:
        return _dimensions_reason(*size)
    match = re.search(r"\((\d+) pixels\)", str(exc))  # PIL's message carries the pixel count
    size_text = f"{_number(int(match.group(1)) / 1e6)} megapixels" if match else "too large"
    return f"the image is {size_text}; {_pixel_limit_text()}"


def _open_first_frame(data: bytes, name: str) -> tuple[Image.Image, tuple[int, int]]:
    """Decode the first frame, refusing oversized or damaged files with an ImageError.

    Returns the image and its full size; big JPEGs are decoded at a reduced scale (see below).
    """
    # Image.open only parses the header, so the pixel limit is enforced before any pixel is decoded.
    # PIL's own DecompressionBombWarning is silenced because our limit is lower and gives a better message.
    # (catch_warnings is process-wide; a concurrent session could at worst see that one warning category muted.)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageError(name, _pixels_reason(data, exc)) from None
    except MemoryError:
        raise
    except Exception:  # UnidentifiedImageError mostly, but damaged headers can surface as other errors
        other = _unsupported_format(data)
        if other:
            raise ImageError(name, f"this is a {other} file, which is not supported; use {_FORMAT_LIST}") from None
        if _supported_signature(data) or data.startswith(b"BM"):
            raise ImageError(name, _CORRUPT) from None
        raise ImageError(name, f"this is not a recognised image file; use {_FORMAT_LIST}") from None

    # Phone cameras often write MPO (JPEG plus extra frames); the JPEG plugin hands those back as "MPO".
    fmt = "JPEG" if img.format == "MPO" else img.format
    if fmt not in SUPPORTED_FORMATS:
        img.close()
        raise ImageError(name, f"{fmt} images are not supported; use {_FORMAT_LIST}")
    width, height = img.size
    if width * height > MAX_PIXELS:
        img.close()
        raise ImageError(name, _dimensions_reason(width, height))
    if width < 1 or height < 1:
        img.close()
        raise ImageError(name, _CORRUPT)
    # JPEG can decode straight to 1/2, 1/4 or 1/8 scale, averaging in the DCT; asking for at least the working
    # size costs no detail and spares a 40 MP photo's full-size RGB buffer. Other formats ignore the request.
    img.draft(None, (_WORK_MAX_SIDE, _WORK_MAX_SIDE))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # A freshly opened animation already sits on frame 0; loading decodes just that frame.
            img.load()
    except Image.DecompressionBombError as exc:
        raise ImageError(name, _pixels_reason(data, exc)) from None
    except MemoryError:
        raise
    except Exception:  # decoders report damage as OSError, SyntaxError, ValueError, EOFError, zlib.error...
        raise ImageError(name, _CORRUPT) from None
    return img, (width, height)


# ---------------------------------------------------------------------------------------------------------
# Decoded pixels


def _shrink(img: Image.Image, max_side: int) -> Image.Image:
    """At most max_side pixels a side. BOX averages whole source areas: no ringing, and thin strokes keep their
    share of the ink. Not Image.thumbnail: its rounding of the short side differs for ~0.1 % of sizes, which
    moved some digits by a whole pixel."""
    width, height = img.size
    if max(width, height) <= max_side:
        return img
    scale = max_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return img.resize(size, Image.Resampling.BOX)


def _grey_and_alpha(img: Image.Image, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Float32 grey in [0, 1] (and alpha when the image has any), shrunk to the working size."""
    mode = img.mode
    if mode.startswith("I") or mode == "F":
        # 16- and 32-bit greys: scale by the bit depth; a plain convert("L") clips everything above 255 to white.
        hi = img.getextrema()[1]
        if mode.startswith("I;16"):
            full = 65535.0
        elif mode == "F" and hi <= 1.0:
            full = 1.0
        else:
            full = 65535.0 if hi > 255 else 255.0
        grey = np.asarray(_shrink(img.convert("F"), _WORK_MAX_SIDE), dtype=np.float32) / full
        return np.clip(grey, 0.0, 1.0), None
    try:
        if mode in _TRANSPARENCY_MODES or "transparency" in img.info:
            # Via RGBA so palette and single-colour transparency become a real alpha channel.
            rgba = img if mode in ("RGBA", "LA") else img.convert("RGBA")
            la = rgba if mode == "LA" else rgba.convert("LA")
            pixels = np.asarray(_shrink(la, _WORK_MAX_SIDE), dtype=np.float32) / 255.0
            return pixels[..., 0], pixels[..., 1]
        try:
            grey_img = img.convert("L")
        except ValueError:  # modes without a direct route to L (CMYK on some builds, YCbCr, ...)
            grey_img = img.convert("RGB").convert("L")
    except ValueError:
        raise ImageError(name, f"its colour mode ({mode}) is not supported") from None
    return np.asarray(_shrink(grey_img, _WORK_MAX_SIDE), dtype=np.float32) / 255.0, None


def _flatten_alpha(grey: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Put a transparent image on a background that contrasts with what was drawn on it."""
    if alpha is None or alpha.min() > 254.5 / 255:
        return grey
    coverage = float(alpha.sum())
    if coverage <= 0.0:  # nothing drawn at all
        return np.zeros_like(grey)
    # What is opaque is taken to be the ink: dark ink goes on white, light ink on black. The colour stored
    # under transparent pixels is arbitrary (often black), so it must not take part in the decision.
    ink_mean = float((grey * alpha).sum()) / coverage
    background = 1.0 if ink_mean < 0.5 else 0.0
    return grey * alpha + background * (1.0 - alpha)


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
    k = max(1, min(a.shape) * 3 // 100)
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
    if peak < _MIN_CONTRAST:
        return None
    mask = ink >= _INK_THRESHOLD * peak
    ink = np.clip((ink - _NOISE_FLOOR * peak) / ((1.0 - _NOISE_FLOOR) * peak), 0.0, 1.0)
    return ink, mask


def _crop_and_thicken(ink: np.ndarray, mask: np.ndarray, steps: _Steps | None) -> np.ndarray:
    """Crop to the ink (dust trimmed off), then thicken strokes that 20x20 would turn into faint hairlines."""
    weights = np.where(mask, ink, 0.0)
    top, bottom = _trimmed_span(weights.sum(axis=1), _INK_TRIM)
    left, right = _trimmed_span(weights.sum(axis=0), _INK_TRIM)
    crop = ink[top : bottom + 1, left : right + 1]
    _note(steps, "cropped to the ink", crop)

    # Growing by r on each side also grows the box, hence the (1 - t) in the radius.
    longest = max(crop.shape)
    target = _MIN_STROKE / BOX_SIZE
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


def _as_grey(grey: np.ndarray) -> np.ndarray:
    """Float32 [0, 1] at the working size; uint8 is shrunk as uint8, exactly as a decoded upload is."""
    a = np.asarray(grey)
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"expected a grey image shaped (H, W), got shape {a.shape}")
    if a.dtype == np.uint8:
        return np.asarray(_shrink(Image.fromarray(a), _WORK_MAX_SIDE), dtype=np.float32) / 255.0
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError("the grey image contains NaN or infinite values")
    a = np.clip(a, 0.0, 1.0)
    return np.clip(np.asarray(_shrink(Image.fromarray(a), _WORK_MAX_SIDE), dtype=np.float32), 0.0, 1.0)


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
    digit, _ = _mnist_digit(_as_grey(grey), None if dark_on_light is None else bool(dark_on_light), None)
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
        raise ImageError(name, _too_big_reason(len(data), max_bytes))
    _refuse_non_image(data, name)

    img, (width, height) = _open_first_frame(data, name)
    source_format = "JPEG" if img.format == "MPO" else str(img.format)
    try:
        stored_size = img.size
        # In place, so there is no copy when nothing needs turning. A broken EXIF block is no reason to refuse
        # pixels that decoded fine, so its errors are ignored.
        with contextlib.suppress(Exception):
            ImageOps.exif_transpose(img, in_place=True)
        if img.size != stored_size:  # turned a quarter: report the size as displayed
            width, height = height, width
        grey, alpha = _grey_and_alpha(img, name)
    finally:
        img.close()

    steps: _Steps = []
    digit, inverted = _mnist_digit(_flatten_alpha(grey, alpha), None, steps)
    digit.setflags(write=False)
    return PreparedImage(
        name=name,
        image=digit,
        inverted=inverted,
        steps=tuple(steps),
        source_format=source_format,
        source_size=(width, height),
    )
