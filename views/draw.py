"""Draw a digit: the models reconstruct it while you draw; keep it to use on the other pages."""

import streamlit as st

from explorer.draw import component as draw_component
from explorer.draw import drawing
from explorer.shared import context, frame, state


def main() -> None:
    st.title("Draw a digit")
    pair = context.require_pair("ae", "vae")
    st.caption(
        "Draw one digit. It is prepared like MNIST as you draw (cropped to the ink, fitted into 20x20, centred "
        "by mass in 28x28) and both models, running in your browser, reconstruct it at every stroke."
    )
    try:
        sent = draw_component.draw_digit(pair, key="draw.canvas")
    except RecursionError:  # Streamlit decodes what the canvas sent before we see it: lists nested ~500 deep
        st.warning("That drawing arrived in a form that cannot be read (nested far too deeply), so it was dropped.")
        draw_component.draw_digit(pair, key="draw.canvas.again")  # the canvas, under a key of its own for this run
        return
    if sent is not None:
        try:
            upload_id = state.add_drawing(drawing.prepared_drawing(sent))
        except drawing.DrawingError as error:
            st.warning(str(error))
            return
        label = state.upload_labels()[upload_id]
        st.success(f"Kept as “{label}”: pick it under “My uploads” on Reconstruct, or as an upload on Interpolate.")
    elif state.last_drawing() is not None:
        st.caption(f"Last drawing kept: “{state.upload_labels()[state.last_drawing()]}”.")


frame.guard(main)
