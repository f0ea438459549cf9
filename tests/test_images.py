"""Tests for vae.images and vae.export: a corpus of generated uploads (good, blank, broken, hostile), export helpers.

Every file is built here with PIL/numpy at test time; nothing is read from disk. Each upload either yields a
well-formed MNIST-style digit or raises ImageError naming the file and the reason, and never anything else.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFile

import vae.images
from vae.export import error_heatmap, gif_bytes, image_grid, image_strip, png_bytes, to_uint8, upscale_nearest
from vae.image_files import MAX_PIXELS, SUPPORTED_FORMATS, ImageError
from vae.images import MAX_UPLOAD_MB, UPLOAD_TYPES, PreparedImage, prepare_array, prepare_image

SIZE = 120  # side of the generated test digits


# ---------------------------------------------------------------------------------------------------------
# Building the corpus


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def draw_digit(draw: ImageDraw.ImageDraw, ink, size: int = SIZE) -> None:
    """A slashed zero: asymmetric enough to show a wrong crop, balanced enough to centre by mass."""
    s = size / 120
    draw.ellipse([35 * s, 15 * s, 85 * s, 105 * s], outline=ink, width=round(10 * s))
    draw.line([(40 * s, 95 * s), (80 * s, 25 * s)], fill=ink, width=round(8 * s))


def digit_image(mode: str = "L", background=255, ink=0, size: int = SIZE) -> Image.Image:
    img = Image.new(mode, (size, size), background)
    draw_digit(ImageDraw.Draw(img), ink, size)
    return img


def digit_mask(size: int = SIZE) -> np.ndarray:
    return np.asarray(digit_image("L", 0, 255, size)) > 127


def transparent_digit(ink: int, hidden: int) -> bytes:
    """RGBA: the digit opaque in grey `ink`, everything else transparent with colour `hidden` underneath."""
    mask = digit_mask()
    rgba = np.zeros((SIZE, SIZE, 4), dtype=np.uint8)
    rgba[..., :3] = np.where(mask[..., None], ink, hidden)
    rgba[..., 3] = np.where(mask, 255, 0)
    return encode(Image.fromarray(rgba), "PNG")


def transparent_rgba_array() -> np.ndarray:
    mask = digit_mask()
    rgba = np.zeros((SIZE, SIZE, 4), dtype=np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = np.where(mask, 255, 0)
    return rgba


def grey16_digit() -> bytes:
    # Both levels above 255, so a converter that clips 16-bit values to 8 bits sees a blank white image.
    pixels = np.where(digit_mask(), 10_000, 40_000).astype(np.uint16)
    img = Image.fromarray(pixels)
    assert img.mode == "I;16"
    return encode(img, "PNG")


def palette_digit(transparent: bool) -> bytes:
    rgb = digit_image("RGB", (250, 230, 120), (20, 40, 160))  # blue ink on yellow paper
    pal = rgb.quantize(colors=8)
    if transparent:
        background_index = pal.getpixel((0, 0))
        return encode(pal, "PNG", transparency=background_index)
    return encode(pal, "PNG")


def cmyk_digit() -> bytes:
    img = digit_image("CMYK", (0, 0, 0, 0), (0, 0, 0, 255))  # black (K) ink on unprinted paper
    return encode(img, "JPEG", quality=90)


def bar_frame(horizontal: bool) -> Image.Image:
    img = Image.new("L", (SIZE, SIZE), 255)
    box = [20, 55, 100, 65] if horizontal else [55, 20, 65, 100]
    ImageDraw.Draw(img).rectangle(box, fill=0)
    return img


def animated(fmt: str) -> bytes:
    frames = [bar_frame(horizontal=True), bar_frame(horizontal=False)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    return data


def gamma_shape() -> Image.Image:
    """A heavy bar along the top and a thin one down the left: every rotation looks different."""
    img = Image.new("L", (SIZE, SIZE), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle([20, 15, 100, 40], fill=0)
    draw.rectangle([20, 15, 32, 105], fill=0)
    return img


def exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the stored image must be turned 90 degrees clockwise for display
    return encode(gamma_shape().convert("RGB"), "JPEG", quality=95, exif=exif.tobytes())


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int, height: int) -> bytes:
    """A genuine, fully valid all-black 1-bit PNG; zeros compress ~1000:1, so it stays small."""
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(row * 1000) for _ in range(height // 1000)]
    chunks += [compressor.compress(row * (height % 1000)), compressor.flush()]
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(chunks))
        + png_chunk(b"IEND", b"")
    )


def bmp_header(width: int, height: int) -> bytes:
    """Only the headers of an 8-bit BMP (no pixel rows): enough for PIL to report the size."""
    palette = bytes(256 * 4)
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, 0, 2835, 2835, 256, 0)
    return b"BM" + struct.pack("<IHHI", offset, 0, 0, offset) + info + palette


def gif_header(width: int, height: int) -> bytes:
    """A GIF whose screen and only frame claim width x height but hold a single byte of image data."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x08\x02\x4c\x01\x00"
    return screen + frame + b";"


