"""Lesson: the autoencoder -> VAE argument in ten steps; each step's "Show me" opens the page it is about, set up."""

import streamlit as st

from explorer.lesson import ui as lesson
from explorer.shared import frame


def main() -> None:
    st.title("Lesson")
    st.caption(
        "From a plain autoencoder to a VAE, one step at a time. Each step opens the page it talks about with "
        "everything set; a banner there keeps the step in view. The address bar holds the step: send it to share it."
    )
    lesson.lesson_page()


frame.guard(main)
