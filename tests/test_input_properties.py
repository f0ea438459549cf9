"""Every parser of visitor input is total: for any text, bytes, JSON value or nesting it returns a valid value
or raises its own error, with a message that does not repeat the input. Never another exception.

The parsers are listed in PARSERS, one entry each: what to call, what to feed it, its error type and what a
valid result looks like. FILE_READERS holds the same for every file the app writes and reads back (a run's
status, the runs lock, a checkpoint's config.json and the history in it, a prepared set's dataset.json, a
timeline): for any bytes or JSON value in the file, a valid value or that file's own error naming it. A new
parser (the lesson's ``?lesson=``, the own-images zip listing) is one more entry there. Hypothesis runs a
fixed number of examples per parser, derandomised and without its example database, so CI tests the same inputs
on every run; the whole file takes a minute or two.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.draw import drawing
from explorer.lesson import link as lesson
from explorer.sliders import share
from explorer.train import run_lock, run_records, run_view
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
    names: str = ""  # a file reader's message names its file (this file name); a visitor parser's need not
    quotes_values: bool = False  # a checkpoint's config errors may quote a field's value (cut short); others not


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
# Files the app writes and reads back (issue 36): whatever they hold by now, the reader returns a valid value or
# raises that file's own error naming it. Each input is raw bytes or a JSON value written as the file.

FILES = Path(tempfile.mkdtemp(prefix="file-readers-"))
RUN = "20260101-000000-vae-z2"


def as_file(relative: str, read: Callable[[Path], Any]) -> Callable[[Any], Any]:
    """A parser that writes its input (bytes as they are, anything else as JSON) to ``relative`` under a
    scratch folder and returns what ``read`` makes of the file."""

    def parse(value: Any) -> Any:
        path = FILES / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value if isinstance(value, bytes) else json_bytes(value, False))
        return read(path)

    return parse


def file_inputs(near: st.SearchStrategy) -> st.SearchStrategy:
    """Bytes of every kind, JSON values of every type, depth and size, and documents close to the real file."""
    return (
        st.binary(max_size=300)
        | json_value
        | near
        | st.builds(lambda n: b"[" * n + b"]" * n, deep_depth)
        | st.builds(lambda n: b'{"a": ' * n + b"1" + b"}" * n, st.integers(1, 100_000))
        | st.builds(lambda n: b"[" + b"9" * n + b"]", st.integers(1, 20_000))
        | st.builds(
            lambda value: (
                (value if isinstance(value, bytes) else json_bytes(value, False))
                .decode("utf-8", "surrogatepass")
                .encode("utf-16", "surrogatepass")
            ),
            near,
        )
        | st.sampled_from([b"", b" ", b"\xef\xbb\xbf{}", b"NaN", b'{"state": NaN}', b"\x00" * 10])
    )


def replaced(base: dict, edits: list[tuple[tuple[str, ...], Any]]) -> dict:
    """``base`` (copied) with the value at each key path replaced."""
    out = json.loads(json.dumps(base))
    for keys, value in edits:
        target = out
        for key in keys[:-1]:
            target = target.setdefault(key, {}) if isinstance(target.get(key), dict) else target
        target[keys[-1]] = value
    return out


def near(
    valid: dict[str, st.SearchStrategy], hostile: dict[str, st.SearchStrategy], required: tuple[str, ...] = ()
) -> st.SearchStrategy[dict]:
    """Documents as the app writes them (each field from ``valid``, any but the ``required`` ones left out), with
    up to three fields then replaced by a ``hostile`` value: most examples are a change or two from a real file."""
    always = {k: v for k, v in valid.items() if k in required}
    fields = st.fixed_dictionaries(always, optional={k: v for k, v in valid.items() if k not in required})
    edit = st.sampled_from(sorted(hostile)).flatmap(lambda key: st.tuples(st.just(key), hostile[key]))
    return st.builds(lambda doc, edits: {**doc, **dict(edits)}, fields, st.lists(edit, max_size=3))


spec_value = near(
    {
        "kind": st.sampled_from(["ae", "vae"]),
        "arch": st.sampled_from(["mlp", "conv"]),
        "latent_dim": st.integers(1, 64),
        "beta": st.floats(0, 100),
        "epochs": st.integers(1, 500),
        "hidden": st.lists(st.integers(1, 512), max_size=3),
        "dataset": any_text,
        "max_minutes": st.floats(0, 120),
    },
    {
        "kind": st.just("classifier") | json_scalar,
        "latent_dim": st.integers(-3, 70) | json_scalar,
        "beta": floats | json_scalar,
        "epochs": st.integers(-1, 600) | json_scalar,
        "hidden": st.lists(st.integers(-1, 70_000), max_size=20) | json_value,
        "max_minutes": floats | json_scalar,
        "batch_size": json_scalar,
    },
)
status_document = near(
    {
        "state": st.sampled_from(list(run_records.STATES)),
        "spec": spec_value,
        "created": st.floats(0, 2e9),
        "started": st.none() | st.floats(0, 2e9),
        "ended": st.none() | st.floats(0, 2e9),
        "returncode": st.none() | st.integers(-15, 255),
        "evaluation": st.sampled_from(["", "running", "done", "failed: x", "stopped", "skipped"]),
        "reason": hostile_text,
        "sweep": st.sampled_from(["", RUN]),
    },
    {
        "state": json_scalar | st.lists(st.sampled_from(run_records.STATES), max_size=2),
        "spec": json_value,
        "created": floats | json_scalar | huge_int,
        "started": floats | json_scalar,
        "ended": huge_int | floats,
        "returncode": st.integers() | json_scalar,
        "evaluation": json_scalar,
        "reason": json_value,
        "sweep": json_value,
    },
    required=("state", "created"),
)
lock_document = near(
    {"pid": st.integers(0, 2**22 - 1), "runs": st.lists(st.just(RUN), max_size=3), "started": st.floats(0, 2e9)},
    {
        "pid": st.integers(-5, 2**23) | huge_int | json_scalar,
        "runs": st.lists(st.sampled_from([RUN, "../x", ".hidden", ""]) | any_text, max_size=4) | json_value,
        "started": floats | json_scalar,
        "claim": json_scalar,
    },
)
meta_document = near(
    {
        "format": st.just(1),
        "title": hostile_text,
        "preparation": st.sampled_from(["digit", "picture"]),
        "label_names": st.lists(hostile_text.filter(bool), max_size=4),
        "sizes": st.dictionaries(st.sampled_from(["train", "valid", "test"]), st.integers(0, 10_000)),
        "skipped": json_value,
    },
    {
        "format": json_scalar,
        "title": json_value,
        "label_names": json_value,
        "sizes": st.dictionaries(any_text, st.integers() | json_scalar) | json_value,
    },
    required=("format",),
)


@functools.cache
def valid_config() -> dict:
    """A checkpoint's config.json as save_checkpoint writes it (a tiny VAE, one history record)."""
    from vae.checkpoint import Checkpoint, save_checkpoint
    from vae.config import ModelConfig, TrainConfig
    from vae.models import build_model

    model = build_model(ModelConfig(kind="vae", latent_dim=2, hidden=(8,)))
    record = Checkpoint(FILES / "valid", model.config, TrainConfig(epochs=2), history=[{"epoch": 1, "train_loss": 1.0}])
    save_checkpoint(FILES / "valid", model, record)
    return json.loads((FILES / "valid" / "config.json").read_text())