def scan_like(size: int = 200, stroke: int = 16, seed: int = 0) -> Image.Image:
    """A thick black "7" on off-white paper with grain and one dust speck, like a phone scan."""
    rng = np.random.default_rng(seed)
    paper = rng.normal(235, 6, (size, size)).clip(0, 255).astype(np.uint8)
    img = Image.fromarray(paper)
    draw = ImageDraw.Draw(img)
    s = size / 200
    draw.line([(55 * s, 45 * s), (145 * s, 45 * s), (85 * s, 165 * s)], fill=20, width=stroke, joint="curve")
    draw.rectangle([185 * s, 185 * s, 187 * s, 187 * s], fill=0)  # a dust speck far from the digit
    return img


def thin_pen_digit() -> bytes:
    img = Image.new("L", (1500, 1500), 255)
    draw = ImageDraw.Draw(img)
    draw.ellipse([450, 200, 1050, 1300], outline=0, width=3)
    draw.line([(500, 1200), (1000, 300)], fill=0, width=3)
    return encode(img, "PNG")


def random_bytes() -> bytes:
    return np.random.default_rng(1).bytes(5000)


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M1 1"/></svg>'
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html>\n<html><body><img src='digit.png'></body></html>\n"
TEXT = "My favourite digit is 7.\nIt has a line across — in Europe.\n".encode()


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    make: Callable[[], bytes]
    expect: str  # "digit", "blank" or "error"
    words: tuple[str, ...] = ()  # for errors: words the message must contain besides the file name
    inverted: bool | None = None
    check: Callable[[PreparedImage], None] | None = None
    like_reference: bool = False  # same drawing as the plain PNG digit, so the results must agree


def first_frame_is_horizontal(result: PreparedImage) -> None:
    rows, cols = np.nonzero(result.image > 0.2)
    assert np.ptp(cols) > 3 * np.ptp(rows), "expected frame 0 (horizontal bar), got frame 1"


def rotation_applied(result: PreparedImage) -> None:
    upright = prepare_image(encode(gamma_shape().transpose(Image.Transpose.ROTATE_270), "PNG"), "r.png").image
    as_stored = prepare_image(encode(gamma_shape(), "PNG"), "s.png").image
    assert correlation(result.image, upright) > 0.9
    assert correlation(result.image, as_stored) < 0.7
    # The heavy top bar of the stored picture is on the right once displayed.
    assert result.image[:, 14:].sum() > 1.5 * result.image[:, :14].sum()


def thickened(result: PreparedImage) -> None:
    assert "strokes thickened" in [caption for caption, _ in result.steps]
    assert (result.image > 0.5).sum() >= 60, "a 3 px pen line in a 1500 px scan must not fade to a hairline"


def d(case_id: str, make: Callable[[], bytes], ext: str = "png", **kw) -> Case:
    kw.setdefault("like_reference", kw.get("check") is None)
    return Case(case_id, f"{case_id}.{ext}", make, "digit", **kw)


def blank(case_id: str, make: Callable[[], bytes]) -> Case:
    return Case(case_id, f"{case_id}.png", make, "blank")


