"""What one session carries from page to page: the chosen model pair, the chosen image and the uploads.

Every page goes through these functions instead of touching ``st.session_state`` keys itself, so the keys
and their bounds live in one place. Uploads are prepared once (``vae.images.prepare_image``) and kept as
small 28x28 arrays; at most MAX_UPLOADS per session, the oldest dropped first, so a long session cannot
grow without limit.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import streamlit as st

from vae.images import ImageError, PreparedImage, prepare_image

MAX_UPLOADS = 8
_MAX_SEEN = 64  # uploader file ids already handled (prepared or refused)

LATENT_SIZE = "explorer.latent_size"
_UPLOADS = "explorer.uploads"  # OrderedDict[upload id, PreparedImage]
_SEEN = "explorer.seen_files"  # OrderedDict[uploader file id, upload id or the refusal message]
_CHOSEN = "explorer.chosen_image"
_CODES = "explorer.codes"  # dict[checkpoint name, slider values]


class UploadedFileLike(Protocol):
    """What we use of Streamlit's UploadedFile (tests may pass anything with these)."""

    file_id: str
    name: str

    def getvalue(self) -> bytes: ...


class SliderLike(Protocol):
    """What the slider helpers need of explorer.core.SliderSpec."""

    dim: int

    def clip(self, value: float) -> float: ...


@dataclass(frozen=True)
class ImageChoice:
    """An image some page picked: a test-set index or the id of an upload."""

    source: Literal["test", "upload"]
    key: int | str


# --------------------------------------------------------------------------------------------------------
# Model pair


def latent_size(available: Sequence[int]) -> int | None:
    """The chosen latent size if still available, else the largest one (16 shows the most), else None."""
    chosen = st.session_state.get(LATENT_SIZE)
    if chosen in available:
        return chosen
    return max(available) if available else None


def set_latent_size(size: int) -> None:
    st.session_state[LATENT_SIZE] = int(size)


# --------------------------------------------------------------------------------------------------------
# Uploads


def _ordered(key: str) -> OrderedDict:
    if key not in st.session_state:
        st.session_state[key] = OrderedDict()
    return st.session_state[key]


def uploads() -> OrderedDict[str, PreparedImage]:
    """This session's prepared uploads by id, oldest first."""
    return _ordered(_UPLOADS)


def upload(upload_id: str) -> PreparedImage | None:
    return uploads().get(upload_id)


def add_upload(prepared: PreparedImage, data: bytes) -> str:
    """Keep a prepared upload (dropping the oldest beyond MAX_UPLOADS); returns its id."""
    upload_id = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]
    store = uploads()
    store[upload_id] = prepared
    store.move_to_end(upload_id)
    while len(store) > MAX_UPLOADS:
        store.popitem(last=False)
    return upload_id


def store_uploads(files: Iterable[UploadedFileLike] | None) -> tuple[list[str], list[str]]:
    """Prepare the uploader's files and keep them: (ids of the usable ones, one message per refused file).

    Each uploader file is handled once; later reruns reuse the result, so an upload costs nothing after
    the run in which it arrived. A file whose upload was dropped to make room stays dropped while it sits
    in the uploader: bringing it back would drop another one, and with more than MAX_UPLOADS files every
    rerun would prepare them all again.
    """
    seen = _ordered(_SEEN)
    ids: list[str] = []
    errors: list[str] = []
    for file in list(files or [])[-_MAX_SEEN:]:  # older ones could not be kept anyway, nor remembered as seen
        outcome = seen.get(file.file_id)
        if outcome is None:
            data = file.getvalue()
            try:
                outcome = add_upload(prepare_image(data, file.name), data)
            except ImageError as error:
                outcome = "!" + str(error)
            seen[file.file_id] = outcome
            while len(seen) > _MAX_SEEN:
                seen.popitem(last=False)
        if outcome.startswith("!"):
            errors.append(outcome[1:])
        elif outcome in uploads():
            ids.append(outcome)
    return ids, errors


def clear_uploads() -> None:
    uploads().clear()
    _ordered(_SEEN).clear()


def upload_labels() -> dict[str, str]:
    """Upload id -> a readable label (the file name, numbered when two uploads share one)."""
    labels: dict[str, str] = {}
    counts: dict[str, int] = {}
    for upload_id, prepared in uploads().items():
        counts[prepared.name] = counts.get(prepared.name, 0) + 1
        suffix = f" ({counts[prepared.name]})" if counts[prepared.name] > 1 else ""
        labels[upload_id] = f"{prepared.name}{suffix}"
    return labels


# --------------------------------------------------------------------------------------------------------
# Chosen image and slider codes


def chosen_image() -> ImageChoice | None:
    choice = st.session_state.get(_CHOSEN)
    if choice is not None and choice.source == "upload" and choice.key not in uploads():
        return None  # the upload was dropped to make room for newer ones
    return choice


def choose_image(choice: ImageChoice) -> None:
    st.session_state[_CHOSEN] = choice


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
    st.session_state.setdefault(_CODES, {})[name] = np.asarray(code, dtype=np.float32)


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


# --------------------------------------------------------------------------------------------------------
# User runs (Train page)

_USER_RUN = "explorer.user_run"  # dict[latent size, run name or None for the shipped pair]
_TRAIN_VIEW = "train.view"  # the run the Train page shows when none is in progress


def user_run_widget_key(size: int) -> str:
    """The sidebar selectbox's key for one latent size."""
    return f"sidebar.user_run.{size}"


def user_run(size: int, available: Sequence[str]) -> str | None:
    """The user run chosen for this latent size, if it is still available (else the shipped pair: None)."""
    name = st.session_state.get(_USER_RUN, {}).get(size)
    return name if name in available else None


def set_user_run(size: int, name: str | None) -> None:
    st.session_state.setdefault(_USER_RUN, {})[int(size)] = name


def seed_user_run_widget(size: int, available: Sequence[str]) -> None:
    """Start the sidebar's run picker at the session's choice (widget state is dropped between pages)."""
    key = user_run_widget_key(size)
    if st.session_state.get(key) not in ["", *available]:
        st.session_state[key] = user_run(size, available) or ""


def train_view(available: Sequence[str]) -> str | None:
    name = st.session_state.get(_TRAIN_VIEW)
    return name if name in available else None


def set_train_view(name: str | None) -> None:
    st.session_state[_TRAIN_VIEW] = name
