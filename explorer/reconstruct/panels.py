"""The Reconstruct page's result row: original, both reconstructions, posterior samples, guesses."""

from __future__ import annotations

import streamlit as st

from explorer.shared import context, core, figures, ui


def reconstruction_row(item: core.ReconstructionRow, score_name: str = "negative ELBO") -> None:
    """One image: original, AE, VAE, posterior samples, the classifier's guesses and the outlier check."""
    cells = st.columns([1, 1, 1, 3, 3], vertical_alignment="center")
    for cell, picture, title in zip(
        cells[:3], (item.original, item.ae, item.vae), ("original", "AE", "VAE"), strict=True
    ):
        if picture is not None:
            ui.digit(picture, title, scale=4, container=cell)
    if item.posterior is not None:
        ui.pictures(figures.strip_png(item.posterior, scale=3), "VAE posterior samples", container=cells[3])
    named = (("original", item.guess_original), ("AE", item.guess_ae), ("VAE", item.guess_vae))
    guesses = [
        f"{title} **{ui.escape_markdown(context.label_of(g.label))}** ({g.confidence:.0%})" for title, g in named if g
    ]
    text = f"**{ui.escape_markdown(item.name)}**  \nclassifier: {', '.join(guesses) or 'not available'}"
    if item.check is not None:
        verdict = ":red[**looks out of distribution**]" if item.check.out_of_distribution else "in distribution"
        share = f"higher than {item.check.percentile:.0f}% of test images"
        text += f"  \n{score_name}: {item.check.score:.1f} nats ({share}): {verdict}"
    cells[4].markdown(text)
