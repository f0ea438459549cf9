"""The Train page's "Your images" state: the set prepared from the last upload (or server folder), so a rerun
does not read and prepare the zip again, and a guard for widgets whose options change with the chosen pair."""

from __future__ import annotations

from collections.abc import Sequence
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


def keep_choice(key: str, options: Sequence[Any], default: Any) -> None:
    """Before a selectbox is drawn: a stored value ``options`` lacks goes back to ``default``."""
    if key in st.session_state and st.session_state[key] not in options:
        st.session_state[key] = default


def keep_options(key: str, options: Sequence[Any], default: Sequence[Any]) -> None:
    """Before a multiselect is drawn: a stored choice with values ``options`` lacks (another pair's labels)
    goes back to ``default``."""
    stored = st.session_state.get(key)
    if stored is not None and any(value not in options for value in stored):
        st.session_state[key] = list(default)
