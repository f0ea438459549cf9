"""The Inside the VAE component's data (inside.js), built by explorer.inside.data.component_data."""

from __future__ import annotations

from typing import Literal, TypedDict

from explorer.draw.contract import DrawingCanvas
from explorer.latent_map.contract import PadScatter
from explorer.shared.browser.contract import Kind, ModelEntry


class Scoring(TypedDict):
    """Which x the page's likelihood numbers are computed on, and what they are called."""

    binarized: bool  # the VAE was trained on binarised digits: the page scores one binarisation of the digit
    seed: int  # the in-page binarisation's seed (one Bernoulli draw per pixel)
    bound_of: str  # what the k-sample bound bounds, in words ("log p(x)", or a grey-level cross-entropy's name)


class InsideData(TypedDict):
    """One digit through the whole chain, computed in the page; nothing goes back to Python."""

    models: dict[Kind, ModelEntry]  # the VAE, and the autoencoder when the pair has one
    pads: dict[Kind, PadScatter]  # each model's plane: the VAE's z=2 plane or the PCA plane of its codes
    order: list[int]  # the VAE's dimensions as the sliders page orders them
    image: list[float] | None  # 784 pixels in [0, 1]; null in "draw" mode
    caption: str
    mode: Literal["image", "draw"]  # draw: the page's own canvas gives the digit
    colors: list[str]  # one CSS colour per label
    canvas: DrawingCanvas
    scoring: Scoring