CONFIG_PATHS = [("format_version",), ("model",), ("model", "kind"), ("model", "latent_dim"), ("model", "hidden")]
CONFIG_PATHS += [("model", "gaussian_std"), ("model", "arch"), ("model", "channels"), ("training",)]
CONFIG_PATHS += [("training", "epochs"), ("training", "lr"), ("training", "extra"), ("history",), ("metrics",)]
CONFIG_PATHS += [("progress",), ("dataset",)]
# Values json.dumps can still write (under 900 deep); deeper ones are written as text (deep_in_config).
config_edit = st.tuples(st.sampled_from(CONFIG_PATHS), json_value | st.builds(nested, st.integers(1, 900)))
config_document = st.builds(lambda edits: replaced(valid_config(), edits), st.lists(config_edit, max_size=3))


def deep_in_config(depth: int, where: str) -> bytes:
    """The valid config.json's text with one value replaced by ``depth`` nested lists (as issue 36 reported)."""
    text = json.dumps(replaced(valid_config(), [(tuple(where.split(".")), "DEEP")]))
    return text.replace('"DEEP"', "[" * depth + "]" * depth).encode()


config_file = config_document | st.builds(
    deep_in_config, st.integers(1, 100_000), st.sampled_from(["model.hidden", "history", "format_version", "x"])
)
history_entry = st.fixed_dictionaries(
    {}, optional={"images_per_second": floats | json_scalar | huge_int, "epoch": json_scalar}
)
history_document = st.builds(
    lambda history, progress: replaced(valid_config(), [(("history",), history), (("progress",), progress)]),
    st.lists(history_entry | json_value, max_size=4) | json_value,
    st.fixed_dictionaries({}, optional={"train_seconds": floats | json_scalar | huge_int}) | json_value,
)


