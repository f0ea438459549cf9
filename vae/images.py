"""Uploaded pictures in, MNIST-style 28x28 digits out; and the small encoders the app uses for downloads.

``prepare_image`` turns the bytes of an uploaded file into what the models were trained on: white ink on
black, the ink scaled into a 20x20 box and placed in a 28x28 frame by its centre of mass. Anything it cannot
use raises ``ImageError`` with a sentence meant for the person who uploaded the file. The export helpers
(``png_bytes``, ``gif_bytes``, ``image_grid``, ...) are pure numpy-in, bytes-or-numpy-out functions.

Nothing here touches PIL's global settings: ``Image.MAX_IMAGE_PIXELS`` and ``ImageFile.LOAD_TRUNCATED_IMAGES``
keep their defaults, so truncated files fail instead of loading half grey.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageOps

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


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header alone, for files so large that PIL's bomb guard refuses to open them.

    Image.open runs the format plugins and then its bomb check; calling a plugin directly reads the same
    header without that check. Only used to word the refusal, so any failure just means "size unknown".
    """
    for fmt in SUPPORTED_FORMATS:
        factory, accept = Image.OPEN.get(fmt, (None, None))
        if factory is None or (accept is not None and not accept(data[:16])):
            continue
        try:
            with factory(io.BytesIO(data), "") as img:
                return img.size
        except Exception:  # e.g. GIF runs the bomb check inside its own header parsing
            continue
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
# Pixels


def _shrink(img: Image.Image, max_side: int) -> Image.Image:
    width, height = img.size
    if max(width, height) <= max_side:
        return img
    scale = max_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # BOX averages whole source areas: no ringing, and thin strokes keep their share of the ink.
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


