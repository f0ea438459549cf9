"""Widgets several pages share: digits as crisp pictures, the upload box and its preparation steps, the image
picker and the images the sliders start from, the model kind picker. The frame every page runs in is
explorer.shared.frame; the sidebar is explorer.shared.sidebar; the run's pair is explorer.shared.context."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from explorer.shared import context, core, figures, model_catalog, state
from explorer.shared.model_catalog import KIND_NAMES
from vae.images import MAX_UPLOAD_MB, UPLOAD_TYPES

log = logging.getLogger("explorer")
F = TypeVar("F", bound=Callable[..., Any])
DIGIT_SCALE = 10  # 28 px -> 280 px


def kind_picker(pair: model_catalog.Pair, key: str, label: str = "Model") -> str:
    """AE or VAE (only those the pair has); VAE first, as it is the one that can be sampled from."""
    options = [k for k in ("vae", "ae") if pair.get(k) is not None]
    return st.radio(label, options, format_func=KIND_NAMES.get, horizontal=True, key=key)


# --------------------------------------------------------------------------------------------------------
# Images


def pictures(pngs: bytes | Sequence[bytes], caption: str | Sequence[str] | None = None, container: Any = None) -> None:
    """One PNG, or a row of them each with its own caption, shown at natural size as inline PNG data URLs."""
    where = st if container is None else container
    urls = figures.inline_png(pngs) if isinstance(pngs, bytes) else [figures.inline_png(p) for p in pngs]
    where.image(urls, caption=caption)


def digit(image: np.ndarray, caption: str | None = None, scale: int = DIGIT_SCALE, container: Any = None) -> None:
    """A digit enlarged with crisp square pixels (never smoothed)."""
    pictures(figures.digit_png(image, scale), caption, container)


def digit_row(
    images: Sequence[np.ndarray] | np.ndarray, captions: Sequence[str], scale: int = 3, container: Any = None
) -> None:
    """Digits side by side, each with its caption (a traversal's values, say); they wrap on narrow screens."""
    pictures([figures.digit_png(image, scale) for image in images], list(captions), container)


def guess_text(guess: core.Guess | None) -> str:
    if guess is None:
        return "no classifier for these images" if context.current().own else ("no classifier checkpoint")
    return f"classifier sees **{escape_markdown(context.label_of(guess.label))}** ({guess.confidence:.0%})"


def escape_markdown(text: str) -> str:
    """Text that markdown shows as it is: the characters of emphasis, links, code, tables, maths and HTML
    escaped with a backslash (a name such as "my-three.png" reads the same either way)."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|~$" else ch for ch in str(text))


def upload_box(key: str, label: str = "Upload digit images", multiple: bool = True) -> list[str]:
    """A file uploader whose files are prepared and kept in the session; refused files get one error each.

    Returns the ids of this uploader's usable files (the session keeps up to state.MAX_UPLOADS of them).
    """
    files = st.file_uploader(
        label,
        type=list(UPLOAD_TYPES),
        accept_multiple_files=multiple,
        key=key,
        help=f"PNG, JPEG, BMP, GIF or WebP, up to {MAX_UPLOAD_MB} MB each. A photo or scan of one digit works: "
        "it is converted to white-on-black, cropped, scaled into 20x20 and centred, like MNIST.",
    )
    st.caption(f"PNG, JPEG, BMP, GIF or WebP · up to {MAX_UPLOAD_MB} MB per file · one digit per image")
    ids, errors = state.store_uploads(files if isinstance(files, list) else [files] if files else [])
    for message in errors:
        st.error(message)
    for upload_id in ids:
        prepared = state.upload(upload_id)
        if prepared is not None and not prepared.has_ink:
            st.warning(f"{prepared.name}: no ink found; the image looks blank, so it is used as an empty digit.")
    return ids


def show_steps(upload_id: str) -> None:
    """The preparation steps of one upload, in order, each fitted into 120 px."""
    prepared = state.upload(upload_id)
    if prepared is None:
        return
    columns = st.columns(len(prepared.steps))
    for column, (title, picture) in zip(columns, prepared.steps, strict=True):
        pictures(figures.thumbnail_png(picture, 120), caption=title, container=column)


def start_images(limit: int = 10) -> list[tuple[np.ndarray, str]]:
    """Images to start the sliders from: the image chosen last in this session (another page's picker, an upload,
    a point on the latent map), then the first test image of each label, up to ``limit`` labels."""
    images, labels = context.test_images()
    firsts = [int(np.flatnonzero(labels == label)[0]) for label in np.unique(labels)[:limit]]
    chosen = state.chosen_image()
    starts = []
    if chosen is not None and not (chosen.source == "test" and int(chosen.key) in firsts):
        with contextlib.suppress(KeyError):  # an upload dropped since: the test images are still there
            starts.append(resolve(chosen))
    return starts + [(images[i], f"test image #{i} (a {context.label_of(int(labels[i]))})") for i in firsts]


def resolve(choice: state.ImageChoice) -> tuple[np.ndarray, str]:
    """The (28, 28) image and a caption for a chosen test image or upload."""
    if choice.source == "upload":
        prepared = state.upload(str(choice.key))
        if prepared is None:
            raise KeyError(choice.key)
        return prepared.image, state.upload_labels().get(str(choice.key), prepared.name)
    images, labels = context.test_images()
    index = int(choice.key)
    if index >= len(images):  # chosen on another pair's test set
        index = 0
    return images[index], f"test image #{index} (a {context.label_of(int(labels[index]))})"


def _seed_picker(keys: state.PickerKeys, choice: state.ImageChoice | None) -> None:
    """Start a picker at the session's chosen image, if its widgets have no state yet (e.g. on page entry)."""
    if choice is None or state.picker_started(keys):
        return
    if choice.source == "upload":
        state.seed_picker_upload(keys, str(choice.key))
        return
    labels = context.test_images()[1]
    if int(choice.key) >= len(labels):
        return
    digit = int(labels[int(choice.key)])
    state.seed_picker_test(keys, digit, int(np.searchsorted(np.flatnonzero(labels == digit), int(choice.key))))


def image_picker(key: str, default_digit: int = 0, shared: bool = True) -> tuple[np.ndarray, str]:
    """Pick a test image (digit + which example) or an upload; returns (image (28, 28), caption).

    A ``shared`` picker starts at the image last chosen anywhere in the session (another page's picker, a
    point on the latent map) and records its own choice for the others.
    """
    keys = state.PickerKeys(key)
    if shared:
        _seed_picker(keys, state.chosen_image())
    source = st.radio(
        "Image",
        list(state.SOURCE_LABELS),
        format_func=state.SOURCE_LABELS.get,
        horizontal=True,
        key=keys.source,
        label_visibility="collapsed",
    )
    choice = None
    if source == state.UPLOAD:
        new = upload_box(keys.uploader, label="Upload a digit image", multiple=False)
        labels = state.upload_labels()
        state.select_upload(keys, new, labels)
        if labels:
            upload_id = st.selectbox("Upload", list(labels), format_func=labels.get, key=keys.upload)
            choice = state.ImageChoice("upload", upload_id)
        else:
            st.info("Upload an image above; until then a test image is used.")
    if choice is None:
        test_labels = context.test_images()[1]
        groups = sorted(int(v) for v in np.unique(test_labels))
        state.default_digit(keys, default_digit if default_digit in groups else groups[0], groups)
        left, right = st.columns(2)
        title = "Label" if context.current().own else "Digit"
        digit = left.selectbox(title, groups, key=keys.digit, format_func=context.label_formatter())
        candidates = np.flatnonzero(test_labels == digit)
        state.clamp_example(keys, len(candidates))
        nth = right.number_input("Example", min_value=0, max_value=len(candidates) - 1, step=1, key=keys.nth)
        choice = state.ImageChoice("test", int(candidates[int(nth)]))
    if shared:
        state.choose_image(choice)
    return resolve(choice)
