"""Latent arithmetic: add an attribute vector (the mean code of one group minus another's) to any image's code."""

import streamlit as st

from explorer.arithmetic import cache as arithmetic_cache
from explorer.arithmetic import state as keys
from explorer.sampling import generation
from explorer.shared import context, core, figures, frame, resources, ui

INTRO = """
Take two groups of images, average each group's codes and subtract: the difference points from one group's
look towards the other's. Add it to any image's code, at any strength, and decode. A vector from all 3s to all
8s turns a 3 into an 8; one from the thinnest to the boldest strokes thickens a digit and leaves it the
same digit, as both groups hold every digit alike. Strength 0 is the image's own reconstruction; negative
strengths go the other way. The codes are the AE's code and the VAE's posterior mean.
"""


def _among(names: tuple[str, ...]):
    return lambda option: "all images" if option == "all" else context.label_of(int(option), names)


def groups() -> generation.Groups | None:
    """The two groups the user picked; None (with the reason shown) when they are unusable."""
    images, labels = context.test_images()
    names = context.label_names()
    classes = list(range(len(names)))
    # An unlabelled set of your own has no classes to go between.
    sources = list(keys.SOURCES) if classes else [keys.INK, keys.GROUPS]
    source = st.radio("Attribute vector from", sources, format_func=keys.SOURCES.get, horizontal=True, key=keys.SOURCE)
    a, b = st.columns(2)
    label = context.label_formatter(names)
    if source == keys.DIGITS:
        start = a.selectbox("From", classes, index=min(3, len(classes) - 1), key=keys.FROM, format_func=label)
        to = b.selectbox("To", classes, index=min(8, len(classes) - 1), key=keys.TO, format_func=label)
        chosen = generation.digit_groups(labels, start, to)
        text = f"mean {ui.escape_markdown(names[to])} minus mean {ui.escape_markdown(names[start])}"
        return generation.Groups(chosen.start, chosen.to, text)
    if source == keys.INK:
        which = a.selectbox("Among", ["all", *classes], key=keys.INK_DIGIT, format_func=_among(names))
        chosen = generation.ink_groups(images, labels, None if which == "all" else int(which))
        text = f"boldest minus thinnest 20% of {ui.escape_markdown(_among(names)(which))}"
        return generation.Groups(chosen.start, chosen.to, text)
    text_a = a.text_input("Group A (from): test indices", "0-99", key=keys.GROUP_A, help="e.g. 3, 10, 20-29")
    text_b = b.text_input("Group B (to): test indices", "100-199", key=keys.GROUP_B, help="e.g. 3, 10, 20-29")
    try:
        start = generation.parse_indices(text_a, len(labels))
        to = generation.parse_indices(text_b, len(labels))
    except ValueError as error:
        st.error(f"Cannot use those groups: {error}.")
        return None
    a.image(figures.inline_png(figures.strip_png(images[list(start[:12])], scale=2)), caption="group A, first 12")
    b.image(figures.inline_png(figures.strip_png(images[list(to[:12])], scale=2)), caption="group B, first 12")
    return generation.Groups(start, to, f"mean of group B ({len(to)}) minus mean of group A ({len(start)})")


def main() -> None:
    st.title("Latent arithmetic")
    pair = context.require_pair()
    st.markdown(INTRO)
    chosen = groups()
    if chosen is None:
        return
    if not chosen.start or not chosen.to:
        st.info("One of the two groups has no test images; pick others.")
        return
    left, right = st.columns([1, 2], gap="large")
    with left:
        image, caption = ui.image_picker(keys.IMAGE, default_digit=3)
        ui.digit(image, caption, scale=5)
    strength = right.slider("Strength", -2.0, 3.0, 1.0, 0.1, key=keys.STRENGTH)
    right.caption(
        f"Vector: {chosen.description}. Strip: strengths {', '.join(f'{s:g}' for s in generation.STRENGTHS)}."
    )
    for kind in pair.kinds:
        checkpoint = pair.get(kind)
        model = resources.model(checkpoint)
        vector = arithmetic_cache.attribute(checkpoint, chosen.start, chosen.to)
        code = core.embed(model, image)[0]
        strip = generation.apply_vector(model, code, vector, generation.STRENGTHS)
        result = generation.apply_vector(model, code, vector, [strength])[0]
        strip_column, result_column = right.columns([4, 1], vertical_alignment="center")
        strip_column.image(
            figures.inline_png(figures.strip_png(strip, scale=3)), caption=f"{ui.KIND_NAMES[kind]}: strip"
        )
        result_column.image(
            figures.inline_png(figures.digit_png(result, 3)),
            caption=f"{ui.KIND_NAMES[kind]} at {strength:g}",
            width=112,
        )


frame.guard(main)