def _border(a: np.ndarray) -> np.ndarray:
    k = max(1, min(a.shape) * 3 // 100)
    return np.concatenate([a[:k].ravel(), a[-k:].ravel(), a[:, :k].ravel(), a[:, -k:].ravel()])


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
    padded = np.pad(mask, 1)
    interior = mask & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    edge = area - int(interior.sum())
    return 2.0 * area / edge if edge else float(max(mask.shape))


def _max_filter_rows(a: np.ndarray, size: int) -> np.ndarray:
    """Running maximum over `size` consecutive rows, centred, with zeros beyond the edges."""
    radius = size // 2
    out = np.pad(a, ((radius, radius), (0, 0)))
    covered = 1
    # Doubling: after each pass out[i] is the max of rows i..i+covered-1, so log2(size) passes suffice.
    while covered < size:
        step = min(covered, size - covered)
        out[:-step] = np.maximum(out[:-step], out[step:])
        covered += step
    return out[: a.shape[0]]


def _dilate(a: np.ndarray, radius: int) -> np.ndarray:
    grown = np.pad(a, radius)
    size = 2 * radius + 1
    return _max_filter_rows(_max_filter_rows(grown, size).T, size).T


def _resize(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a float image to (width, height) in PIL's float mode, which keeps full precision."""
    shrinking = size[0] < a.shape[1] or size[1] < a.shape[0]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    out = np.asarray(Image.fromarray(np.ascontiguousarray(a, dtype=np.float32)).resize(size, resample))
    return np.clip(out, 0.0, None).astype(np.float32)


def _preview(a: np.ndarray) -> np.ndarray:
    a = np.clip(np.asarray(a, dtype=np.float32), 0.0, 1.0)
    height, width = a.shape
    if max(height, width) > _PREVIEW_MAX_SIDE:
        scale = _PREVIEW_MAX_SIDE / max(height, width)
        a = np.clip(_resize(a, (max(1, round(width * scale)), max(1, round(height * scale)))), 0.0, 1.0)
    a = np.array(a, dtype=np.float32)  # own the buffer, then freeze it: PreparedImage is immutable
    a.setflags(write=False)
    return a


def _centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    total = float(a.sum())
    rows = float((a.sum(axis=1) * np.arange(a.shape[0])).sum()) / total
    cols = float((a.sum(axis=0) * np.arange(a.shape[1])).sum()) / total
    return rows, cols


def _mnist_digit(grey: np.ndarray) -> tuple[np.ndarray, bool, list[tuple[str, np.ndarray]]]:
    """(28x28 digit, inverted?, preview steps) from a grey float image in [0, 1]."""
    steps: list[tuple[str, np.ndarray]] = [("original (grey)", _preview(grey))]
    blank = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)

    # MNIST is light ink on dark. The border is mostly background even when the ink touches it, so a border
    # closer to the brightest than to the darkest value means dark-on-light input.
    lo, hi = float(grey.min()), float(grey.max())
    border = float(np.median(_border(grey)))
    inverted = border > 0.5 if hi - lo < 1e-6 else border > (lo + hi) / 2
    ink = 1.0 - grey if inverted else grey
    if inverted:
        steps.append(("inverted", _preview(ink)))

    # Measure ink above the background level, so grey paper and faint scan noise do not count as ink.
    ink = np.clip(ink - float(np.median(_border(ink))), 0.0, 1.0)
    peak = float(ink.max())
    if peak < _MIN_CONTRAST:
        steps.append(("no ink found", _preview(blank)))
        return blank, inverted, steps
    mask = ink >= _INK_THRESHOLD * peak
    ink = np.clip((ink - _NOISE_FLOOR * peak) / ((1.0 - _NOISE_FLOOR) * peak), 0.0, 1.0)

    weights = np.where(mask, ink, 0.0)
    top, bottom = _trimmed_span(weights.sum(axis=1), _INK_TRIM)
    left, right = _trimmed_span(weights.sum(axis=0), _INK_TRIM)
    crop = ink[top : bottom + 1, left : right + 1]
    steps.append(("cropped to the ink", _preview(crop)))

    # A pen line in a large photo would shrink to a faint hairline in 20x20; thicken it first so it ends up
    # at least _MIN_STROKE pixels wide. Growing by r on each side also grows the box, hence the (1 - t).
    longest = max(crop.shape)
    target = _MIN_STROKE / BOX_SIZE
    width = _stroke_width(mask[top : bottom + 1, left : right + 1])
    radius = math.ceil((target * longest - width) / (2.0 * (1.0 - target)))
    if radius > 0:
        crop = _dilate(crop, radius)
        steps.append(("strokes thickened", _preview(crop)))

    height, width_px = crop.shape
    scale = BOX_SIZE / max(height, width_px)
    fit_w = min(BOX_SIZE, max(1, round(width_px * scale)))
    fit_h = min(BOX_SIZE, max(1, round(height * scale)))
    fitted = _resize(crop, (fit_w, fit_h))
    if float(fitted.sum()) <= 0.0:
        steps.append(("no ink found", _preview(blank)))
        return blank, inverted, steps
    box = np.zeros((BOX_SIZE, BOX_SIZE), dtype=np.float32)
    box_top, box_left = (BOX_SIZE - fit_h) // 2, (BOX_SIZE - fit_w) // 2
    box[box_top : box_top + fit_h, box_left : box_left + fit_w] = fitted
    steps.append(("fitted into 20x20", _preview(np.clip(box / box.max(), 0.0, 1.0))))

    # Whole-pixel shift putting the centre of mass on (14, 14), as MNIST did, but never pushing ink out.
    centre_row, centre_col = _centre_of_mass(fitted)
    row = min(max(round(MNIST_SIZE / 2 - centre_row), 0), MNIST_SIZE - fit_h)
    col = min(max(round(MNIST_SIZE / 2 - centre_col), 0), MNIST_SIZE - fit_w)
    digit = blank.copy()
    digit[row : row + fit_h, col : col + fit_w] = fitted
    digit = np.clip(digit / digit.max(), 0.0, 1.0).astype(np.float32)
    steps.append(("centred by mass in 28x28", _preview(digit)))
    return digit, inverted, steps


def prepare_image(data: bytes, name: str, *, max_bytes: int = MAX_UPLOAD_MB * 2**20) -> PreparedImage:
    """Turn an uploaded file's bytes into an MNIST-style digit.

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

    digit, inverted, steps = _mnist_digit(_flatten_alpha(grey, alpha))
    digit.setflags(write=False)
    return PreparedImage(
        name=name,
        image=digit,
        inverted=inverted,
        steps=tuple(steps),
        source_format=source_format,
        source_size=(width, height),
    )


# ---------------------------------------------------------------------------------------------------------
# Export helpers


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
