"""Every parser of visitor input is total: for any text, bytes, JSON value or nesting it returns a valid value
or raises its own error, with a message that does not repeat the input. Never another exception.

The parsers are listed in PARSERS, one entry each: what to call, what to feed it, its error type and what a
valid result looks like. A new parser (the lesson's ``?lesson=``, the own-images zip listing) is one more
entry there. Hypothesis runs a fixed number of examples per parser, derandomised and without its example
database, so CI tests the same inputs on every run; the whole file takes well under a minute.
"""

from __future__ import annotations

import inspect
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.draw import drawing
from explorer.lesson import link as lesson
from explorer.sliders import share
from vae import image_files, image_sets, images

SIZES = [2, 16]
UPLOAD_NAME = "upload.png"  # prepare_image names the file in its message on purpose; the content must not show
MIN_FRAGMENT = 5  # "a few characters": shorter pieces of the input may appear in any sentence by chance
MIN_NUMBER_REPR = 10  # messages print numbers with at most 3-4 significant digits ("got 0.5 to 1.5")

# --------------------------------------------------------------------------------------------------------
# Inputs: arbitrary and hostile text, bytes, JSON values and nestings

# Every kind of character, lone surrogates included (a parser may be handed what no URL decoder makes).
any_char = st.characters(codec=None) | st.characters(categories=["Cs"])
# Characters str.isdigit() or float() accept beyond ASCII: superscripts, circled, Arabic-Indic, full-width.
digit_like = st.sampled_from("0123456789²³¹⁰⁴⁵⁶⁷⁸⁹①②⑯٠١٢٣٤٥٦٧٨٩０１２３۶߂१₂𝟐_ .,+-eE")
any_text = st.text(any_char, max_size=40) | st.text(digit_like, max_size=12)
markup = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**bold**", "`code`", "${x}"])
number_words = st.sampled_from(["nan", "NaN", "-inf", "Infinity", "1e308", "-1e999", "1_0", "0x10", "1e-400"])
# Integers beyond any float; Python neither prints nor json-dumps one of over 4,300 digits, so longer ones are
# written out as text (and as JSON bytes below).
huge_int = st.builds(lambda digits, sign: sign * (10**digits - 1), st.integers(300, 4000), st.sampled_from([1, -1]))
huge_digits = st.builds(lambda digits, sign: sign + "9" * digits, st.integers(300, 20_000), st.sampled_from(["", "-"]))
floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
hostile_text = any_text | markup | number_words | st.builds(str, floats) | huge_digits

json_scalar = st.none() | st.booleans() | st.integers() | huge_int | floats | hostile_text
json_value = st.recursive(
    json_scalar,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.sampled_from(["code", "format", "pixels", "z", "size"]) | any_text, inner, max_size=5)
    ),
    max_leaves=24,
)


def nested(depth: int, innermost: Any = 0) -> list:
    """``depth`` lists inside one another, built without recursion."""
    value = innermost
    for _ in range(depth):
        value = [value]
    return value


deep_depth = st.integers(1, 100_000)


def comma_list(items: st.SearchStrategy) -> st.SearchStrategy[str]:
    return st.lists(items, max_size=20).map(lambda parts: ",".join(map(str, parts)))


# Close to a real link, so the accepting paths are exercised too, not only the refusals.
near_number = st.floats(-5, 5) | floats | number_words | huge_digits | markup | digit_like
near_link_text = (
    st.sampled_from(["2", "16", " 2 ", "016", "0002", "ae", "vae", "VAE"])
    | st.text(digit_like, min_size=1, max_size=3)
    | st.lists(near_number, min_size=2, max_size=2).map(lambda parts: ",".join(map(str, parts)))
)
link_text = (
    hostile_text | near_link_text | comma_list(near_number) | st.builds(lambda n: "0," * n, st.integers(0, 3000))
)
link_value = link_text | st.lists(link_text, max_size=3) | st.none() | st.integers()
link_params = st.dictionaries(
    st.sampled_from([share.SIZE_PARAM, share.KIND_PARAM, share.CODE_PARAM, "x"]), link_value
) | st.fixed_dictionaries(
    {}, optional={share.SIZE_PARAM: near_link_text, share.KIND_PARAM: near_link_text, share.CODE_PARAM: link_text}
)