@functools.cache
def valid_timeline() -> bytes:
    """A timeline.safetensors as vae.fit writes it: a tiny VAE's two epochs over 6 held-out images."""
    import torch

    from vae.config import ModelConfig
    from vae.models import build_model
    from vae.timeline import Timeline

    model = build_model(ModelConfig(kind="vae", latent_dim=2, hidden=(8,)))
    images, labels = torch.rand(6, 1, 28, 28), torch.arange(6)
    timeline = Timeline.start("vae", 2, images, labels, epochs=2)
    for epoch in (1, 2):
        timeline.record(model, epoch, {"train_loss": 1.0, "valid_kl_per_dim": [0.5, 0.5]}, images)
    return timeline.to_bytes()


def with_header(header: Any, keep_data: bool) -> bytes:
    """A safetensors file whose JSON header is ``header`` (JSON text if bytes), then the valid file's tensor
    bytes if kept."""
    import struct

    text = header if isinstance(header, bytes) else json_bytes(header, False)
    data = valid_timeline()[8 + struct.unpack("<Q", valid_timeline()[:8])[0] :] if keep_data else b""
    return struct.pack("<Q", len(text)) + text + data


def altered_timeline(name: str, keep: int, cast: bool, meta: dict[str, str]) -> bytes:
    """The valid timeline with one tensor cut to its first ``keep`` rows or cast to float64, metadata fields
    replaced, and the checksum made to match: only the reader's shape, type and metadata checks can refuse it."""
    import torch
    from safetensors.torch import load as load_bytes
    from safetensors.torch import save as save_bytes

    from vae.timeline import _checksum, _metadata

    tensors = load_bytes(valid_timeline())
    tensor = tensors[name][:keep] if tensors[name].ndim else tensors[name]
    tensors[name] = (tensor.to(torch.float64) if cast else tensor).contiguous()
    header = {**_metadata(valid_timeline(), Path("timeline")), **meta, "sha256": _checksum(tensors)}
    return save_bytes(tensors, metadata=header)


TIMELINE_TENSORS = ["indices", "labels", "originals", "prior_z", "epochs", "mu", "logvar", "recon", "samples"]
timeline_file = (
    st.builds(
        altered_timeline,
        st.sampled_from([*TIMELINE_TENSORS, "losses", "kl_per_dim"]),
        st.integers(0, 9),
        st.booleans(),
        st.dictionaries(st.sampled_from(["format", "kind", "latent_dim"]), st.sampled_from(["1", "ae", "2", "x"])),
    )
    | st.binary(max_size=300)
    | st.builds(lambda: valid_timeline())
    | st.builds(
        lambda cut, flips: damaged(valid_timeline(), cut, flips),
        st.integers(0, 20_000),
        st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    )
    | st.builds(with_header, json_value | st.fixed_dictionaries({"__metadata__": json_value}), st.booleans())
    | st.builds(lambda n, keep: with_header(b"[" * n + b"]" * n, keep), deep_depth, st.booleans())
)


def valid_status(status: Any, _input: Any) -> None:
    assert isinstance(status, run_records.RunStatus) and status.name == RUN
    assert status.state in run_records.STATES and isinstance(status.reason, str) and isinstance(status.sweep, str)
    assert isinstance(status.evaluation, str) and isinstance(status.created, float)
    for moment in (status.created, status.started, status.ended):
        assert moment is None or _dt.datetime.fromtimestamp(moment).year < 10_000
    assert status.returncode is None or (isinstance(status.returncode, int) and abs(status.returncode) < 2**31)
    assert not status.spec.problems() and isinstance(status.spec.label(), str)
    assert isinstance(run_records.after_dead_job(status, 1.0), dict)


def valid_lock(lock: Any, _input: Any) -> None:
    assert lock is None or (isinstance(lock, run_lock.Lock) and 0 <= lock.pid < run_lock.MAX_PID)
    if lock is not None:
        assert all(run_records.RUN_NAME.fullmatch(name) for name in lock.runs)
    assert isinstance(run_lock.busy_message(lock), str)


def valid_checkpoint(checkpoint: Any, _input: Any) -> None:
    from vae.checkpoint import Checkpoint
    from vae.config import ModelConfig

    assert isinstance(checkpoint, Checkpoint) and isinstance(checkpoint.model, ModelConfig)
    assert isinstance(checkpoint.history, list)
    assert all(isinstance(part, dict) for part in (checkpoint.dataset, checkpoint.metrics, checkpoint.progress))


def run_progress(path: Path) -> Any:
    """What the Train page makes of a running run's history: its progress line."""
    from vae.checkpoint import read_checkpoint

    spec = run_records.RunSpec(epochs=10, max_minutes=5.0)
    status = run_records.RunStatus(RUN, spec, "running", started=100.0)
    return run_view.progress(status, read_checkpoint(path.parent), now=160.0)


