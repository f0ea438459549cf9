"""Which model pair a session looks at: the latent size and, per size, a user run from the Train page
(None: the shipped pair). Also the sidebar's widget keys and a reader for any widget's stored value."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from explorer.sliders.state import linked_latent_size

LATENT_SIZE = "explorer.latent_size"
_USER_RUN = "explorer.user_run"  # dict[latent size, run name or None for the shipped pair]
SIDEBAR_LATENT_SIZE = "sidebar.latent_size"


def latent_size(available: Sequence[int], shipped: Sequence[int] = ()) -> int | None:
    """The chosen latent size if still available, else the largest shipped one (16 shows the most), else the
    largest at all, else None. A user run of a new size (say z=20) must not become everyone's default page."""
    chosen = st.session_state.get(LATENT_SIZE)
    if chosen in available:
        return chosen
    preferred = [size for size in shipped if size in available] or list(available)
    return max(preferred) if preferred else None


def set_latent_size(size: int) -> None:
    st.session_state[LATENT_SIZE] = int(size)


def latent_size_settings(size: int) -> dict[str, int]:
    """The state that makes ``size`` the chosen latent size on the next run, the sidebar's radio included (what
    the lesson's "Show me" sets; its keys are what leaving the lesson puts back)."""
    return {LATENT_SIZE: int(size), SIDEBAR_LATENT_SIZE: int(size)}


def latent_size_widget(available: Sequence[int], shipped: Sequence[int] = ()) -> str:
    """The sidebar selector's key, its value first set to the chosen size when it has none or a stale one."""
    linked = linked_latent_size(available)  # a shared link (the sliders page's URL) names one
    if linked is not None or st.session_state.get(SIDEBAR_LATENT_SIZE) not in available:  # or first run, or stale
        st.session_state[SIDEBAR_LATENT_SIZE] = linked or latent_size(available, shipped)
    return SIDEBAR_LATENT_SIZE


def widget_value(key: str, default: object = None) -> object:
    """A widget's value from this or an earlier run, e.g. one that sits in a branch not drawn this time."""
    return st.session_state.get(key, default)


def user_run_widget_key(size: int) -> str:
    """The sidebar selectbox's key for one latent size."""
    return f"sidebar.user_run.{size}"


def user_run(size: int, available: Sequence[str]) -> str | None:
    """The user run chosen for this latent size, if it is still available (else the shipped pair: None)."""
    name = st.session_state.get(_USER_RUN, {}).get(size)
    return name if name in available else None


def set_user_run(size: int, name: str | None) -> None:
    st.session_state.setdefault(_USER_RUN, {})[int(size)] = name


def seed_user_run_widget(size: int, options: Sequence[str]) -> None:
    """Start the sidebar's run picker at the session's choice (widget state is dropped between pages).

    ``options`` are run names, with "" first when a shipped pair of this size exists; with no "" the newest
    run stands in for a choice that has gone (a latent size only user runs have)."""
    key = user_run_widget_key(size)
    if st.session_state.get(key) not in options:
        fallback = "" if "" in options else (options[0] if options else "")
        st.session_state[key] = user_run(size, options) or fallback