def err(case_id: str, make: Callable[[], bytes], *words: str, ext: str = "png") -> Case:
    return Case(case_id, f"{case_id}.{ext}", make, "error", words)


CORPUS = [
    # Good digits in every supported format and in the awkward modes.
    d("png-grey", lambda: encode(digit_image(), "PNG"), inverted=True),
    d("png-white-on-black", lambda: encode(digit_image(background=0, ink=255), "PNG"), inverted=False),
    d("jpeg-rgb", lambda: encode(digit_image("RGB", (255, 255, 255), (0, 0, 0)), "JPEG", quality=85), "jpg"),
    d("jpeg-grey", lambda: encode(digit_image(), "JPEG", quality=85), "jpg"),
    d("bmp-rgb", lambda: encode(digit_image("RGB", (255, 255, 255), (0, 0, 0)), "BMP"), "bmp"),
    d("bmp-1bit", lambda: encode(digit_image("1", 1, 0), "BMP"), "bmp", inverted=True),
    d("gif-static", lambda: encode(digit_image(), "GIF"), "gif"),
    d("webp-lossy", lambda: encode(digit_image("RGB", (255, 255, 255), (0, 0, 0)), "WEBP", quality=80), "webp"),
    d("webp-lossless", lambda: encode(digit_image(), "WEBP", lossless=True), "webp"),
    d("png-16bit-grey", grey16_digit, inverted=True),
    d("png-palette", lambda: palette_digit(transparent=False), inverted=True),
    d("png-palette-transparent", lambda: palette_digit(transparent=True)),
    d("rgba-black-ink-hidden-black", lambda: transparent_digit(ink=0, hidden=0)),
    d("rgba-black-ink-hidden-white", lambda: transparent_digit(ink=0, hidden=255)),
    d("rgba-white-ink-hidden-black", lambda: transparent_digit(ink=255, hidden=0)),
    d("rgba-white-ink-hidden-white", lambda: transparent_digit(ink=255, hidden=255)),
    d("la-white-ink", lambda: encode(Image.fromarray(transparent_rgba_array()).convert("LA"), "PNG")),
    d("jpeg-cmyk", cmyk_digit, "jpg", inverted=True),
    d(
        "mnist-sized",
        lambda: encode(digit_image(background=0, ink=255, size=28), "PNG"),
        inverted=False,
        like_reference=False,
    ),
    d("tiny-12px", lambda: encode(digit_image(size=12), "PNG"), like_reference=False),
    d("gif-animated", lambda: animated("GIF"), "gif", check=first_frame_is_horizontal),
    d("webp-animated", lambda: animated("WEBP"), "webp", check=first_frame_is_horizontal),
    d("jpeg-exif-rotated", exif_rotated_jpeg, "jpg", check=rotation_applied),
    d("thin-pen-1500px", thin_pen_digit, check=thickened),
    d("scan-with-dust", lambda: encode(scan_like(), "JPEG", quality=90), "jpg", inverted=True, like_reference=False),
    # Nothing to crop: a defined blank result, not an exception.
    blank("one-pixel", lambda: encode(Image.new("L", (1, 1), 0), "PNG")),
    blank("one-pixel-white", lambda: encode(Image.new("RGB", (1, 1), (255, 255, 255)), "PNG")),
    blank("all-white", lambda: encode(Image.new("L", (64, 48), 255), "PNG")),
    blank("all-black", lambda: encode(Image.new("L", (64, 48), 0), "PNG")),
    blank("all-transparent", lambda: encode(Image.new("RGBA", (40, 40), (0, 0, 0, 0)), "PNG")),
    blank(
        "faint-grain",
        lambda: encode(Image.fromarray(np.random.default_rng(2).integers(120, 128, (50, 50), dtype=np.uint8)), "PNG"),
    ),
    # Unusable uploads: each refused with its own reason.
    err("empty", lambda: b"", "empty"),
    err("random-bytes", random_bytes, "not a recognised image"),
    err("notes", lambda: TEXT, "text"),
    err("page", lambda: HTML, "HTML"),
    err("drawing", lambda: SVG, "SVG"),
    err("drawing-bare", lambda: b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG"),
    err("document", lambda: PDF, "PDF"),
    err("cut-png", lambda: half(encode(digit_image(), "PNG")), "truncated or corrupt"),
    err("cut-png-header", lambda: encode(digit_image(), "PNG")[:20], "truncated or corrupt"),
    err("cut-jpeg", lambda: half(encode(digit_image(), "JPEG")), "truncated or corrupt", ext="jpg"),
    err("tiff", lambda: encode(digit_image(), "TIFF"), "TIFF", "not supported"),
    err("huge-20000", lambda: huge_png(20_000, 20_000), "20000x20000 pixels", "limit is 40 megapixels"),
    err("huge-bmp-header", lambda: bmp_header(20_000, 20_000), "20000x20000", "megapixels", ext="bmp"),
    err("huge-gif-header", lambda: gif_header(20_000, 20_000), "20000x20000", "megapixels", ext="gif"),
    err("bmp-no-pixels", lambda: bmp_header(100, 100), "truncated or corrupt", ext="bmp"),
    err("huge-10000", lambda: huge_png(10_000, 10_000), "10000x10000", "limit is 40"),
    err("huge-8000", lambda: huge_png(8_000, 8_000), "8000x8000", "limit is 40"),
    err("over-limit", lambda: encode(digit_image(), "PNG") + bytes(11 * 2**20), "11 MB", "upload limit is 10 MB"),
]


# ---------------------------------------------------------------------------------------------------------
# Checks


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def assert_mnist_like(result: PreparedImage) -> None:
    image = result.image
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() == pytest.approx(1.0)
    assert result.has_ink
    row, col = centre_of_mass(image)
    assert abs(row - 14) <= 1.0 and abs(col - 14) <= 1.0, (row, col)
    rows, cols = np.nonzero(image > 0.05)
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert max(height, width) <= 21, (height, width)  # fitted into 20x20, one pixel of tolerance
    assert max(height, width) >= 17, (height, width)  # and it fills that box
    assert image[0].max() == 0 or image[:, 0].max() == 0  # a frame of background, as in MNIST


@pytest.fixture(scope="module")
def reference_digit() -> np.ndarray:
    return prepare_image(encode(digit_image(), "PNG"), "reference.png").image


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_corpus(case: Case, reference_digit: np.ndarray) -> None:
    data = case.make()
    started = time.perf_counter()
    try:
        result = prepare_image(data, case.name)
    except ImageError as exc:
        elapsed = time.perf_counter() - started
        assert case.expect == "error", f"unexpected refusal: {exc}"
        message = str(exc)
        assert message.startswith(f"{case.name}: ")
        assert exc.name == case.name and exc.reason in message
        for word in case.words:
            assert word in message, message
        assert elapsed < 3.0, "refusals must come before decoding pixels"
        return
    # Any other exception type propagates and fails the test, as it should.
    assert case.expect != "error", f"{case.id} should have been refused"
    assert isinstance(result, PreparedImage) and result.name == case.name
    if case.expect == "blank":
        assert not result.has_ink
        assert result.image.shape == (28, 28) and result.image.dtype == np.float32
        assert not result.image.any()
        return
    assert_mnist_like(result)
    if case.inverted is not None:
        assert result.inverted is case.inverted
    if case.check is not None:
        case.check(result)
    if case.like_reference:
        assert correlation(result.image, reference_digit) > 0.9


def test_huge_png_builder_writes_valid_files() -> None:
    # The same builder at a decodable size: the refused 20000x20000 file is a real PNG, not a fake header.
    with Image.open(io.BytesIO(huge_png(2_000, 1_500))) as img:
        assert img.size == (2_000, 1_500) and img.mode == "1"
        assert not np.asarray(img).any()
    assert len(huge_png(20_000, 20_000)) < MAX_UPLOAD_MB * 2**20


def test_upload_limit_is_a_parameter() -> None:
    with pytest.raises(ImageError, match=r"small\.png: the file is 1\.2 KB; the upload limit is 1000 bytes"):
        prepare_image(bytes(1200), "small.png", max_bytes=1000)
    with pytest.raises(ImageError, match=r"the file is 10,485,761 bytes; the upload limit is 10 MB \(10,485,760"):
        prepare_image(bytes(10 * 2**20 + 1), "edge.png")


def test_damaged_files_only_raise_image_error() -> None:
    """Truncations and flipped bytes anywhere: a valid digit, a blank, or ImageError, never another error."""
    rng = np.random.default_rng(3)
    sources = {
        "PNG": encode(digit_image(), "PNG"),
        "JPEG": encode(digit_image(), "JPEG"),
        "GIF": encode(digit_image(), "GIF"),
        "BMP": encode(digit_image(), "BMP"),
        "WEBP": encode(digit_image(), "WEBP"),
    }
    for fmt, data in sources.items():
        variants = [data[:cut] for cut in (4, 12, 30, 60, len(data) // 3, len(data) - 8)]
        for _ in range(10):
            damaged = bytearray(data)
            for position in rng.integers(0, len(data), 4):
                damaged[position] ^= int(rng.integers(1, 256))
            variants.append(bytes(damaged))
        for variant in variants:
            try:
                result = prepare_image(variant, f"damaged.{fmt.lower()}")
            except ImageError as exc:
                assert str(exc).startswith("damaged.")
                continue
            assert result.image.shape == (28, 28) and result.image.dtype == np.float32
            assert result.image.min() >= 0.0 and result.image.max() <= 1.0


def test_realistic_scan_of_a_seven() -> None:
    result = prepare_image(encode(scan_like(), "JPEG", quality=85), "seven.jpg")
    assert result.inverted
    assert_mnist_like(result)
    captions = [caption for caption, _ in result.steps]
    assert captions == [
        "original (grey)",
        "inverted",
        "cropped to the ink",
        "fitted into 20x20",
        "centred by mass in 28x28",
    ]
    for _, picture in result.steps:
        assert picture.dtype == np.float32 and picture.ndim == 2
        assert picture.min() >= 0.0 and picture.max() <= 1.0
    assert result.steps[0][1].shape == (200, 200)
    assert result.steps[0][1].mean() > 0.8  # the original preview is still dark-on-light paper
    assert np.array_equal(result.steps[-1][1], result.image)
    # White on black: background pixels are exactly zero, and the 7's bar is at the top, its foot lower left.
    assert (result.image == 0).mean() > 0.6
    rows, cols = np.nonzero(result.image > 0.3)
    assert rows[cols.argmax()] < 14  # the rightmost ink is the end of the bar, in the upper half
    assert cols[rows.argmax()] < 14  # the lowest ink is the foot, left of centre
    # The dust speck in the corner did not widen the crop: the digit still fills the box, the corner is empty.
    assert max(np.ptp(rows), np.ptp(cols)) + 1 >= 19
    assert not result.image[20:, 21:].any()


def test_large_previews_are_small() -> None:
    img = scan_like(size=1000, stroke=60).resize((1000, 600))
    result = prepare_image(encode(img, "PNG"), "wide.png")
    assert result.source_size == (1000, 600) and result.source_format == "PNG"
    for caption, picture in result.steps:
        assert max(picture.shape) <= 280, caption
    assert result.steps[0][1].shape == (168, 280)


def test_source_size_is_reported_as_displayed() -> None:
    exif = Image.Exif()
    exif[0x0112] = 8  # stored sideways: turned a quarter for display
    img = Image.new("RGB", (160, 100), (255, 255, 255))
    ImageDraw.Draw(img).rectangle([40, 30, 120, 60], fill=(0, 0, 0))
    result = prepare_image(encode(img, "JPEG", exif=exif.tobytes()), "sideways.jpg")
    assert result.source_size == (100, 160) and result.source_format == "JPEG"
    rows, cols = np.nonzero(result.image > 0.5)
    assert np.ptp(rows) > 1.5 * np.ptp(cols)  # the horizontal bar stands upright once turned


def test_prepared_image_is_frozen_and_converts_to_a_tensor() -> None:
    result = prepare_image(encode(digit_image(), "PNG"), "seven.png")
    tensor = result.tensor()
    assert tensor.shape == (1, 1, 28, 28) and tensor.dtype == torch.float32
    assert torch.equal(tensor[0, 0], torch.from_numpy(result.image.copy()))
    with pytest.raises(ValueError):
        result.image[0, 0] = 1.0  # read-only: a cached result cannot be scribbled on
    with pytest.raises(AttributeError):
        result.inverted = False  # type: ignore[misc]


def test_pil_global_state_left_alone() -> None:
    before = Image.MAX_IMAGE_PIXELS
    prepare_image(encode(digit_image(), "PNG"), "a.png")
    with pytest.raises(ImageError):
        prepare_image(huge_png(20_000, 20_000), "b.png")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert before == Image.MAX_IMAGE_PIXELS


def test_image_error_reads_as_a_sentence() -> None:
    exc = ImageError("scan.png", "the file is empty")
    assert isinstance(exc, ValueError)
    assert str(exc) == "scan.png: the file is empty"
    assert (exc.name, exc.reason) == ("scan.png", "the file is empty")


def test_constants_agree() -> None:
    assert MAX_UPLOAD_MB == 10 and MAX_PIXELS == 40_000_000
    extensions = {
        "PNG": {"png"},
        "JPEG": {"jpg", "jpeg"},
        "BMP": {"bmp"},
        "GIF": {"gif"},
        "WEBP": {"webp"},
    }
    assert set(SUPPORTED_FORMATS) == set(extensions)
    assert set(UPLOAD_TYPES) == set().union(*extensions.values())


# ---------------------------------------------------------------------------------------------------------
# prepare_array, and the scipy filters that replaced hand-written loops


def stroke_digit(seed: int) -> tuple[Image.Image, bool]:
    """A random pen drawing (1-4 strokes of 3-12 points) and whether its ink is dark on light.

    Canvases from 28 to 2300 pixels, square or not: the large ones go through the working-size shrink, thin
    strokes on them through the thickening, so every step of the preparation is exercised.
    """
    rng = np.random.default_rng(seed)
    width = int(rng.choice([28, 64, 120, 200, 280, 400, 777, 1100, 1500, 2300]))
    height = int(width * rng.uniform(0.5, 1.6)) if rng.random() < 0.6 else width
    dark = bool(rng.random() < 0.5)
    img = Image.new("L", (width, height), 255 if dark else 0)
    draw = ImageDraw.Draw(img)
    pen = max(1, int(min(width, height) * rng.uniform(0.005, 0.12)))
    for _ in range(int(rng.integers(1, 5))):
        n = int(rng.integers(3, 13))
        xs, ys = rng.uniform(0.15, 0.85, n) * width, rng.uniform(0.1, 0.9, n) * height
        draw.line(
            [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)],
            fill=0 if dark else 255,
            width=pen,
            joint="curve",
        )
    return img, dark


def legacy_dilate(a: np.ndarray, radius: int) -> np.ndarray:
    """The hand-written running maximum (doubling passes over rows, then columns) that maximum_filter replaced."""
    size = 2 * radius + 1

    def rows_max(b: np.ndarray) -> np.ndarray:
        out = np.pad(b, ((radius, radius), (0, 0)))
        covered = 1
        while covered < size:
            step = min(covered, size - covered)
            out[:-step] = np.maximum(out[:-step], out[step:])
            covered += step
        return out[: b.shape[0]]

    return rows_max(rows_max(np.pad(a, radius)).T).T


def legacy_stroke_width(mask: np.ndarray) -> float:
    area = int(mask.sum())
    padded = np.pad(mask, 1)
    interior = mask & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    edge = area - int(interior.sum())
    return 2.0 * area / edge if edge else float(max(mask.shape))


def legacy_centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    total = float(a.sum())
    rows = float((a.sum(axis=1) * np.arange(a.shape[0])).sum()) / total
    cols = float((a.sum(axis=0) * np.arange(a.shape[1])).sum()) / total
    return rows, cols


def test_scipy_filters_give_the_same_digits_as_the_loops_they_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tolerance zero: on 40 drawings and the corpus, every digit and every preview is the same to the byte."""
    uploads = [encode(stroke_digit(seed)[0], "PNG") for seed in range(40)]
    uploads += [case.make() for case in CORPUS if case.expect == "digit"]
    new = [prepare_image(data, "new.png") for data in uploads]
    monkeypatch.setattr(vae.images, "_dilate", legacy_dilate)
    monkeypatch.setattr(vae.images, "_stroke_width", legacy_stroke_width)
    monkeypatch.setattr(vae.images, "_centre_of_mass", legacy_centre_of_mass)
    old = [prepare_image(data, "old.png") for data in uploads]
    thickened = 0
    for before, after in zip(old, new, strict=True):
        assert before.image.tobytes() == after.image.tobytes()
        assert [c for c, _ in before.steps] == [c for c, _ in after.steps]
        assert all(a.tobytes() == b.tobytes() for (_, a), (_, b) in zip(before.steps, after.steps, strict=True))
        thickened += "strokes thickened" in [c for c, _ in after.steps]
    assert thickened >= 10  # the dilation really ran, with many radii


def test_prepare_array_is_the_upload_pipeline_without_decoding() -> None:
    """uint8 in: the same bytes as the upload. Float in: the same up to 1024 pixels a side; above, the float
    shrink skips the upload's rounding to uint8: measured on these 17 drawings, at most 9e-5 per pixel for 16
    and 0.034 for one (a pixel's ink crossing a threshold), hence the 0.05 bound."""
    shrunk = 0
    for seed in range(40):
        img, dark = stroke_digit(seed)
        expected = prepare_image(encode(img, "PNG"), "drawn.png").image
        pixels = np.asarray(img)
        for result in (prepare_array(pixels), prepare_array(pixels, dark_on_light=dark)):
            assert result.dtype == np.float32 and result.shape == (28, 28)
            assert result.tobytes() == expected.tobytes(), seed
        floats = prepare_array(np.asarray(img, dtype=np.float32) / 255.0, dark_on_light=dark)
        if max(img.size) <= 1024:
            assert floats.tobytes() == expected.tobytes(), seed
        else:
            shrunk += 1
            assert np.abs(floats - expected).max() <= 0.05, seed
    assert shrunk >= 5


def test_prepare_array_polarity_and_bad_input() -> None:
    white_on_black = np.asarray(digit_image(background=0, ink=255))
    right = prepare_array(white_on_black, dark_on_light=False)
    assert_mnist_like(PreparedImage("a", right, False, ()))
    # Told the ink is dark, the black paper becomes the ink's level and the white strokes fall below it: blank.
    assert not prepare_array(white_on_black, dark_on_light=True).any()
    assert not prepare_array(np.zeros((40, 30))).any()
    assert not prepare_array(np.full((5, 5), 255, dtype=np.uint8)).any()
    with pytest.raises(ValueError, match="shaped"):
        prepare_array(np.zeros((28, 28, 3)))
    with pytest.raises(ValueError, match="NaN"):
        prepare_array(np.full((28, 28), np.nan))


# ---------------------------------------------------------------------------------------------------------
# Export helpers


def test_upscale_nearest_makes_exact_blocks() -> None:
    image = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    big = upscale_nearest(image, 3)
    assert big.shape == (6, 6) and big.dtype == np.float32
    assert np.array_equal(big, np.kron(image, np.ones((3, 3), dtype=np.float32)))
    assert np.array_equal(big[3:6, 0:3], np.full((3, 3), 0.5))
    assert np.array_equal(upscale_nearest(image, 1), image)
    assert upscale_nearest(np.zeros((1, 1, 28, 28)), 2).shape == (56, 56)
    with pytest.raises(ValueError):
        upscale_nearest(image, 0)


def test_to_uint8_clips_and_rounds() -> None:
    values = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan], dtype=np.float32)
    assert to_uint8(values).tolist() == [0, 0, 128, 255, 255, 0]
    assert to_uint8(values).dtype == np.uint8


def test_png_bytes_round_trip() -> None:
    image = np.random.default_rng(4).random((28, 28), dtype=np.float32)
    data = png_bytes(image, scale=3)
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and img.mode == "L" and img.size == (84, 84)
        decoded = np.asarray(img)
    assert np.array_equal(decoded, upscale_nearest(to_uint8(image), 3))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(image)))), to_uint8(image))