def valid_progress(shown: Any, _input: Any) -> None:
    assert isinstance(shown, run_view.Progress) and shown.epoch >= 0 and shown.epochs == 10
    for number in (shown.images_per_second, shown.seconds_left):
        assert number is None or np.isfinite(number)
    assert isinstance(shown.text(), str)


def valid_meta(meta: Any, _input: Any) -> None:
    from vae.prepared_sets import SPLITS, PreparedSet

    assert isinstance(meta, PreparedSet) and isinstance(meta.title, str) and isinstance(meta.preparation, str)
    assert all(isinstance(n, str) and n for n in meta.label_names)
    assert all(k in SPLITS and isinstance(v, int) and v >= 0 for k, v in meta.sizes.items())


def valid_timeline_value(timeline: Any, _input: Any) -> None:
    from vae.timeline import Timeline

    assert isinstance(timeline, Timeline) and timeline.kind in ("ae", "vae")
    shown = len(timeline.originals)
    assert len(timeline.epochs) == len(timeline.mu) == len(timeline.recon) == len(timeline.samples)
    assert all(tuple(r.shape) == (shown, 28, 28) for r in (*timeline.recon, *timeline.samples))


def _reader(name: str, relative: str, read: Callable[[Path], Any], inputs, error, valid, sources, **more) -> Parser:
    return Parser(name, as_file(relative, read), inputs, error, valid, sources, names=Path(relative).name, **more)


def _file_readers() -> list[Parser]:
    from vae import checkpoint, config, json_files, prepared_sets, timeline

    run_sources = (run_records, run_lock, json_files)
    return [
        _reader(
            "run status",
            f".status/{RUN}.json",
            lambda path: run_records.read_status(path.parent.parent, RUN),
            file_inputs(status_document),
            run_records.RunFileError,
            valid_status,
            run_sources,
        ),
        _reader(
            "runs lock",
            ".lock",
            lambda path: run_lock.read_content(path.parent),
            file_inputs(lock_document),
            run_records.RunFileError,
            valid_lock,
            run_sources,
        ),
        _reader(
            "checkpoint config",
            "run/config.json",
            lambda path: checkpoint.read_checkpoint(path.parent),
            file_inputs(config_file),
            checkpoint.CheckpointError,
            valid_checkpoint,
            (checkpoint, config, json_files),
            examples=300,
            quotes_values=True,
        ),
        _reader(
            "run history",
            "history/config.json",
            run_progress,
            file_inputs(history_document),
            checkpoint.CheckpointError,
            valid_progress,
            (checkpoint, config, json_files),
            examples=300,
            quotes_values=True,
        ),
        _reader(
            "prepared-set metadata",
            "set/dataset.json",
            lambda path: prepared_sets.read_meta(path.parent),
            file_inputs(meta_document),
            prepared_sets.PreparedSetError,
            valid_meta,
            (prepared_sets, json_files),
        ),
        _reader(
            "timeline",
            "timeline/timeline.safetensors",
            lambda path: timeline.read_timeline(path.parent),
            timeline_file,
            timeline.TimelineError,
            valid_timeline_value,
            (timeline, json_files),
            examples=300,
        ),
    ]


FILE_READERS = _file_readers()


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
        assert parser.names in message, f"{parser.name}'s message does not name its file: {message!r}"
        if not parser.quotes_values:  # a file reader's reason follows the file's path, which is not input
            assert_does_not_repeat(message.split(": ", 1)[-1] if parser.names else message, value, parser)
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


@pytest.mark.parametrize("parser", FILE_READERS, ids=[p.name for p in FILE_READERS])
def test_every_file_the_app_reads_gives_a_valid_value_or_that_files_error(parser: Parser) -> None:
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


def test_the_file_property_catches_the_old_readers_failures() -> None:
    # What main's readers did with issue 36's files: json.loads's RecursionError escaped, and a status holding a
    # list failed with AttributeError; a message that does not name the file is refused too.
    def old_status(path: Path) -> Any:
        return json.loads(path.read_text()).get("state")

    old = Parser(
        "old", as_file(".status/old.json", old_status), st.nothing(), run_records.RunFileError, valid_status, ()
    )
    with pytest.raises(RecursionError):
        check_total(old, b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(AttributeError):
        check_total(old, [1, 2])

    def unnamed(path: Path) -> Any:
        raise run_records.RunFileError("not a JSON object")

    quiet = Parser(
        "quiet", as_file(".lock", unnamed), st.nothing(), run_records.RunFileError, valid_lock, (), names=".lock"
    )
    with pytest.raises(AssertionError, match="does not name its file"):
        check_total(quiet, b"[]")
