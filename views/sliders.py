"""Latent sliders: set each latent dimension by hand and watch what the decoder makes of the code."""

import time

import streamlit as st

from explorer import core, resources, state, ui
from vae.checkpoint import Checkpoint


def slider(container, name: str, spec: core.SliderSpec) -> None:
    container.slider(spec.label, spec.lo, spec.hi, step=spec.step, key=state.slider_key(name, spec.dim))


def start_button(container, label: str, name: str, specs: list[core.SliderSpec], code, model) -> None:
    """What ``code`` decodes to, small, beside the button that moves the sliders there."""
    thumb, button = container.columns([1, 2], vertical_alignment="center")
    ui.digit(core.decode(model, code)[0], scale=2, container=thumb)
    button.button(label, on_click=state.set_sliders, args=(name, specs, code))


@st.fragment
@ui.guarded
def panel(checkpoint: Checkpoint, specs: list[core.SliderSpec]) -> None:
    # Only this function reruns when a slider moves: decode one code, classify it, draw a 9-image strip.
    started, cpu = time.perf_counter(), time.thread_time()
    model, name = resources.model(checkpoint), checkpoint.name
    left, right = st.columns([3, 2], gap="large")
    active = [s for s in specs if s.active]
    inactive = [s for s in specs if not s.active]
    with left:
        columns = st.columns(2 if len(active) > 4 else 1)
        for i, spec in enumerate(active):
            slider(columns[i % len(columns)], name, spec)
        if inactive:
            with st.expander(f"{len(inactive)} inactive dimension(s): the decoder barely uses them"):
                for spec in inactive:
                    slider(st, name, spec)
    code = state.read_sliders(name, len(specs))
    image = core.decode(model, code)[0]
    with right:
        ui.digit(image, caption="decoded code")
        st.markdown(ui.guess_text(core.guesses(ui.classifier(), image)[0]))
    labels = {s.dim: s.label for s in specs}
    dim = st.selectbox("Traverse dimension", [s.dim for s in specs], format_func=labels.get, key="sliders.traverse")
    spec = next(s for s in specs if s.dim == dim)
    values, strip = core.traversal(model, code, spec)
    ui.digit_row(strip, [f"{v:+.2f}" for v in values], scale=3)
    wall, cpu = 1000 * (time.perf_counter() - started), 1000 * (time.thread_time() - cpu)
    ui.log.debug("sliders panel %.1f ms wall, %.1f ms CPU", wall, cpu)


def main() -> None:
    st.title("Latent sliders")
    pair = ui.require_pair()
    kind = ui.kind_picker(pair, key="sliders.kind")
    checkpoint = pair.get(kind)
    specs = core.slider_specs(kind, pair.latent_dim, resources.latent_stats(checkpoint))
    name = checkpoint.name
    state.restore_sliders(name, specs)

    st.caption(
        "Sliders are ordered by how much the model uses each dimension (VAE: KL per dimension; AE: variance "
        + "of the codes). VAE ranges are the prior's ±3; AE ranges are the encoded test set's, widened a bit."
    )
    model = resources.model(checkpoint)
    zero, draw, encode = st.columns([1, 1, 2], border=True)
    zero.markdown("**Zero**")
    zero.caption("The prior's centre: the VAE's most typical code; for the AE just one point among many.")
    start_button(zero, "Set all to 0", name, specs, core.start_code("zero", specs), model)
    draw.markdown("**A prior draw**")
    seed = draw.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="sliders.seed")
    start_button(draw, "Draw z ~ N(0, I)", name, specs, core.start_code("random", specs, seed), model)
    with encode:
        st.markdown("**An image's encoding**")
        image, caption = ui.image_picker("sliders.image", default_digit=2)
        code = core.start_code("encoding", specs, code=core.embed(model, image)[0])
        thumb, button = st.columns([1, 5], vertical_alignment="center")
        ui.digit(image, scale=2, container=thumb)
        button.button(f"Encode {caption}", on_click=state.set_sliders, args=(name, specs, code))
    panel(checkpoint, specs)


ui.guard(main)
