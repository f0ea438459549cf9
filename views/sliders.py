"""Latent sliders: set each latent dimension by hand and watch what the decoder makes of the code.

The sliders, the digit, the traversal strip and the starting points (zero, a prior draw, an image's encoding)
are one live component (explorer/shared/browser/components.py): the decoder runs in the page, so pictures follow the
hand. On release the code comes back here for the classifier's guess, the link in the address bar and the
code file.
"""

import functools
import time

import streamlit as st

from explorer.shared import context, core, frame, latent_space, resources, ui
from explorer.sliders import component as sliders_component
from explorer.sliders import share
from explorer.sliders import state as sliders_state
from vae.checkpoint import Checkpoint


def slider(container, name: str, spec: latent_space.SliderSpec) -> None:
    container.slider(spec.label, spec.lo, spec.hi, step=spec.step, key=sliders_state.slider_key(name, spec.dim))


def server_panel(checkpoint: Checkpoint, specs: list[latent_space.SliderSpec]) -> None:
    # The fallback when the in-page decoder cannot start: Streamlit sliders, decoded here on release.
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
    code = sliders_state.read_sliders(name, len(specs))
    with right:
        ui.digit(core.decode(model, code)[0], caption="decoded code")
    values, strip = latent_space.traversal(model, code, specs[0])
    ui.digit_row(strip, [f"{v:+.2f}" for v in values], scale=3)
    wall, cpu = 1000 * (time.perf_counter() - started), 1000 * (time.thread_time() - cpu)
    ui.log.debug("sliders server panel %.1f ms wall, %.1f ms CPU", wall, cpu)


@st.fragment
@frame.guarded
def panel(checkpoint: Checkpoint, specs: list[latent_space.SliderSpec], size: int) -> None:
    # Reruns alone when a slider is released: store the code, guess the digit, update the link.
    name = checkpoint.name
    result = sliders_component.live_sliders(checkpoint, specs, ui.start_images())
    if result.failed:
        st.warning(
            f"The in-page decoder did not start ({result.reason}); these sliders decode on the server, on release."
        )
        server_panel(checkpoint, specs)
    code = sliders_state.current_code(name, specs)
    guess = core.guesses(context.classifier(), result.digit)[0]
    st.markdown("On release: " + ui.guess_text(guess))
    sliders_state.write_link(share.link_params(size, checkpoint.model.kind, code))
    link, save, load = st.columns([2, 1, 2], vertical_alignment="center")
    link.caption("The address bar holds this view (model, latent size and code): copy it to share the picture.")
    # Made on click: a file stored on every release would race the next release (HTTP 404 in the page).
    code_file = functools.partial(share.code_json, code, checkpoint.model.kind, name)
    save.download_button(
        "Download code (JSON)", code_file, f"{name}-code.json", mime="application/json", on_click="ignore"
    )
    uploader = f"sliders.code_file.{name}"
    load.file_uploader(
        "Load a code file",
        type=["json"],
        key=uploader,
        on_change=sliders_state.load_code_file,
        args=(uploader, name, specs),
    )
    if sliders_state.code_message():
        load.warning(sliders_state.code_message())


def main() -> None:
    st.title("Latent sliders")
    pair = context.require_pair()
    link = sliders_component.take_link(pair)
    kind = ui.kind_picker(pair, key=sliders_state.SLIDERS_KIND)
    checkpoint = pair.get(kind)
    specs = latent_space.slider_specs(kind, pair.latent_dim, resources.latent_stats(checkpoint))
    name = checkpoint.name
    problems = sliders_component.apply_link_code(link, name, specs)
    if problems:
        st.warning("This link could not be used in full: " + "; ".join(problems) + ".")
    sliders_state.restore_sliders(name, specs)

    st.caption(
        "Sliders are ordered by how much the model uses each dimension (VAE: KL per dimension; AE: variance "
        + "of the codes). VAE ranges are the prior's ±3; AE ranges are the encoded test set's, widened a bit. "
        + "The digit and the traversal strip of the slider you move follow your hand. Start from zero, a draw "
        + "from the prior, or the encoding of an image (the one you chose last on another page comes first)."
    )
    panel(checkpoint, specs, pair.latent_dim)


frame.guard(main)