def test_image_grid_and_strip_shapes() -> None:
    images = np.random.default_rng(5).random((5, 1, 28, 28), dtype=np.float32)
    grid = image_grid(images, columns=3, pad=2, pad_value=1.0)
    assert grid.shape == (2 * 30 + 2, 3 * 30 + 2) and grid.dtype == np.float32
    assert np.array_equal(grid[2:30, 2:30], images[0, 0])
    assert np.array_equal(grid[32:60, 32:60], images[4, 0])  # second row, second column
    assert np.all(grid[32:60, 62:90] == 1.0)  # the empty sixth cell
    assert np.all(grid[0:2] == 1.0) and np.all(grid[:, 30:32] == 1.0)
    assert image_grid(images[:, 0], columns=10, pad=0).shape == (28, 5 * 28)

    strip = image_strip([images[0, 0], images[1, 0], images[2, 0], images[3, 0]], pad=2, pad_value=0.0)
    assert strip.shape == (32, 4 * 30 + 2)
    assert np.all(strip[:, :2] == 0.0)
    assert np.array_equal(strip[2:30, 32:60], images[1, 0])
    assert image_strip(images).shape == (32, 5 * 30 + 2)
    with pytest.raises(ValueError):
        image_strip([np.zeros((28, 28)), np.zeros((14, 14))])


