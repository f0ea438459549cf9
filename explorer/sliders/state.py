"""The latent sliders' state: slider values per checkpoint, the live (in-browser) code, shareable links
and code files.

The code shown for each checkpoint is kept under one key, so it survives a trip to another page (Streamlit
drops a widget's state when its page is left). Python moving the sliders bumps a revision; the live
component follows only a new revision, so it never undoes what the hand just did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import streamlit as st

from explorer.sliders import share

_CODES = "explorer.codes"  # dict[checkpoint name, slider values]
_REVISIONS = "explorer.code_revisions"  # dict[checkpoint name, int]: bumped whenever Python moves the sliders
_LINK_SEEN = "explorer.link_seen"  # the share parameters last applied from, or written to, the URL
_CODE_MESSAGE = "explorer.code_message"  # why the last uploaded code file was refused
SLIDERS_KIND = "sliders.kind"  # the sliders page's AE/VAE radio


class SliderLike(Protocol):
    """What the slider helpers need of explorer.shared.latent_space.SliderSpec."""

    dim: int

    def clip(self, value: float) -> float: ...


def slider_key(name: str, dim: int) -> str:
    """The widget key of checkpoint ``name``'s slider for latent dimension ``dim``."""
    return f"slider.{name}.{dim}"


def slider_code(name: str) -> np.ndarray | None:
    """The slider values last shown for checkpoint ``name``, so they survive a trip to another page."""
    return st.session_state.get(_CODES, {}).get(name)


def set_sliders(name: str, specs: Sequence[SliderLike], code: np.ndarray) -> None:
    """Move every slider of checkpoint ``name`` to ``code`` (clipped into range); for on_click callbacks."""
    for spec in specs:
        st.session_state[slider_key(name, spec.dim)] = spec.clip(float(code[spec.dim]))
    st.session_state.setdefault(_CODES, {})[name] = np.array(
        [spec.clip(float(code[spec.dim])) for spec in sorted(specs, key=lambda s: s.dim)], dtype=np.float32
    )
    revisions = st.session_state.setdefault(_REVISIONS, {})
    revisions[name] = revisions.get(name, 0) + 1


def restore_sliders(name: str, specs: Sequence[SliderLike]) -> None:
    """Give every slider a value before it is drawn: the last code shown, else zeros.

    Streamlit drops a widget's state when its page is left; the code kept under _CODES brings it back.
    """
    stored = slider_code(name)
    if stored is None or len(stored) != len(specs):
        stored = np.zeros(len(specs), dtype=np.float32)
    for spec in specs:
        if slider_key(name, spec.dim) not in st.session_state:
            st.session_state[slider_key(name, spec.dim)] = spec.clip(float(stored[spec.dim]))


def read_sliders(name: str, latent_dim: int) -> np.ndarray:
    """The code the sliders show now (and remember it for the next visit)."""
    code = np.array([st.session_state[slider_key(name, d)] for d in range(latent_dim)], dtype=np.float32)
    st.session_state.setdefault(_CODES, {})[name] = code
    return code


def code_revision(name: str) -> int:
    """How often Python moved checkpoint ``name``'s sliders; the live component follows only a new one."""
    return st.session_state.get(_REVISIONS, {}).get(name, 0)


def current_code(name: str, specs: Sequence[SliderLike]) -> np.ndarray:
    """The code to show for checkpoint ``name``: the last one stored, else zeros (clipped into range)."""
    stored = slider_code(name)
    if stored is None or len(stored) != len(specs):
        stored = np.zeros(len(specs), dtype=np.float32)
    return np.array([spec.clip(float(stored[spec.dim])) for spec in sorted(specs, key=lambda s: s.dim)], np.float32)


def store_live_code(name: str, specs: Sequence[SliderLike], component_key: str) -> None:
    """on_code_change callback of the live sliders: keep the code the browser sent (checked, clipped).

    Stored without a new revision, so the component is not told to move sliders the hand already moved.
    """
    value = st.session_state.get(component_key) or {}
    sent = value.get("code") if hasattr(value, "get") else None
    z = sent.get("z") if isinstance(sent, dict) else None
    try:
        code = share.check_code(z if isinstance(z, list) else [], len(specs), "the browser's code")
    except share.ShareError:
        return  # not from our component; keep the last good code
    code = np.array([spec.clip(float(code[spec.dim])) for spec in sorted(specs, key=lambda s: s.dim)], np.float32)
    for spec in specs:
        st.session_state[slider_key(name, spec.dim)] = float(code[spec.dim])
    st.session_state.setdefault(_CODES, {})[name] = code


def set_sliders_kind(kind: str) -> None:
    st.session_state[SLIDERS_KIND] = kind


def _link_params() -> dict[str, str]:
    return {
        k: st.query_params[k] for k in (share.SIZE_PARAM, share.KIND_PARAM, share.CODE_PARAM) if k in st.query_params
    }


def new_link() -> dict[str, str] | None:
    """The URL's share parameters if they are new to this session (a pasted link), else None."""
    params = _link_params()
    if not params or params == st.session_state.get(_LINK_SEEN):
        return None
    return params


def mark_link_seen(params: dict[str, str]) -> None:
    st.session_state[_LINK_SEEN] = dict(params)


def linked_latent_size(sizes: Sequence[int]) -> int | None:
    """The latent size a newly opened link asks for (None without a new link or with a bad size)."""
    params = new_link()
    try:
        return share.parse_size(params.get(share.SIZE_PARAM), sizes) if params else None
    except share.ShareError:
        return None


def write_link(params: dict[str, str]) -> None:
    """Put the shown view in the URL (only when it changed), so a copied link reopens it."""
    if _link_params() != params:
        st.query_params.update(params)
    mark_link_seen(params)


def load_code_file(uploader_key: str, name: str, specs: Sequence[SliderLike]) -> None:
    """on_change callback of the code-file uploader: move the sliders to the file's code, or keep why not."""
    file = st.session_state.get(uploader_key)
    st.session_state.pop(_CODE_MESSAGE, None)
    if file is None:
        return
    try:
        code = share.parse_code_json(file.getvalue(), len(specs))
    except share.ShareError as error:
        st.session_state[_CODE_MESSAGE] = f"The code file was not used: {error}."
        return
    set_sliders(name, specs, code)


def code_message() -> str | None:
    return st.session_state.get(_CODE_MESSAGE)
