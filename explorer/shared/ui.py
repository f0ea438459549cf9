"""Widgets shared by several pages, and ``guard``, which keeps tracebacks off the page.

A page calls ``guard(main)``; a fragment is decorated with ``@guarded`` (a fragment rerun does not pass
through the page's guard). Either way an unexpected exception becomes one short ``st.error`` and the full
traceback goes to the server log.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import streamlit as st
import torch

from explorer.shared import context, core, figures, model_catalog, resources, state
from vae.images import MAX_UPLOAD_MB, UPLOAD_TYPES

log = logging.getLogger("explorer")
F = TypeVar("F", bound=Callable[..., Any])
KIND_NAMES = {"ae": "Autoencoder", "vae": "VAE"}
DIGIT_SCALE = 10  # 28 px -> 280 px
# The favicon (app.py): an emoji, which the browser draws. Streamlit fetches a ":material/...:" favicon from
# fonts.gstatic.com, which fails offline; the page icons in app.py are fine, they come from the Material font
# bundled with Streamlit.
PAGE_ICON = "🔢"


def guard(body: Callable[[], Any]) -> None:
    """Run a page body; an unexpected exception is logged and shown as one short error, never a traceback."""
    try:
        body()
    except Exception as error:  # Streamlit's own rerun/stop signals are BaseExceptions and pass through
        log.exception("page failed")
        st.error(
            f"Something went wrong here ({type(error).__name__}). The rest of the app still works; "
            "the details are in the server log."
        )


def guarded(fn: F) -> F:
    """``guard`` as a decorator, for fragments (put it under ``@st.fragment``)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        guard(lambda: fn(*args, **kwargs))

    return wrapper  # type: ignore[return-value]


def setup_logging() -> None:
    """Send the explorer's log (tracebacks of failed pages) to stderr beside Streamlit's own.

    EXPLORER_TIMING=1 also logs how long the slider panel takes per rerun (at DEBUG).
    """
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG if os.environ.get("EXPLORER_TIMING") else logging.INFO)
        log.propagate = False


def configure_threads() -> None:
    """One torch thread per request, unless $EXPLORER_TORCH_THREADS says otherwise.

    Measured on the shared two-core machine under load: with torch's default (2 threads) classifying one
    digit took ~150 ms median, with 1 thread 0.5 ms, and encoding the test set was faster too. The server
    already runs one script thread per session, so more threads per call only oversubscribe the cores.
    """
    try:
        wanted = max(1, int(os.environ.get("EXPLORER_TORCH_THREADS", "1")))
    except ValueError:
        log.warning("EXPLORER_TORCH_THREADS must be a whole number; using 1")
        wanted = 1
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


# --------------------------------------------------------------------------------------------------------
# Model pair (explorer.shared.context resolves it once per run)


def current_pair() -> model_catalog.Pair | None:
    """The pair this run shows (explorer.shared.context: resolved once per run)."""
    return context.current().pair


def require_pair(*kinds: str) -> model_catalog.Pair:
    """The chosen model pair; stops the page with a hint when it lacks the model kinds the page needs (without
    ``kinds``: when it has no model at all). A page that gets past this works with what the pair has."""
    pair = current_pair()
    missing = [KIND_NAMES[k] for k in kinds or ("ae", "vae") if pair is None or pair.get(k) is None]
    if pair is None or not pair.kinds or (kinds and missing):
        root = resources.checkpoint_root()
        size = f"latent size {pair.latent_dim}" if pair is not None else "this latent size"
        st.warning(
            f"This page needs the {' and the '.join(missing)} of {size}, and there is no usable one under `{root}`"
            " or among your training runs. Train one on the Train page or pick another latent size in the sidebar."
        )
        st.stop()
    return pair  # type: ignore[return-value]


def sidebar() -> None:
    """The latent-size selector every page shares, then the run's context settled from it, then which checkpoints
    it resolved to."""
    models = context.models()
    sizes = models.sizes
    with st.sidebar:
        if not sizes:
            st.warning(f"No autoencoder or VAE checkpoints found under `{models.catalog.root}`.")
        else:
            size = st.radio(
                "Latent size",
                sizes,
                format_func=lambda d: f"{d} dimensions",
                key=state.latent_size_widget(sizes, shipped=list(models.catalog.pairs)),
                horizontal=True,
                help="Every page uses the autoencoder and the VAE of this latent size.",
            )
            state.set_latent_size(size)
            user_run_picker(models, size)
        pair = context.settle().pair
        if pair is not None:
            if pair.own:  # a folder name is shown as text only: markup in it must never render
                st.text(f"Your images: {pair.title}")
            st.caption(" · ".join(f"{KIND_NAMES[k]}: `{pair.get(k).name}`" for k in pair.kinds))
        if models.catalog.classifier is None:
            st.caption("No classifier checkpoint: digit guesses and sample scores are off.")
        if broken := models.broken:
            st.caption(f"{len(broken)} checkpoint(s) could not be loaded; see Home.")


