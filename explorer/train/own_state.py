"""The Train page's "Your images" state: the set prepared from the last upload (or server folder), so a rerun
does not read and prepare the zip again."""

from __future__ import annotations

from typing import Any

import streamlit as st

_PREPARED = "own.prepared"  # {"source": (name, size, preparation), "set": ImageSet, "title": str} or an error


def prepared_set(source: tuple) -> dict[str, Any] | None:
    """What was prepared from ``source`` (a key of name, size and preparation), if it was the last one."""
    kept = st.session_state.get(_PREPARED)
    return kept if kept is not None and kept.get("source") == source else None


def keep_prepared_set(source: tuple, **what: Any) -> dict[str, Any]:
    """Remember the set (or the error) prepared from ``source``; only the last one is kept."""
    st.session_state[_PREPARED] = {"source": source, **what}
    return st.session_state[_PREPARED]


def forget_prepared_set() -> None:
    st.session_state.pop(_PREPARED, None)