def gif_frames(data: bytes) -> tuple[Image.Image, list[np.ndarray]]:
    img = Image.open(io.BytesIO(data))
    frames = []
    for index in range(img.n_frames):
        img.seek(index)
        frames.append(np.asarray(img.convert("L")))
    return img, frames


def test_gif_bytes_keeps_every_frame() -> None:
    frames = [np.full((28, 28), level, dtype=np.float32) for level in (0.0, 0.25, 0.5, 0.75, 1.0)]
    img, decoded = gif_frames(gif_bytes(frames, scale=2, duration_ms=80))
    assert img.format == "GIF" and img.n_frames == 5 and img.size == (56, 56)
    assert img.info.get("loop") == 0 and img.info.get("duration") == 80
    assert [int(frame[10, 10]) for frame in decoded] == [0, 64, 128, 191, 255]

    _, bounced = gif_frames(gif_bytes(frames, scale=1, bounce=True))
    assert [int(frame[10, 10]) for frame in bounced] == [0, 64, 128, 191, 255, 191, 128, 64]
    assert Image.open(io.BytesIO(gif_bytes(frames[:2], bounce=True))).n_frames == 2
    assert Image.open(io.BytesIO(gif_bytes(frames[:1], bounce=True))).n_frames == 1
    assert "loop" not in Image.open(io.BytesIO(gif_bytes(frames, loop=False))).info


