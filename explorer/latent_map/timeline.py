"""The training timeline component (timeline.js): the epoch scrubber over a pair's or a run's timelines."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import streamlit as st

from explorer.latent_map import cache as map_cache
from explorer.shared import model_catalog, resources, ui
from explorer.shared.browser import components as browser
from vae.checkpoint import Checkpoint


@cache
def _timeline_component() -> Any:
    return browser.register("explorer.training_timeline", "timeline.js")


def training_timeline(checkpoints: dict[str, Checkpoint], key: str, quiet: bool = False, static: bool = False) -> None:
    """The epoch scrubber over each checkpoint's training timeline (kind -> checkpoint, drawn side by side); a
    model without a usable timeline is named with the reason (``quiet``: not, e.g. mid-swap on a live run).
    ``static`` serves the data as a content-hashed file from static/ (fetched once, cached by the browser)
    instead of in every run's message: for timelines that do not change, like the shipped models'."""
    from explorer.latent_map import timeline_chart
    from explorer.shared import figures
    from vae.timeline import Timeline

    timelines, problems = {}, []
    for kind, checkpoint in checkpoints.items():
        found = map_cache.timeline(checkpoint)
        if isinstance(found, Timeline) and found.epochs:
            timelines[kind] = found
        else:
            # Named from the model's own folder (runs/ or checkpoints/), never by the server's absolute path.
            reason = "no epoch recorded" if isinstance(found, Timeline) else str(found)
            reason = reason.replace(str(checkpoint.path.parent) + os.sep, "")
            problems.append(f"{ui.KIND_NAMES.get(kind, kind)}: no training timeline ({reason})")
    if not quiet:
        for problem in problems:
            st.info(problem, icon=":material/info:")
    if timelines:
        titles = {kind: ui.KIND_NAMES.get(kind, kind) for kind in timelines}
        data = timeline_chart.payload(timelines, titles, figures.DIGIT_COLORS, testid=key)
        if static:
            data = timeline_chart.write_payload(data, resources.STATIC)
        _timeline_component()(data=data, key=key)


def timeline_section(pair: model_catalog.Pair) -> None:
    """The Latent map's "how the space formed" section: the pair's timelines side by side."""
    st.subheader("How the space formed during training")
    training_timeline({kind: pair.get(kind) for kind in pair.kinds}, key=f"timeline.{pair.latent_dim}", static=True)
    st.caption(
        "Drag the epoch slider or press play: the same held-out digits' codes at every epoch, on fixed axes"
        " (16-D codes on the PCA plane of the final epoch's codes). The VAE's KL term gathers its codes into the"
        " prior's circles and switches unneeded dimensions off (the bars); the autoencoder's codes drift wherever"
        " training puts them. Below each map: reconstructions and prior samples decoded with that epoch's weights."
    )
