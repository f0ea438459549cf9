"""The Train page's state: which run it shows when none is in progress."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

_TRAIN_VIEW = "train.view"  # the run the Train page shows when none is in progress


def train_view(available: Sequence[str]) -> str | None:
    name = st.session_state.get(_TRAIN_VIEW)
    return name if name in available else None


def set_train_view(name: str | None) -> None:
    st.session_state[_TRAIN_VIEW] = name
