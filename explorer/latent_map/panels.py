"""The Latent map's selected point, label names and decoded planes."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.latent_map import state as map_state
from explorer.shared import context, core, figures, latent_space, model_catalog, resources, state, ui
from explorer.shared.model_catalog import KIND_NAMES


def selected_point(charts: dict[str, str], picks: dict[str, int | None]) -> tuple[str, int] | None:
    """(kind, test index) of the point picked in the most recently clicked latent-map chart, if any.

    ``charts`` maps each kind to its chart's widget key, ``picks`` to the index its chart reported."""
    kind, chart_key = map_state.map_selection()
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
    label = ui.escape_markdown(context.label_of(int(labels[index]), pair.label_names))
    st.subheader(f"Test image #{index} (a {label}) in the {KIND_NAMES[kind]}'s latent space")
    cells = st.columns([1] * (1 + len(pair.kinds)) + [5])
    ui.digit(images[index], "original", scale=4, container=cells[0])
    for cell, other in zip(cells[1:], pair.kinds, strict=False):
        reconstruction = core.reconstruct(resources.model(pair.get(other)), images[index])[0]
        ui.digit(reconstruction, other.upper(), scale=4, container=cell)
    near = latent_space.nearest_neighbours(resources.codes(pair.get(kind)), index, k=8)
    names = ", ".join(context.label_of(int(labels[i]), pair.label_names) for i in near)
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
