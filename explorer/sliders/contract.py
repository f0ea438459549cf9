"""The live sliders component's data (sliders.js), built by explorer.sliders.component.sliders_data."""

from __future__ import annotations

from typing import TypedDict

from explorer.shared.browser.contract import ModelEntry, PackedUint8


class Slider(TypedDict):
    """One latent dimension's range input (explorer.shared.latent_space.SliderSpec)."""

    dim: int
    label: str  # shown as text, never as markup
    lo: float
    hi: float
    step: float
    active: bool  # false: listed in the fold of dimensions the decoder barely uses


class Start(TypedDict):
    """An image the page offers to start from: a click puts its encoding on the sliders."""

    caption: str
    image: PackedUint8  # its 28x28 grey levels, row by row
    code: list[float]  # its encoding by dimension, clipped into the sliders' ranges


class SlidersData(TypedDict):
    """Everything the sliders show; they move only when ``revision`` changes, so a rerun never snaps them back."""

    model: ModelEntry
    sliders: list[Slider]  # in the page's order (most important first)
    code: list[float]  # the code shown, by dimension
    revision: int
    preview: PackedUint8 | None  # Python's decode of ``code``, painted until the page's own decoder is ready
    starts: list[Start]
    strip_steps: int  # pictures in the traversal strip (explorer.shared.latent_space.TRAVERSAL_STEPS)