BOM = b"\xef\xbb\xbf"


def json_bytes(document: Any, bom: bool) -> bytes:
    return (BOM if bom else b"") + json.dumps(document, allow_nan=True).encode("utf-8", "surrogatepass")


near_code = st.lists(st.floats(-5, 5) | json_scalar, min_size=0, max_size=20)
code_document = st.fixed_dictionaries(
    {"code": near_code},
    optional={"format": st.just(share.FILE_FORMAT) | json_scalar, "version": json_scalar, "kind": json_scalar},
)
code_file = (
    st.binary(max_size=300)
    | st.builds(json_bytes, json_value | code_document | near_code, st.booleans())
    | st.builds(lambda n: b"[" * n + b"]" * n, deep_depth)
    | st.builds(lambda n: b"[" * n, deep_depth)
    | st.builds(
        lambda n, sign: b'{"code": [%s%s, 1]}' % (sign, b"9" * n), st.integers(1, 20_000), st.sampled_from([b"", b"-"])
    )
    | st.sampled_from([b'{"code": [NaN, 1]}', b"[Infinity, -Infinity]", b" " * (share.MAX_FILE_BYTES + 1)])
    | st.builds(lambda text: text.encode("utf-16"), st.text(max_size=30))
)


def drawing_from(base: float, edits: list[tuple[int, Any]]) -> dict[str, list]:
    pixels: list[Any] = [base] * drawing.PIXELS
    for index, value in edits:
        pixels[index] = value
    return {"pixels": pixels}


pixel_edit = st.tuples(st.integers(0, drawing.PIXELS - 1), json_scalar | st.floats(0, 1))
drawn = (
    json_value
    | st.builds(drawing_from, st.floats(0, 1) | st.just(0.0), st.lists(pixel_edit, max_size=4))
    | st.builds(lambda n: {"pixels": nested(n)}, deep_depth)
    | st.builds(lambda n: nested(n), deep_depth)
    | st.builds(lambda values: {"pixels": values}, st.lists(json_scalar, max_size=800))
)


