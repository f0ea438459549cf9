"""Uploads, drawings and the chosen image: what a session keeps of the pictures it brought.

Uploads are prepared once (``vae.images.prepare_image``) and kept as small 28x28 arrays; at most
MAX_UPLOADS per session, the oldest dropped first, so a long session cannot grow without limit. A drawing
from the Draw page is kept among the uploads, so every page that offers uploads offers it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import streamlit as st

from vae.image_files import ImageError
from vae.images import PreparedImage, prepare_image

MAX_UPLOADS = 8
_MAX_SEEN = 64  # uploader file ids already handled (prepared or refused)

_UPLOADS = "explorer.uploads"  # OrderedDict[upload id, PreparedImage]
_SEEN = "explorer.seen_files"  # OrderedDict[uploader file id, upload id or the refusal message]
CHOSEN_IMAGE = "explorer.chosen_image"  # the image chosen last on any page (the lesson snapshots it)
_LAST_DRAWING = "explorer.last_drawing"  # upload id of the drawing last kept from the Draw page


class UploadedFileLike(Protocol):
    """What we use of Streamlit's UploadedFile (tests may pass anything with these)."""

    file_id: str
    name: str

    def getvalue(self) -> bytes: ...


@dataclass(frozen=True)
class ImageChoice:
    """An image some page picked: a test-set index or the id of an upload."""

    source: Literal["test", "upload"]
    key: int | str


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


def add_drawing(prepared: PreparedImage) -> str:
    """Keep a drawing from the Draw page among the uploads, so every page that offers uploads offers it."""
    upload_id = add_upload(prepared, b"drawing:" + np.ascontiguousarray(prepared.image).tobytes())
    st.session_state[_LAST_DRAWING] = upload_id
    return upload_id


def last_drawing() -> str | None:
    """The id of the drawing kept last, while it is still among the uploads."""
    upload_id = st.session_state.get(_LAST_DRAWING)
    return upload_id if upload_id in uploads() else None


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


def chosen_image() -> ImageChoice | None:
    choice = st.session_state.get(CHOSEN_IMAGE)
    if choice is not None and choice.source == "upload" and choice.key not in uploads():
        return None  # the upload was dropped to make room for newer ones
    return choice


def choose_image(choice: ImageChoice) -> None:
    st.session_state[CHOSEN_IMAGE] = choice
