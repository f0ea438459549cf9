"""Latent map: the whole test set in latent space, the prior's circles, the decoded plane, neighbours."""

import streamlit as st

from explorer.latent_map import cache as map_cache
from explorer.latent_map import map_chart, scatter
from explorer.latent_map import pad as pad_component
from explorer.latent_map import panels as map_panels
from explorer.latent_map import state as map_state
from explorer.latent_map import timeline as timeline_component
from explorer.shared import context, figures, frame, ui

METHODS = {"pca": "PCA (all 10,000)", "tsne": f"t-SNE ({map_cache.TSNE_POINTS:,}; slow the first time)"}


def main() -> None:
    st.title("Latent map")
    pair = context.require_pair()
    method = "pca"
    if pair.latent_dim > 2:
        method = st.radio(
            "Projection to 2-D", list(METHODS), format_func=METHODS.get, horizontal=True, key=map_state.METHOD
        )
    labels, names, legend = map_panels.map_labels(pair)
    digits = st.toggle("Show the digits, not dots", key=map_state.DIGITS, help="each test digit drawn at its code")
    charts = {kind: f"map.{kind}.{method}.{pair.latent_dim}" for kind in pair.kinds}
    picks = {}
    for column, kind in zip(st.columns(len(pair.kinds)), pair.kinds, strict=True):
        points, indices, origin, axes = map_cache.map_points(pair.get(kind), method)
        data = map_chart.payload(
            points,
            labels[indices],
            indices,
            title=ui.KIND_NAMES[kind],
            axis_titles=axes,
            prior_origin=origin if kind == "vae" else None,
            colors=figures.DIGIT_COLORS,
            testid=f"latent-map-{kind}",
            names=names,
            legend_title=legend,
            sprites=map_cache.digit_atlas(pair.dataset) if digits else None,
        )
        with column:
            picks[kind] = scatter.latent_map_chart(
                data, charts[kind], lambda k=kind: map_state.remember_map_selection(k, charts[k])
            )
    circles = "Dashed circles: the prior's 1, 2 and 3 sigma. " if method == "pca" else ""
    st.caption(
        circles + "Click a point to inspect its digit; drag to pan, Ctrl + wheel or the buttons to zoom, "
        "double-click to fit; the legend hides and shows digits."
    )

    picked = map_panels.selected_point(charts, picks)
    if picked is not None:
        map_panels.point_details(pair, *picked)
    pad_component.latent_pad_section(pair)
    timeline_component.timeline_section(pair)
    if pair.latent_dim == 2:
        st.subheader("The decoded plane")
        map_panels.decoded_planes(pair)


frame.guard(main)
