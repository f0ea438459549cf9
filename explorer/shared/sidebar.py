"""The sidebar every page shares: the latent size, the user run or own-images pair in place of the shipped models,
and which checkpoints they resolved to. Drawing it settles the run's context (explorer.shared.context)."""

from __future__ import annotations

import streamlit as st

from explorer.shared import context, state
from explorer.shared.model_catalog import KIND_NAMES


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
