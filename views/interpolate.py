"""Interpolate: walk from one digit's code to another's and decode every step with both models."""

import numpy as np
import streamlit as st

from explorer.interpolate import state as keys
from explorer.latent_map import map_chart, scatter
from explorer.latent_map import panels as map_panels
from explorer.shared import context, figures, frame, latent_space, resources, ui

BACKGROUND_POINTS = 3000  # enough test codes to show the clusters the path crosses, light enough to draw


def main() -> None:
    st.title("Interpolate")
    pair = context.require_pair()
    start_column, end_column = st.columns(2, gap="large")
    with start_column:
        st.subheader("Start")
        start, start_caption = ui.image_picker(keys.START, default_digit=1)
        ui.digit(start, start_caption, scale=4)
    with end_column:
        st.subheader("End")
        end, end_caption = ui.image_picker(keys.END, default_digit=7, shared=False)
        ui.digit(end, end_caption, scale=4)
    steps_column, method_column = st.columns(2)
    steps = steps_column.slider("Steps", min_value=3, max_value=20, value=10, key=keys.STEPS)
    method = method_column.radio(
        "Path",
        ["linear", "slerp"],
        horizontal=True,
        key=keys.METHOD,
        format_func={"linear": "straight line", "slerp": "spherical (keeps the code's length)"}.get,
    )
    paths = {k: latent_space.interpolation(resources.model(pair.get(k)), start, end, steps, method) for k in pair.kinds}
    for kind, path in paths.items():
        st.markdown(f"**{ui.KIND_NAMES[kind]}**")
        ui.pictures(figures.strip_png(path.images, scale=3))

    rows = [path.images for path in paths.values()]
    gif_column, png_column, _ = st.columns([1, 1, 3])
    gif = figures.interpolation_gif(rows)
    gif_column.download_button("Download GIF", gif, file_name="interpolation.gif", mime="image/gif", key=keys.GIF)
    png = figures.interpolation_png(rows)
    png_column.download_button("Download PNG strip", png, file_name="interpolation.png", mime="image/png", key=keys.PNG)

    labels, names, legend = map_panels.map_labels(pair)
    subset = np.random.default_rng(0).permutation(len(labels))[:BACKGROUND_POINTS]
    axes = ("z0", "z1") if pair.latent_dim == 2 else ("PC 1", "PC 2")
    for column, (kind, path) in zip(st.columns(len(paths)), paths.items(), strict=True):
        projection = resources.projection(pair.get(kind))
        data = map_chart.payload(
            projection(resources.codes(pair.get(kind))[subset]),
            labels[subset],
            subset,
            title=ui.KIND_NAMES[kind],
            axis_titles=axes,
            prior_origin=None,
            colors=figures.DIGIT_COLORS,
            names=names,
            legend_title=legend,
            path=projection(path.codes),
            height=380,
            alpha=0.35,
            testid=f"interp-map-{kind}",
        )
        with column:
            scatter.latent_map_chart(data, f"interp.map.{kind}")
    caption = "The path from the start (filled circle) to the end (square) over test codes in faint colours"
    if pair.latent_dim > 2:
        caption += ", through the same PCA projection as the Latent map page"
    st.caption(caption + ".")


frame.guard(main)
