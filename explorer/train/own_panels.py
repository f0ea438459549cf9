"""The Train page's "Your images" section: a zip (or, on a local install, a folder on the server) prepared
like the chosen preparation, shown as a preview grid with the counts used and skipped, then trained as a pair.

Reading and preparing is ``vae.image_sets`` (the CLI uses the same code); the prepared set is stored once under
the runs folder (``vae.prepared_sets``) when the pair is started, and the pair (AE, VAE, and a classifier when
the set has labels) is one job of ``explorer.train.runs``. Folder names are shown as text only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from explorer.shared import figures
from explorer.train import own_state, run_records
from vae import image_sets, prepared_sets

SERVER_FOLDERS_ENV = "EXPLORER_SERVER_FOLDERS"  # "1" on a local install: offer reading a folder on the server
PREVIEW = 48  # prepared images in the preview grid
HIDDEN = {"": "default (512, 256)", "128": "128", "32": "32", "16": "16 (quick)"}
# The zip's own limit is the upload box's: server.maxUploadSize MB, which Streamlit's browser check counts in
# millions of bytes (except on Windows, 2**20) while its server counts 2**20. The smaller number is the one that
# applies everywhere, so the page states it in bytes and refuses anything over it itself as well.
ZIP_LIMIT_BYTES = image_sets.MAX_UPLOAD_MB * 10**6
RULES = (
    f"A zip of at most {ZIP_LIMIT_BYTES:,} bytes ({image_sets.MAX_UPLOAD_MB} MB, the upload box's limit) of PNG, "
    f"JPEG, BMP, GIF or WebP images (each up to {image_sets.MAX_UPLOAD_MB} MB unpacked, at least "
    f"{image_sets.MIN_IMAGES}, at most {image_sets.MAX_MEMBERS:,} files). Sub-folders become labels (2 to "
    f"{image_sets.MAX_LABELS} of them, every image in one); other files are skipped and counted."
)


def server_folders_allowed() -> bool:
    """Reading a folder on the server is for local installs only, where the visitor owns the machine."""
    return os.environ.get(SERVER_FOLDERS_ENV, "") == "1"


def _prepare(source: tuple, read: Any) -> dict[str, Any]:
    """The set prepared from ``source`` once per session (reruns reuse it), or the reason it cannot be used."""
    kept = own_state.prepared_set(source)
    if kept is not None:
        return kept
    try:
        with st.spinner("Reading and preparing your images…"):
            prepared = read()
    except image_sets.ImageSetError as error:
        return own_state.keep_prepared_set(source, error=str(error))
    return own_state.keep_prepared_set(source, set=prepared, title=source[0])


def chosen_set() -> dict[str, Any] | None:
    """The widgets choosing the images and the preparation; the prepared set (or its error), or None."""
    preparation = st.radio(
        "Preparation",
        list(image_sets.PREPARATIONS),
        format_func=image_sets.PREPARATIONS.get,
        horizontal=True,
        key="own.preparation",
        help="Digit-like: white ink on black, cropped, fitted into 20x20 and centred, as MNIST. Picture: the "
        "whole picture in grey, fitted into 28x28 and padded with its border colour.",
    )
    sources = ["Upload a zip", "A folder on the server"] if server_folders_allowed() else ["Upload a zip"]
    where = st.radio("Images from", sources, horizontal=True, key="own.source") if len(sources) > 1 else sources[0]
    if where == "Upload a zip":
        upload = st.file_uploader("Zip of your images", type=["zip"], key="own.zip", help=RULES)
        st.caption(RULES)
        if upload is None:
            return None
        data = upload.getvalue()
        if len(data) > ZIP_LIMIT_BYTES:  # a browser that counts a megabyte as 2**20 bytes let it through
            limit = f"{ZIP_LIMIT_BYTES:,} bytes ({image_sets.MAX_UPLOAD_MB} MB, the upload box's limit)"
            return {"error": f"The zip is {len(data):,} bytes; the limit for a zip is {limit}."}
        title = Path(upload.name).stem or "images"
        return _prepare((title, len(data), preparation), lambda: image_sets.read_zip(data, preparation))
    folder = st.text_input("Folder on the server", key="own.folder", help="Read in place; links are not followed.")
    if not folder.strip():
        return None
    title = Path(folder.strip()).name or "images"
    return _prepare((title, folder.strip(), preparation), lambda: image_sets.read_folder(folder.strip(), preparation))


def preview(prepared: image_sets.ImageSet, title: str) -> None:
    """The first prepared images, the counts used and skipped (and why), the labels: all as plain text."""
    st.text(f"{title}: {prepared.counts_text()}")
    for note in prepared.notes:
        st.caption(note)
    if prepared.labelled:
        counts = np.bincount(prepared.labels, minlength=len(prepared.label_names))
        st.text("Labels: " + ", ".join(f"{n} ({c})" for n, c in zip(prepared.label_names, counts, strict=True)))
    else:
        st.text("No labels: the pair learns the images without names, and no classifier is trained.")
    shown = prepared.images[:PREVIEW].astype(np.float32) / 255.0
    st.image(figures.inline_png(figures.grid_png(shown, columns=16, scale=2)), caption="prepared images, 28x28")


def pair_form(busy: bool) -> tuple[int, int, tuple[int, ...]] | None:
    """The pair's settings; returns (latent size, epochs, hidden widths) when "Train a pair" was pressed."""
    with st.form("own.settings", border=True):
        left, middle, right = st.columns(3)
        latent = left.select_slider("Latent size", [2, 4, 8, 16], value=2, key="own.latent")
        epochs = middle.number_input("Epochs", 1, 200, 20, key="own.epochs")
        hidden = right.selectbox("Hidden width", list(HIDDEN), format_func=HIDDEN.get, key="own.hidden")
        pressed = st.form_submit_button("Train a pair", type="primary", disabled=busy, icon=":material/model_training:")
    if not pressed:
        return None
    return int(latent), int(epochs), (int(hidden),) if hidden else ()


def specs_for(kept: dict[str, Any], settings: tuple[int, int, tuple[int, ...]]) -> list[run_records.RunSpec] | None:
    """Store the prepared set once under the runs folder and return the pair's runs (None if it cannot be)."""
    prepared = kept["set"]
    try:
        folder = prepared_sets.save(prepared, run_records.runs_root(), kept["title"])
    except OSError as error:
        st.error(f"Could not store the prepared images under the runs folder ({error.strerror or error}).")
        return None
    latent, epochs, hidden = settings
    return run_records.own_pair_specs(folder, latent, epochs, prepared.labelled, hidden, max_minutes=10.0)


def section(busy: bool, start: Any) -> None:
    """The whole section; ``start`` queues specs as one job (train_panels.start, with no MNIST classifier)."""
    kept = chosen_set()
    if kept is None:
        st.caption("Nothing chosen yet.")
        return
    if "error" in kept:
        st.error(kept["error"])
        return
    preview(kept["set"], kept["title"])
    settings = pair_form(busy)
    if settings is not None:
        specs = specs_for(kept, settings)
        if specs:
            start(specs, classifier=None)
