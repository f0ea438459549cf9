"""Shareable latent codes: the sliders page's link (query parameters) and code files (JSON), checked strictly.

Everything here treats its input as hostile: a link or file may carry the wrong number of values, NaN,
infinities, huge numbers, text or markup. Problems come back as short messages that never repeat the
input itself (so nothing a stranger wrote is ever rendered), and whatever was valid is still used.
No streamlit here, so tests call it directly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SIZE_PARAM, KIND_PARAM, CODE_PARAM = "size", "kind", "code"
KINDS = ("ae", "vae")
MAX_VALUE = 100.0  # no slider reaches this far (VAE +-3, AE a little beyond its codes, about +-10)
MAX_CODE_CHARS = 4096  # 16 values at full precision take ~200
MAX_FILE_BYTES = 64 * 1024
FILE_FORMAT = "latent-code"
MAX_INT_DIGITS = 30  # longer JSON integers are read as floats: far beyond MAX_VALUE either way


class ShareError(ValueError):
    """A link or code file that cannot be used; the message says why, without quoting the input."""


@dataclass(frozen=True)
class Link:
    """What a link asks for; each part None when absent or unusable (``problems`` says which and why)."""

    size: int | None = None
    kind: str | None = None
    code: np.ndarray | None = None
    problems: tuple[str, ...] = field(default=())


def _single(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return value if isinstance(value, str) else None


def parse_size(text: str | None, sizes: Sequence[int]) -> int:
    """The latent size a link names; raises ShareError unless it is one of ``sizes``."""
    digits = text.strip() if isinstance(text, str) else ""
    # ASCII digits only: str.isdigit() also accepts superscripts and other digits that int() refuses.
    if not (0 < len(digits) <= 4 and digits.isascii() and digits.isdigit()):
        raise ShareError("the link's latent size is not a whole number")
    size = int(digits)
    if size not in sizes:
        raise ShareError(f"the link asks for latent size {size}; this app has {', '.join(map(str, sizes))}")
    return size


def check_code(values: Sequence[Any], latent_dim: int, where: str) -> np.ndarray:
    """``values`` as a float32 code of length ``latent_dim``, every value a finite number within MAX_VALUE."""
    if len(values) != latent_dim:
        raise ShareError(f"{where} has {len(values)} value(s); the {latent_dim}-dimensional models need {latent_dim}")
    code = np.zeros(latent_dim, dtype=np.float32)
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ShareError(f"value {i + 1} of {where} is not a number")
        try:
            number = float(value)
        except OverflowError:  # an integer with hundreds of digits
            number = math.inf if value > 0 else -math.inf
        if math.isnan(number):
            raise ShareError(f"value {i + 1} of {where} is not a number (NaN)")
        if abs(number) > MAX_VALUE:
            raise ShareError(f"value {i + 1} of {where} is beyond ±{MAX_VALUE:g}, far outside any slider")
        code[i] = number
    return code


def parse_code_text(text: str, latent_dim: int) -> np.ndarray:
    """A comma-separated code from a link (``0.5,-1.25,...``)."""
    if len(text) > MAX_CODE_CHARS:
        raise ShareError("the link's code is far too long")
    values: list[Any] = []
    for part in text.split(","):
        try:
            values.append(float(part))
        except ValueError:
            values.append(part)  # check_code names its position
    return check_code(values, latent_dim, "the link's code")


def parse_link(params: Mapping[str, Any], sizes: Sequence[int], latent_dim: int | None = None) -> Link:
    """Read ``size``, ``kind`` and ``code`` from query parameters; the code is checked against ``latent_dim``
    (else the link's own size). Absent parameters are simply None; bad ones add a message to ``problems``."""
    problems: list[str] = []
    size = kind = code = None
    size_text, kind_text, code_text = (_single(params.get(p)) for p in (SIZE_PARAM, KIND_PARAM, CODE_PARAM))
    if size_text is not None:
        try:
            size = parse_size(size_text, sizes)
        except ShareError as error:
            problems.append(str(error))
    if kind_text is not None:
        if kind_text in KINDS:
            kind = kind_text
        else:
            problems.append("the link's model kind is neither 'ae' nor 'vae'")
    dim = latent_dim or size
    if code_text is not None and dim is not None:
        try:
            code = parse_code_text(code_text, dim)
        except ShareError as error:
            problems.append(str(error))
    return Link(size, kind, code, tuple(problems))


def format_code(code: Sequence[float] | np.ndarray) -> str:
    """A code for a link: six significant digits each, enough for any slider step."""
    return ",".join(f"{float(v):.6g}" for v in np.asarray(code, dtype=np.float32))


def link_params(size: int, kind: str, code: Sequence[float] | np.ndarray) -> dict[str, str]:
    return {SIZE_PARAM: str(int(size)), KIND_PARAM: kind, CODE_PARAM: format_code(code)}


def code_json(code: Sequence[float] | np.ndarray, kind: str, model: str) -> bytes:
    """A code file: the code by dimension, and which model it was made on."""
    values = [float(v) for v in np.asarray(code, dtype=np.float32)]
    document = {"format": FILE_FORMAT, "version": 1, "kind": kind, "model": model, "latent_size": len(values)}
    return json.dumps({**document, "code": values}, indent=1).encode()


def _reject_constant(name: str) -> float:
    raise ShareError(f"the file holds {name}, which is not a usable number")


def _parse_int(digits: str) -> int | float:
    """JSON integers; a very long one becomes a float (±inf once out of range), which check_code then refuses
    as too large, instead of json failing on Python's limit on digits for int() and calling the file not JSON."""
    return int(digits) if len(digits) <= MAX_INT_DIGITS else float(digits)


def parse_code_json(data: bytes, latent_dim: int) -> np.ndarray:
    """The code in an uploaded code file (our format, or a bare JSON list of numbers).

    UTF-8 with or without a byte-order mark (Windows editors write one). A JSON object whose ``format``
    field names anything but FILE_FORMAT is another kind of file and is refused.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ShareError(f"the file is larger than {MAX_FILE_BYTES // 1024} KB; a code file is a few hundred bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ShareError("the file is not JSON (it is not UTF-8 text)") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except ShareError:
        raise
    except (ValueError, RecursionError):
        raise ShareError("the file is not JSON") from None
    if isinstance(document, dict) and "format" in document and document["format"] != FILE_FORMAT:
        raise ShareError(f'the file\'s "format" field does not say "{FILE_FORMAT}", so it is not a latent-code file')
    values = document.get("code") if isinstance(document, dict) else document
    if not isinstance(values, list):
        raise ShareError('the file has no "code" list of numbers')
    return check_code(values, latent_dim, "the file's code")
