"""Inside the VAE: one digit through encoder, q(z|x), the reparameterised draw, decoder, p(x|z) and the ELBO,
all computed in the browser (explorer/web/inside.js) so every panel follows the pen, the dragged point and
each new eps without a round trip to the server."""

import streamlit as st

from explorer.inside import component as inside_component
from explorer.shared import ui

SOURCES = {"pick": "A test digit, an upload or a kept drawing", "draw": "Draw one here"}


def main() -> None:
    st.title("Inside the VAE")
    pair = ui.require_pair("vae")
    st.caption(
        "One digit through the whole VAE: the encoder's distribution q(z|x), a code drawn from it with the "
        "reparameterisation trick, the decoder's pixel distribution p(x|z), and the two terms of the objective. "
        "Everything below runs in your browser."
    )
    st.latex(
        r"-\mathrm{ELBO}(x) = \underbrace{\mathbb{E}_{q(z|x)}\big[-\log p(x|z)\big]}_{\text{reconstruction}}"
        r" + \underbrace{\mathrm{KL}\big(q(z|x)\,\|\,\mathcal{N}(0, I)\big)}_{\text{KL}},"
        r"\qquad z = \mu + \sigma \odot \varepsilon,\ \varepsilon \sim \mathcal{N}(0, I)"
    )
    source = st.radio("Digit", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="inside.source")
    image, caption = (None, "drawing") if source == "draw" else ui.image_picker("inside.picker", default_digit=7)
    inside_component.inside_vae(
        pair, image, caption, "draw" if source == "draw" else "image", key=f"inside.{pair.latent_dim}"
    )


ui.guard(main)
