"""The image pickers' widget keys (explorer.shared.ui.image_picker: a source radio, an upload selectbox, a digit
and an example) and how code outside a picker seeds them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

TEST, UPLOAD = "test", "upload"  # the source radio's values
SOURCE_LABELS = {TEST: "Test image", UPLOAD: "Upload"}  # and what it shows for them


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

    def test_settings(self, digit: int, nth: int = 0) -> dict[str, Any]:
        """The widget values that show test image ``nth`` of label ``digit`` (what the lesson's "Show me" sets)."""
        return {self.source: TEST, self.digit: int(digit), self.nth: int(nth)}


def picker_started(keys: PickerKeys) -> bool:
    """Whether the picker's widgets already have state (so seeding it would overwrite the user's choice)."""
    return keys.source in st.session_state


def seed_picker_upload(keys: PickerKeys, upload_id: str) -> None:
    st.session_state[keys.source] = UPLOAD
    st.session_state[keys.upload] = upload_id


def seed_picker_test(keys: PickerKeys, digit: int, nth: int) -> None:
    st.session_state.update(keys.test_settings(digit, nth))


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