def image_bytes(pixels: list[int], width: int, fmt: str, mode: str) -> bytes:
    """A small picture of the given grey levels, encoded in one of the formats an upload may use (in grey
    when the format cannot store ``mode``)."""
    from PIL import Image

    grey = Image.fromarray(np.resize(np.asarray(pixels, dtype=np.uint8), (max(1, len(pixels) // width), width)))
    for picture in (grey.convert(mode), grey):
        out = io.BytesIO()
        try:
            picture.save(out, format=fmt)
        except (OSError, KeyError):  # PIL's ways of saying "this format cannot store that mode"
            continue
        return out.getvalue()
    raise AssertionError(f"PIL cannot write grey {fmt}")


def damaged(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    """``data`` truncated to ``cut`` bytes (0 keeps it whole) with some bytes replaced."""
    out = bytearray(data[:cut] if cut else data)
    for position, value in flips:
        if out:
            out[position % len(out)] = value
    return bytes(out)


picture = st.builds(
    image_bytes,
    st.lists(st.integers(0, 255), min_size=1, max_size=200),
    st.integers(1, 20),
    st.sampled_from(["PNG", "JPEG", "BMP", "GIF", "WEBP"]),
    st.sampled_from(["L", "RGB", "RGBA", "LA", "P", "1", "I;16"]),
)
upload = (
    st.binary(max_size=400)
    | picture
    | st.builds(
        damaged,
        picture,
        st.integers(0, 300),
        st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    )
    | st.builds(lambda text: text.encode("utf-8", "surrogatepass"), hostile_text)
    | st.sampled_from([b"%PDF-1.4", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"II*\x00", b"\x89PNG\r\n\x1a\n"])
)

member_name = (
    st.sampled_from(["a.png", "cats/1.png", "dogs/2.png", "../x.png", "/abs.png", "C:/x.png", "a\\..\\b.png"])
    | st.sampled_from([".hidden.png", "__MACOSX/._a.png", "<b>x</b>/y.png", "d/", "a/./b.png", "a//b.png"])
    | st.text(any_char, max_size=12)
)


def zip_bytes(members: list[tuple[str, bytes]], stored: bool) -> bytes:
    """A zip of these members (names with NUL or lone surrogates are replaced: zipfile cannot write them)."""
    import warnings
    import zipfile

    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", method) as archive:
        warnings.simplefilter("ignore")  # duplicate names are part of the test
        for name, content in members:
            safe = name.encode("utf-8", "replace").decode("utf-8").replace("\x00", "_") or "empty"
            archive.writestr(safe, content)
    return out.getvalue()


zip_members = st.lists(st.tuples(member_name, upload | picture | picture), max_size=5)
zip_archive = st.builds(zip_bytes, zip_members, st.booleans())
image_zip = (
    st.binary(max_size=300)
    | zip_archive
    | st.builds(
        damaged, zip_archive, st.integers(0, 400), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)))
    )
    | st.sampled_from([b"PK\x05\x06" + bytes(18), b"PK\x03\x04", b"PK"])
)

# --------------------------------------------------------------------------------------------------------
# Valid results


def valid_code(code: Any, dim: int) -> None:
    assert isinstance(code, np.ndarray) and code.dtype == np.float32 and code.shape == (dim,), code
    assert np.isfinite(code).all() and (np.abs(code) <= share.MAX_VALUE).all(), code


def valid_size(size: Any, _input: Any) -> None:
    assert isinstance(size, int) and size in SIZES, size


def valid_link(link: Any, params: Any) -> None:
    assert isinstance(link, share.Link)
    assert link.size is None or link.size in SIZES
    assert link.kind is None or link.kind in share.KINDS
    if link.code is not None:
        valid_code(link.code, 2)
    assert all(isinstance(p, str) and p for p in link.problems)


def valid_image(prepared: Any, _input: Any) -> None:
    assert isinstance(prepared, images.PreparedImage)
    for picture in (prepared.image, *(step for _, step in prepared.steps)):
        assert picture.dtype == np.float32 and picture.ndim == 2
        assert np.isfinite(picture).all() and picture.min() >= 0.0 and picture.max() <= 1.0
    assert prepared.image.shape == (images.MNIST_SIZE, images.MNIST_SIZE) and not prepared.image.flags.writeable


def valid_lesson(number: Any, value: Any) -> None:
    assert isinstance(number, int) and 1 <= number <= lesson.STEP_COUNT, number
    assert value.strip().isascii() and value.strip().lstrip("0") == str(number), value


def valid_image_set(prepared: Any, _input: Any) -> None:
    assert isinstance(prepared, image_sets.ImageSet)
    count = len(prepared.images)
    assert count >= 1 and prepared.images.dtype == np.uint8 and prepared.images.shape == (count, 28, 28)
    assert prepared.labels.shape == (count,) and prepared.labels.dtype == np.int64
    assert prepared.labels.min() >= -1 and prepared.labels.max() < max(1, len(prepared.label_names))
    assert (prepared.labels >= 0).all() if prepared.label_names else (prepared.labels == -1).all()
    assert all(isinstance(n, str) and n for n in prepared.label_names)
    assert all(isinstance(k, str) and v > 0 for k, v in prepared.skipped.items())


def valid_drawing(prepared: Any, value: Any) -> None:
    valid_image(prepared, value)
    assert prepared.has_ink and prepared.name == drawing.DRAWING_NAME


# --------------------------------------------------------------------------------------------------------
# The parsers


@dataclass(frozen=True)
class Parser:
    """One parser of visitor input: ``parse(value)`` returns something ``valid`` accepts or raises ``error``.

    ``sources`` are the modules whose text may appear in a message: a piece of the input that happens to equal
    one of their own words ("format", "value") is not the input being repeated.
    """

    name: str
    parse: Callable[[Any], Any]
    inputs: st.SearchStrategy
    error: type[Exception]
    valid: Callable[[Any, Any], None]
    sources: tuple[ModuleType, ...]
    examples: int = 500


PARSERS = [
    Parser("link size", lambda text: share.parse_size(text, SIZES), link_text, share.ShareError, valid_size, (share,)),
    Parser(
        "link", lambda params: share.parse_link(params, SIZES, 2), link_params, share.ShareError, valid_link, (share,)
    ),
    Parser(
        "link code",
        lambda text: share.parse_code_text(text, 2),
        link_text,
        share.ShareError,
        lambda c, _: valid_code(c, 2),
        (share,),
    ),
    Parser(
        "code file",
        lambda data: share.parse_code_json(data, 2),
        code_file,
        share.ShareError,
        lambda c, _: valid_code(c, 2),
        (share,),
    ),
    Parser(
        "browser's code",
        lambda z: share.check_code(z, 2, "the browser's code"),
        st.lists(json_value | st.floats(-5, 5), max_size=4)
        | st.lists(st.floats(-5, 5) | floats | json_scalar, min_size=2, max_size=2),
        share.ShareError,
        lambda c, _: valid_code(c, 2),
        (share,),
    ),
    Parser("drawing", drawing.prepared_drawing, drawn, drawing.DrawingError, valid_drawing, (drawing,)),
    Parser(
        "upload",
        lambda data: images.prepare_image(data, UPLOAD_NAME),
        upload,
        images.ImageError,
        valid_image,
        (images, image_files),
        examples=300,
    ),
    Parser("lesson", lesson.parse_lesson, hostile_text | json_scalar, lesson.LessonError, valid_lesson, (lesson,)),
    Parser(
        "own-images zip",
        lambda data: image_sets.read_zip(data, "picture", min_images=1),
        image_zip,
        image_sets.ImageSetError,
        valid_image_set,
        (image_sets, images, image_files),
        examples=200,
    ),
]


# --------------------------------------------------------------------------------------------------------
# The property


def fragments(value: Any) -> Iterator[str]:
    """The pieces of an input a message must not repeat: its texts (keys too) and long numbers, recursively."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bytes):
            item = item.decode("utf-8", "replace")
        if isinstance(item, str):
            if len(item) >= MIN_FRAGMENT:
                yield item
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            # Python will not print an integer of over 4,300 digits, so no message can hold one.
            text = str(item) if not isinstance(item, int) or item.bit_length() < 14_000 else ""
            if len(text) >= MIN_NUMBER_REPR:
                yield text
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) and len(item) < 10_000:
            stack.extend(item)
        elif isinstance(item, list) and item:  # a long list: its first element stands for all of them
            stack.append(item[0])


def assert_does_not_repeat(message: str, value: Any, parser: Parser) -> None:
    ours = "".join(inspect.getsource(module) for module in parser.sources)
    for fragment in fragments(value):
        assert fragment not in message or fragment in ours, f"{parser.name} repeats its input: {message!r}"


def messages(result: Any) -> list[str]:
    """The messages a result carries without raising (a Link's problems)."""
    return list(result.problems) if isinstance(result, share.Link) else []


def check_total(parser: Parser, value: Any) -> None:
    try:
        result = parser.parse(value)
    except parser.error as error:
        message = str(error)
        assert message.strip(), f"{parser.name} raised an empty message"
        assert_does_not_repeat(message, value, parser)
        return
    parser.valid(result, value)
    for message in messages(result):
        assert_does_not_repeat(message, value, parser)


def run_property(parser: Parser) -> None:
    @settings(
        max_examples=parser.examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(parser.inputs)
    def holds(value: Any) -> None:
        check_total(parser, value)

    holds()


@pytest.mark.parametrize("parser", PARSERS, ids=[p.name for p in PARSERS])
def test_every_input_gives_a_valid_value_or_its_own_error(parser: Parser) -> None:
    run_property(parser)


# --------------------------------------------------------------------------------------------------------
# The check itself can fail


def test_the_property_catches_a_foreign_exception_and_an_echoed_input() -> None:
    def crashes(text: str) -> int:
        return int(text)  # ValueError, not ShareError

    def echoes(text: str) -> int:
        raise share.ShareError(f"cannot use {text}")

    with pytest.raises(ValueError):
        check_total(Parser("crashes", crashes, any_text, share.ShareError, valid_size, (share,)), "²")
    with pytest.raises(AssertionError, match="repeats its input"):
        check_total(Parser("echoes", echoes, any_text, share.ShareError, valid_size, (share,)), "<b>hostile</b>")
    with pytest.raises(AssertionError):
        check_total(Parser("wrong value", lambda _: 3, any_text, share.ShareError, valid_size, (share,)), "3")
