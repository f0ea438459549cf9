"""Reconstruct: test digits or your own images through both models, with errors and an outlier check."""

import numpy as np
import streamlit as st

from explorer.charts import chart_data, live_chart
from explorer.reconstruct import panels as reconstruct_panels
from explorer.reconstruct import state as keys
from explorer.shared import context, core, frame, resources, state, ui


def inputs() -> tuple[list[str], np.ndarray]:
    """The images to reconstruct, chosen from the test set or the session's uploads: (names, (N, 28, 28))."""
    source = st.radio("Images", list(keys.SOURCES), format_func=keys.SOURCES.get, horizontal=True, key=keys.SOURCE)
    if source == keys.TESTS:
        a, b, c = st.columns([4, 1, 1])
        images, labels = context.test_images()
        groups = sorted(int(v) for v in np.unique(labels))
        default = [g for g in (0, 3, 5, 8) if g in groups] if groups != [-1] else [-1]
        title = "Digits" if groups == list(range(10)) else "Labels"
        state.keep_options(keys.DIGITS, groups, default)
        digits = a.multiselect(title, groups, default=default, key=keys.DIGITS, format_func=context.label_formatter())
        per_digit = b.number_input(f"Per {title[:-1].lower()}", min_value=1, max_value=5, value=1, key=keys.PER_DIGIT)
        seed = c.number_input("Seed", min_value=0, value=0, key=keys.SEED)
        picked = core.pick_examples(labels, digits, int(per_digit), int(seed))
        return [f"test #{i} (a {context.label_of(int(labels[i]))})" for i in picked], images[picked]
    ui.upload_box(keys.UPLOADER)
    labels = state.upload_labels()
    if labels:
        with st.expander("How the uploads were prepared"):
            for upload_id, label in labels.items():
                st.caption(label)
                ui.show_steps(upload_id)
    return list(labels.values()), np.array([state.upload(i).image for i in labels]).reshape(-1, 28, 28)


def main() -> None:
    st.title("Reconstruct")
    pair = context.require_pair()
    names, images = inputs()
    if not names:
        st.info("Nothing to reconstruct yet: pick some digits or upload an image.")
        return
    vae_checkpoint = pair.vae
    scores = resources.test_scores(vae_checkpoint) if vae_checkpoint is not None else None
    seed = int(state.widget_value(keys.SEED, 0))
    rows = core.reconstruction_rows(
        names, images, resources.model(pair.ae), resources.model(pair.vae), context.classifier(), scores, seed=seed
    )
    score_name = core.score_name(vae_checkpoint) if vae_checkpoint is not None else ""
    for item in rows:
        reconstruct_panels.reconstruction_row(item, score_name)
    st.subheader("Errors and outlier check")
    chosen = st.selectbox("Image", range(len(rows)), format_func=lambda i: rows[i].name, key=keys.DETAIL)
    item = rows[chosen]
    errors = {
        f"{k} − original": core.error_map(item.original, r)
        for k, r in (("AE", item.ae), ("VAE", item.vae))
        if r is not None
    }
    left, right = st.columns(2)
    with left:
        live_chart.chart(chart_data.error_maps, errors, testid="error-maps", key=keys.ERRORS)
        st.caption("Red: ink the model added; blue: ink it lost.")
    if item.check is not None and scores is not None:
        with right:
            marks = (item.check.score, item.check.threshold)
            live_chart.chart(
                chart_data.score_histogram,
                scores,
                *marks,
                testid="score-histogram",
                key=keys.HISTOGRAM,
                x_title=f"{score_name} (nats)",
            )
            st.caption(f"The VAE's {score_name} of every test image; above the 99th percentile counts as an outlier.")


frame.guard(main)
