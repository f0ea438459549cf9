"""The one way an array crosses to the browser: base64 of its little-endian bytes, read back in the page by
``ExplorerMount.unpack(text, dtype)`` (mount.js). JSON numbers would cost about three times the bytes (10k points'
float32 (x, y): ~107 KB instead of ~300 KB) and a parse per number.
"""

from __future__ import annotations

import base64
from typing import Any, get_args

import numpy as np

from explorer.shared.browser.contract import Dtype, PackedFloat16, PackedFloat32, PackedInt32, PackedUint8


def pack(values: Any, dtype: Dtype) -> str:
    """``values`` converted to ``dtype`` ("<f4", "<f2", "<i4" or "u1"), flattened in C order, as base64 text.
    The typed faces below (float32, ...) say which array type of the contract the text is."""
    if dtype not in get_args(Dtype):
        raise ValueError(f"the page unpacks <f4, <f2, <i4 and u1 arrays only, not {dtype!r}")
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


def unpack(text: str, dtype: Dtype) -> np.ndarray:
    """The flat array ``pack`` made (for tests and the contract checker); raises ValueError on bad base64."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) % np.dtype(dtype).itemsize:
        raise ValueError(f"{len(raw)} bytes are not a whole number of {dtype} values")
    return np.frombuffer(raw, dtype=dtype)


def float32(values: Any) -> PackedFloat32:
    """``values`` as the contract's PackedFloat32 (and so on below: one function per dtype the page unpacks)."""
    return PackedFloat32(pack(values, "<f4"))


def float16(values: Any) -> PackedFloat16:
    return PackedFloat16(pack(values, "<f2"))


def int32(values: Any) -> PackedInt32:
    return PackedInt32(pack(values, "<i4"))


def uint8(values: Any) -> PackedUint8:
    return PackedUint8(pack(values, "u1"))
