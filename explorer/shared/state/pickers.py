"""The image pickers' widget keys (explorer.shared.ui.image_picker: a source radio, an upload selectbox, a digit
and an example) and how code outside a picker seeds them; the latent-map charts' selections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import streamlit as st

_MAP_SELECTED = "explorer.map_selected"  # (kind, chart key) of the latent-map chart selected most recently
RECONSTRUCT_SEED = "rec.seed"
PAD_ENTRY = "explorer.pad_entry"  # (u, v): where the Latent map's pad starts pinned (the lesson sets it)


@dataclass(frozen=True)
class PickerKeys:
    """The widget keys of the image picker called ``prefix``."""

    prefix: str

    @property
    def source(self) -> str:
        return f"{self.prefix}.source"

    @property
    def uploader(self) -> str:
        return f"{self.prefix}.uploader"

    @property
    def upload(self) -> str:
        return f"{self.prefix}.upload"

    @property
    def newest(self) -> str:  # not a widget: the upload that last arrived through this picker's uploader
        return f"{self.prefix}.newest"

    @property
    def digit(self) -> str:
        return f"{self.prefix}.digit"

    @property
    def nth(self) -> str:
        return f"{self.prefix}.nth"


def picker_started(keys: PickerKeys) -> bool:
    """Whether the picker's widgets already have state (so seeding it would overwrite the user's choice)."""
    return keys.source in st.session_state


def seed_picker_upload(keys: PickerKeys, upload_id: str) -> None:
    st.session_state[keys.source] = "Upload"
    st.session_state[keys.upload] = upload_id


def seed_picker_test(keys: PickerKeys, digit: int, nth: int) -> None:
    st.session_state[keys.source] = "Test image"
    st.session_state[keys.digit] = int(digit)
    st.session_state[keys.nth] = int(nth)


def select_upload(keys: PickerKeys, new_ids: Sequence[str], available: Iterable[str]) -> None:
    """Before the upload selectbox is drawn: a fresh upload becomes the selection, a vanished one the newest."""
    available = list(available)
    if new_ids and st.session_state.get(keys.newest) != new_ids[-1]:
        st.session_state[keys.upload] = st.session_state[keys.newest] = new_ids[-1]
    if available and st.session_state.get(keys.upload) not in available:
        st.session_state[keys.upload] = available[-1]


def default_digit(keys: PickerKeys, digit: int, options: Sequence[int] | None = None) -> None:
    """The digit (label) widget starts at ``digit``; a stored one that ``options`` lacks (another pair's
    labels) is replaced too."""
    if options is not None and st.session_state.get(keys.digit) not in options:
        st.session_state[keys.digit] = digit
    st.session_state.setdefault(keys.digit, digit)


def clamp_example(keys: PickerKeys, count: int) -> None:
    """Before the example input is drawn: back to 0 when the newly chosen digit has fewer examples."""
    if not 0 <= st.session_state.get(keys.nth, 0) < count:
        st.session_state[keys.nth] = 0
    st.session_state.setdefault(keys.nth, 0)


def remember_map_selection(kind: str, chart_key: str) -> None:
    """on_select callback: note which chart the user selected in last, so its selection wins."""
    st.session_state[_MAP_SELECTED] = (kind, chart_key)


def map_selection() -> tuple[str | None, str | None]:
    """(kind, chart key) of the latent-map chart selected in most recently, or (None, None)."""
    return st.session_state.get(_MAP_SELECTED, (None, None))


def pad_entry() -> tuple[float, float] | None:
    """Where the Latent map's pad starts pinned, in pad units, or None (explorer.lesson.state sets it)."""
    return st.session_state.get(PAD_ENTRY)