def user_run_picker(models: context.Models, size: int) -> None:
    """Offer this latent size's user runs (Train page) in place of the shipped AE or VAE, and the pairs trained
    on a person's own images (under their set's title), on every page."""
    runs = models.runs_of(size)
    sets = {p.key: p for p in models.sets_of(size)}
    if not runs and not sets:
        return
    names = [*(r.name for r in runs), *sets]
    options = ["", *names] if models.has_shipped(size) else names  # "" = the shipped models

    def label(name: str) -> str:  # selectbox options are plain text, so a title with markup stays text
        if name in sets:
            return f"your images: {sets[name].title}"
        return f"user run: {name}" if name else "shipped models"

    state.seed_user_run_widget(size, options)
    chosen = st.selectbox(
        "Model",
        options,
        format_func=label,
        key=state.user_run_widget_key(size),
        help="A run trained on the Train page takes the place of the shipped model of its kind on every page; "
        "a pair trained on your images replaces both models, and the test images become its held-out images.",
    )
    state.set_user_run(size, chosen or None)


def classifier_checkpoint(pair: model_catalog.Pair | None = None) -> Any:
    """The classifier for this pair (default: the chosen one): MNIST's, or the one trained on the pair's own
    images; None when there is none."""
    if pair is None:
        return context.current().classifier_checkpoint
    return pair.classifier if pair.own else context.models().catalog.classifier


def classifier() -> Any:
    """The chosen pair's classifier model, or None when there is none (missing, broken, or an unlabelled set)."""
    return context.current().classifier


def test_images() -> tuple[np.ndarray, np.ndarray]:
    """The chosen pair's test images and labels: MNIST's test set, or its own set's held-out images."""
    return context.current().test_set


def label_names() -> tuple[str, ...]:
    """The chosen pair's label names by index (MNIST's digits; empty for an unlabelled own set)."""
    return context.current().label_names


def label_formatter(names: Sequence[str] | None = None) -> Callable[[int], str]:
    """A widget's format_func for label indices, bound to the names now (AppTest calls it outside a run)."""
    bound = tuple(label_names() if names is None else names)
    return lambda index: label_of(int(index), bound)


def label_of(index: int, names: Sequence[str] | None = None) -> str:
    """A label's name for the page (text, never markup): '7', 'circles', or 'image' for an unlabelled one."""
    return context.current().label_of(index, names)


def kind_picker(pair: model_catalog.Pair, key: str, label: str = "Model") -> str:
    """AE or VAE (only those the pair has); VAE first, as it is the one that can be sampled from."""
    options = [k for k in ("vae", "ae") if pair.get(k) is not None]
    return st.radio(label, options, format_func=KIND_NAMES.get, horizontal=True, key=key)


# --------------------------------------------------------------------------------------------------------
# Images


# Every digit on every page goes through ``pictures``. Given PNG bytes, st.image re-encodes a grey PNG as JPEG
# (quality 90, which smears the square pixels) and serves it from /media; a data: URL reaches the browser
# unchanged. The PNGs are already enlarged by whole pixels; CRISP_PIXELS stops the browser smoothing them
# again when it resizes one (a narrow column, or a high-density screen that doubles every CSS pixel).
CRISP_PIXELS = "<style>[data-testid='stImage'] img { image-rendering: pixelated; }</style>"


def crisp_pixels() -> None:
    """Once per run (app.py): style-only HTML goes to Streamlit's event container and takes no space."""
    st.html(CRISP_PIXELS)


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
    return f"classifier sees **{escape_markdown(label_of(guess.label))}** ({guess.confidence:.0%})"


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
    images, labels = test_images()
    firsts = [int(np.flatnonzero(labels == label)[0]) for label in np.unique(labels)[:limit]]
    chosen = state.chosen_image()
    starts = []
    if chosen is not None and not (chosen.source == "test" and int(chosen.key) in firsts):
        with contextlib.suppress(KeyError):  # an upload dropped since: the test images are still there
            starts.append(resolve(chosen))
    return starts + [(images[i], f"test image #{i} (a {label_of(int(labels[i]))})") for i in firsts]


def resolve(choice: state.ImageChoice) -> tuple[np.ndarray, str]:
    """The (28, 28) image and a caption for a chosen test image or upload."""
    if choice.source == "upload":
        prepared = state.upload(str(choice.key))
        if prepared is None:
            raise KeyError(choice.key)
        return prepared.image, state.upload_labels().get(str(choice.key), prepared.name)
    images, labels = test_images()
    index = int(choice.key)
    if index >= len(images):  # chosen on another pair's test set
        index = 0
    return images[index], f"test image #{index} (a {label_of(int(labels[index]))})"


def _seed_picker(keys: state.PickerKeys, choice: state.ImageChoice | None) -> None:
    """Start a picker at the session's chosen image, if its widgets have no state yet (e.g. on page entry)."""
    if choice is None or state.picker_started(keys):
        return
    if choice.source == "upload":
        state.seed_picker_upload(keys, str(choice.key))
        return
    labels = test_images()[1]
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
        test_labels = test_images()[1]
        groups = sorted(int(v) for v in np.unique(test_labels))
        state.default_digit(keys, default_digit if default_digit in groups else groups[0], groups)
        left, right = st.columns(2)
        title = "Label" if context.current().own else "Digit"
        digit = left.selectbox(title, groups, key=keys.digit, format_func=label_formatter())
        candidates = np.flatnonzero(test_labels == digit)
        state.clamp_example(keys, len(candidates))
        nth = right.number_input("Example", min_value=0, max_value=len(candidates) - 1, step=1, key=keys.nth)
        choice = state.ImageChoice("test", int(candidates[int(nth)]))
    if shared:
        state.choose_image(choice)
    return resolve(choice)
