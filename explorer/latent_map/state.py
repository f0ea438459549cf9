"""The Latent map's state: its widget keys, the chart selected last, and where the pad starts pinned."""

from __future__ import annotations

import streamlit as st

METHOD = "map.method"  # the projection radio (PCA / t-SNE)
DIGITS = "map.digits"  # dots or the digits' own pictures
PAD_PLANE = "pad.plane"
PAD_DIM_X, PAD_DIM_Y = "pad.dim_x", "pad.dim_y"
_SELECTED = "explorer.map_selected"  # (kind, chart key) of the latent-map chart selected most recently
PAD_ENTRY = "explorer.pad_entry"  # (u, v): where the pad starts pinned, in pad units


def remember_map_selection(kind: str, chart_key: str) -> None:
    """on_select callback: note which chart the user selected in last, so its selection wins."""
    st.session_state[_SELECTED] = (kind, chart_key)


def map_selection() -> tuple[str | None, str | None]:
    """(kind, chart key) of the latent-map chart selected in most recently, or (None, None)."""
    return st.session_state.get(_SELECTED, (None, None))


def pad_entry() -> tuple[float, float] | None:
    """Where the pad starts pinned, in pad units, or None."""
    return st.session_state.get(PAD_ENTRY)


def pin_settings(uv: tuple[float, float]) -> dict[str, tuple[float, float]]:
    """The state that starts the pad pinned at ``uv`` (what the lesson's "Show me" sets)."""
    return {PAD_ENTRY: (float(uv[0]), float(uv[1]))}
