"""AE vs VAE sampling: three samplers decoded by both models on the same seed, scored; and "draw me a 7"."""

import streamlit as st

from explorer.charts import chart_data, live_chart
from explorer.sampling import cache as sampling_cache
from explorer.sampling import generation
from explorer.sampling import panels as sampling_panels
from explorer.sampling import state as keys
from explorer.shared import context, core, figures, frame, model_catalog, resources, state, ui

WHY = """
**Why the autoencoder fails with N(0, I).** It was only asked to rebuild its inputs, so its codes live
wherever training happened to put them: on their own scale, off-centre, with empty space between the
digits. N(0, I) puts its mass somewhere else; most draws land in a hole or outside the data and decode to
blends and smudges.

**Why the fitted mixture rescues it.** After training, encode the 50,000 training digits and fit a
10-component Gaussian mixture to their codes ("ex-post density estimation", Ghosh et al. 2019). Its draws
fall where the training codes are, which is where the decoder has learned to draw digits. Nothing is
retrained.

**What the VAE builds in, and what it misses.** The VAE's KL term pulls every image's code distribution
towards N(0, I), and with it the cloud of all training codes (the aggregate posterior). It does not pull it
all the way: reconstruction wins where the two disagree, so gaps between the digit clusters and corners of
the prior no digit uses remain. N(0, I) draws land there now and then, which is why the fitted mixture helps
the VAE too. A temperature below 1 shrinks prior draws towards the dense centre: more digit-like, less varied.
"""

CONDITIONAL = """
One Gaussian per digit (mean and covariance of that digit's training codes) turns either model into a
digit-on-demand generator without retraining. A temperature below 1 keeps draws near the digit's centre, away
from the tails where its Gaussian overlaps its neighbours'.
"""


def samplers(pair: model_catalog.Pair, classifier: object) -> None:
    a, b, c = st.columns(3)
    seed = int(a.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key=keys.SEED))
    n = b.select_slider("Samples scored", options=[500, 1000, 2000], value=1000, key=keys.COUNT)
    low, high = generation.TEMPERATURE_RANGE
    t = c.slider("Temperature T", low, high, 0.8, 0.05, key=keys.TEMPERATURE, help="Scales the N(0, I) draws.")
    sampler = st.radio(
        "Sampler", list(generation.SAMPLERS), format_func=generation.SAMPLERS.get, horizontal=True, key=keys.SAMPLER
    )
    checkpoints = {kind: pair.get(kind) for kind in ("ae", "vae")}
    for column, (kind, checkpoint) in zip(st.columns(2, gap="large"), checkpoints.items(), strict=True):
        density = sampling_cache.density(checkpoint) if sampler == "mixture" else None
        images = generation.sampler_images(resources.model(checkpoint), density, sampler, 64, seed, t)
        column.subheader(ui.KIND_NAMES[kind])
        caption = f"64 decoded draws from {generation.SAMPLERS[sampler]}" + (
            f" = {t:.2f}" if sampler == "tempered" else ""
        )
        column.image(figures.inline_png(figures.grid_png(images, columns=8, scale=2)), caption=caption)
    st.markdown(WHY)
    if classifier is None:
        st.info(
            "There is no classifier for your images (one is trained only when they have labels), so the samples "
            "cannot be scored."
            if pair.own
            else "No classifier checkpoint, so the samples cannot be scored."
        )
        return
    st.subheader(f"How digit-like are {n:,} samples from {generation.SAMPLERS[sampler]}?")
    # Only the shown sampler is scored on a page run; the other samplers wait for the toggle below, so a first
    # visit shows its grids and two score cards without scoring six sets of draws.
    scores = {
        kind: sampling_cache.sampler_quality(checkpoint, classifier, sampler, n, seed, t)
        for kind, checkpoint in checkpoints.items()
    }
    for column, kind in zip(st.columns(2, gap="large"), checkpoints, strict=True):
        column.markdown(f"**{ui.KIND_NAMES[kind]}**")
        stored = core.stored_sample_quality(checkpoints[kind]) if sampler == "prior" else None
        sampling_panels.sample_scores(column, scores[kind], stored)
    histograms = {ui.KIND_NAMES[k]: scores[k]["class_histogram"] for k in checkpoints}
    live_chart.chart(chart_data.class_histogram, histograms, testid="class-histogram", key=keys.HISTOGRAM)
    st.fragment(frame.guarded(every_sampler))(checkpoints, classifier, n, seed, t)


def every_sampler(checkpoints: dict, classifier: object, n: int, seed: int, t: float) -> None:
    # A fragment: switching the table on scores here without re-running (and re-sending) the grids above.
    label = f"Score every sampler for both models (6 x {n:,} draws; the mixture fits each model's density once)"
    if not st.toggle(label, key=keys.SCORE_ALL):
        return
    scores = {
        (kind, name): sampling_cache.sampler_quality(checkpoint, classifier, name, n, seed, t)
        for name in generation.SAMPLERS
        for kind, checkpoint in checkpoints.items()
    }
    st.markdown(f"**Every sampler, both models** ({n:,} draws each, seed {seed}, T = {t:.2f})")
    st.dataframe(generation.score_table(scores, ui.KIND_NAMES), hide_index=True)


def conditional(pair: model_catalog.Pair, classifier: object) -> None:
    st.subheader("Draw me a digit" if not pair.own else "Draw me one of your labels")
    st.markdown(CONDITIONAL)
    if not pair.label_names:
        st.info("Your images have no labels (sub-folders), so there is nothing to ask for by name.")
        return
    a, b, c = st.columns(3)
    classes = list(range(len(pair.label_names)))
    state.keep_choice(keys.DIGIT, classes, min(7, len(classes) - 1))
    digit = a.selectbox(
        "Digit" if not pair.own else "Label",
        classes,
        index=min(7, len(classes) - 1),
        key=keys.DIGIT,
        format_func=context.label_formatter(pair.label_names),
    )
    name = ui.escape_markdown(context.label_of(digit))
    low, high = generation.TEMPERATURE_RANGE
    t = b.slider("Temperature", low, high, generation.CONDITIONAL_TEMPERATURE, 0.05, key=keys.DIGIT_TEMPERATURE)
    seed = int(c.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key=keys.DIGIT_SEED))
    ask = classifier is not None and st.toggle(
        f"Ask the classifier how many of 1,000 such samples are {name}s", key=keys.DIGIT_AGREEMENT
    )
    for column, kind in zip(st.columns(2, gap="large"), ("ae", "vae"), strict=True):
        checkpoint = pair.get(kind)
        model, density = resources.model(checkpoint), sampling_cache.density(checkpoint)
        images = generation.conditional_images(model, density, digit, 32, seed, t)
        caption = f"{ui.KIND_NAMES[kind]}: 32 new {context.label_of(digit)}s"
        if ask:
            share = sampling_cache.conditional_agreement(checkpoint, classifier, digit, 1000, seed, t)
            caption += f"; the classifier calls {share:.1%} of 1,000 such samples a {context.label_of(digit)}"
        column.image(figures.inline_png(figures.grid_png(images, columns=8, scale=2)), caption=caption)


def main() -> None:
    st.title("AE vs VAE sampling")
    pair = context.require_pair("ae", "vae")
    classifier = context.classifier_checkpoint(pair)
    samplers(pair, classifier)
    conditional(pair, classifier)


frame.guard(main)
