"""Inside the VAE: one digit through encoder, q(z|x), the reparameterised draw, decoder, p(x|z) and the ELBO,
all computed in the browser (explorer/inside/inside.js) so every panel follows the pen, the dragged point and
each new eps without a round trip to the server."""

import streamlit as st

from explorer.inside import component as inside_component
from explorer.inside import state as keys
from explorer.shared import context, frame, ui


def main() -> None:
    st.title("Inside the VAE")
    pair = context.require_pair("vae")
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
    source = st.radio("Digit", list(keys.SOURCES), format_func=keys.SOURCES.get, horizontal=True, key=keys.SOURCE)
    drawing = source == keys.DRAW
    image, caption = (None, "drawing") if drawing else ui.image_picker(keys.PICKER, default_digit=7)
    inside_component.inside_vae(pair, image, caption, "draw" if drawing else "image", key=f"inside.{pair.latent_dim}")


frame.guard(main)
