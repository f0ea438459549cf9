"""AE vs VAE sampling: the same random codes decoded by both models, and how digit-like the results are."""

import streamlit as st

from explorer import core, figures, panels, resources, ui

WHY = """
Both decoders get **the same codes**, drawn from N(0, I). The VAE was trained for exactly this: its KL term
pulled the encoded distributions of all training digits onto that prior, so the prior is covered by codes the
decoder has learned to draw, and most draws come out as digits. The plain autoencoder was only asked to
rebuild its inputs. Its codes live wherever training put them, on their own scale and with holes in
between; a draw from N(0, I) often lands in a hole, or outside the data altogether, and decodes to a blend
or a smudge. (Fitting a density to the AE's codes after training would patch this; the VAE builds it in.)
"""


def main() -> None:
    st.title("AE vs VAE sampling")
    pair = ui.require_pair("ae", "vae")
    a, b = st.columns(2)
    seed = a.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="sample.seed")
    n = b.select_slider("Samples scored", options=[500, 1000, 2000], value=1000, key="sample.n")
    grids = {kind: core.prior_images(resources.model(pair.get(kind)), 64, int(seed)) for kind in ("ae", "vae")}
    for column, kind in zip(st.columns(2, gap="large"), ("ae", "vae"), strict=True):
        column.subheader(ui.KIND_NAMES[kind])
        ui.pictures(figures.grid_png(grids[kind], columns=8, scale=2), "64 decoded draws from N(0, I)", column)
    st.markdown(WHY)

    classifier = resources.catalog().classifier
    if classifier is None:
        st.info("No classifier checkpoint, so the samples cannot be scored.")
        return
    st.subheader(f"How digit-like are {n:,} samples?")
    quality = {kind: resources.sample_quality(pair.get(kind), classifier, int(n), int(seed)) for kind in ("ae", "vae")}
    for column, kind in zip(st.columns(2, gap="large"), ("ae", "vae"), strict=True):
        column.markdown(f"**{ui.KIND_NAMES[kind]}**")
        panels.sample_scores(column, quality[kind], core.stored_sample_quality(pair.get(kind)))
    histograms = {ui.KIND_NAMES[k]: q["class_histogram"] for k, q in quality.items()}
    st.plotly_chart(figures.class_histograms(histograms), key="sample.hist")


ui.guard(main)
