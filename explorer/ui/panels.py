"""Composite displays that would make a page long: result rows, score cards, a selected point's details.

Each takes ready-made results (from explorer.compute's core and latent_space, or explorer.resources) and only
lays them out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from explorer import resources, state, ui
from explorer.charts import figures
from explorer.compute import core, latent_space, model_catalog
from explorer.ui import KIND_NAMES


def reconstruction_row(item: core.ReconstructionRow) -> None:
    """One image: original, AE, VAE, posterior samples, the classifier's guesses and the outlier check."""
    cells = st.columns([1, 1, 1, 3, 3], vertical_alignment="center")
    for cell, picture, title in zip(
        cells[:3], (item.original, item.ae, item.vae), ("original", "AE", "VAE"), strict=True
    ):
        if picture is not None:
            ui.digit(picture, title, scale=4, container=cell)
    if item.posterior is not None:
        ui.pictures(figures.strip_png(item.posterior, scale=3), "VAE posterior samples", container=cells[3])
    named = (("original", item.guess_original), ("AE", item.guess_ae), ("VAE", item.guess_vae))
    guesses = [
        f"{title} **{ui.escape_markdown(ui.label_of(g.label))}** ({g.confidence:.0%})" for title, g in named if g
    ]
    text = f"**{ui.escape_markdown(item.name)}**  \nclassifier: {', '.join(guesses) or 'not available'}"
    if item.check is not None:
        verdict = ":red[**looks out of distribution**]" if item.check.out_of_distribution else "in distribution"
        share = f"higher than {item.check.percentile:.0f}% of test images"
        text += f"  \nnegative ELBO {item.check.score:.1f} nats ({share}): {verdict}"
    cells[4].markdown(text)


def sample_scores(column: Any, quality: dict[str, Any], stored: dict[str, Any] | None) -> None:
    """The live sample-quality metrics as three metric cards, and the stored 10k-sample ones beneath."""
    share, coverage, frechet = column.columns(3)
    share.metric("Recognisable", f"{quality['recognisable_share']:.1%}", help="Classifier at least 90% sure.")
    coverage.metric(
        "Class coverage",
        f"{quality['class_coverage']:.2f} nats",
        help="Entropy of the guessed digits; log 10 = 2.30 means all ten digits equally often.",
    )
    if "frechet_distance" in quality:
        frechet.metric(
            "Frechet distance",
            f"{quality['frechet_distance']:.1f}",
            help=f"To {resources.FRECHET_REFERENCE:,} test images in the classifier's feature space; lower is closer.",
        )
    if stored:
        samples = stored.get("samples")
        text = f"Stored for {samples:,} samples" if isinstance(samples, int) else "Stored with the checkpoint"
        text += f": recognisable {stored['recognisable_share']:.1%}"
        if isinstance(stored.get("frechet_distance"), (int, float)):
            text += f", Frechet distance {stored['frechet_distance']:.1f}"
        column.caption(text)


# --------------------------------------------------------------------------------------------------------
# Latent map selection


def selected_point(charts: dict[str, str], picks: dict[str, int | None]) -> tuple[str, int] | None:
    """(kind, test index) of the point picked in the most recently clicked latent-map chart, if any.

    ``charts`` maps each kind to its chart's widget key, ``picks`` to the index its chart reported."""
    kind, chart_key = state.map_selection()
    if kind not in charts or charts[kind] != chart_key or picks.get(kind) is None:
        return None
    return kind, int(picks[kind])


def map_labels(pair: model_catalog.Pair) -> tuple[np.ndarray, tuple[str, ...] | None, str]:
    """The latent map's labels for this pair's test images, the legend's names (None: MNIST's digits) and its
    heading; an unlabelled set of your own shows as one group, "images"."""
    labels = resources.pair_test_set(pair)[1]
    if not pair.own:
        return labels, None, "digit"
    if not pair.label_names:
        return np.zeros_like(labels), ("images",), "your images"
    return labels, pair.label_names, "folder"


def point_details(pair: model_catalog.Pair, kind: str, index: int) -> None:
    """A test image, its reconstructions and its nearest neighbours in the chosen model's latent space."""
    images, labels = resources.pair_test_set(pair)
    state.choose_image(state.ImageChoice("test", index))  # the sliders and interpolation start from it
    label = ui.escape_markdown(ui.label_of(int(labels[index]), pair.label_names))
    st.subheader(f"Test image #{index} (a {label}) in the {KIND_NAMES[kind]}'s latent space")
    cells = st.columns([1] * (1 + len(pair.kinds)) + [5])
    ui.digit(images[index], "original", scale=4, container=cells[0])
    for cell, other in zip(cells[1:], pair.kinds, strict=False):
        reconstruction = core.reconstruct(resources.model(pair.get(other)), images[index])[0]
        ui.digit(reconstruction, other.upper(), scale=4, container=cell)
    near = latent_space.nearest_neighbours(resources.codes(pair.get(kind)), index, k=8)
    names = ", ".join(ui.label_of(int(labels[i]), pair.label_names) for i in near)
    caption = f"nearest neighbours in latent space: {names}"
    ui.pictures(figures.strip_png(images[near], scale=4), caption, container=cells[-1])


def decoded_planes(pair: model_catalog.Pair, n: int = 15) -> None:
    """For 2-D latent spaces: decodes of an n x n grid, the VAE's over the prior's +-3, the AE's over its codes."""
    for column, kind in zip(st.columns(len(pair.kinds)), pair.kinds, strict=True):
        if kind == "vae":
            x_range = y_range = (-latent_space.PRIOR_RANGE, latent_space.PRIOR_RANGE)
        else:
            x_range, y_range = latent_space.ae_plane_ranges(resources.latent_stats(pair.get(kind)))
        grid = latent_space.manifold(resources.model(pair.get(kind)), x_range, y_range, n)
        caption = (
            f"{KIND_NAMES[kind]}: {n}x{n} codes, z0 from {x_range[0]:.1f} to {x_range[1]:.1f} (left to right), "
            f"z1 from {y_range[1]:.1f} to {y_range[0]:.1f} (top to bottom)"
        )
        ui.pictures(figures.grid_png(grid, columns=n, scale=2, pad=0), caption, container=column)
