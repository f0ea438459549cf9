"""Image files: an upload's bytes (or an array) decoded to float32 grey at the working size, refusing what we
cannot use (the size and format limits live here).

Every refusal is an ``ImageError`` with a sentence meant for the person who uploaded the file; ``vae.images``
turns the grey into a digit. Nothing here touches PIL's global settings: ``Image.MAX_IMAGE_PIXELS`` and
``ImageFile.LOAD_TRUNCATED_IMAGES`` keep their defaults, so truncated files fail instead of loading half grey.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
from PIL import BmpImagePlugin, GifImagePlugin, Image, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

MAX_PIXELS = 40_000_000
SUPPORTED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
_WORK_MAX_SIDE = 1024  # larger uploads are shrunk first: a digit needs far fewer pixels than a 40 MP photo

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


def too_big_reason(n_bytes: int, max_bytes: int) -> str:
    """Why a file of `n_bytes` is refused, with the limit, in sizes a person reads ("12.3 MB")."""
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


def refuse_non_image(data: bytes, name: str) -> None:
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


def open_first_frame(data: bytes, name: str) -> tuple[Image.Image, tuple[int, int]]:
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


def grey_and_alpha(img: Image.Image, name: str) -> tuple[np.ndarray, np.ndarray | None]:
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


def flatten_alpha(grey: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
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


def as_grey(grey: np.ndarray) -> np.ndarray:
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