def test_gif_bytes_does_not_merge_identical_frames() -> None:
    still = np.random.default_rng(6).random((28, 28), dtype=np.float32)
    img, decoded = gif_frames(gif_bytes([still] * 4, scale=1))
    assert img.n_frames == 4
    expected = to_uint8(still).astype(int)
    for frame in decoded:
        difference = np.abs(frame.astype(int) - expected)
        assert difference.max() <= 1 and (difference > 0).sum() <= 1  # at most one pixel nudged one level
    stack = np.stack([still] * 3)[:, None]  # (N, 1, 28, 28) is accepted as well
    assert Image.open(io.BytesIO(gif_bytes(stack, bounce=True))).n_frames == 4


def test_error_heatmap_is_signed_difference() -> None:
    original = np.zeros((28, 28), dtype=np.float32)
    original[5, 5] = 1.0
    reconstruction = np.full((28, 28), 0.25, dtype=np.float32)
    heat = error_heatmap(original, reconstruction)
    assert heat.shape == (28, 28) and heat.dtype == np.float32
    assert heat[5, 5] == pytest.approx(-0.75) and heat[0, 0] == pytest.approx(0.25)
    assert error_heatmap(original[None], torch.from_numpy(reconstruction)[None, None]).shape == (28, 28)
    with pytest.raises(ValueError):
        error_heatmap(original, np.zeros((14, 14)))
