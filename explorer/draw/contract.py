"""The Draw a digit component's data (draw.js), and the drawing canvas it shares with the Inside the VAE page."""

from __future__ import annotations

from typing import TypedDict

from explorer.shared.browser.contract import Kind, ModelEntry


class Preparation(TypedDict):
    """vae/images.py's constants, for prepare.js to prepare a drawing as Python prepares the same pixels."""

    mnist_size: int  # the digit's side (28)
    box_size: int  # the box the ink is fitted into before centring (20)
    border_percent: int  # the border whose median is the background, in % of the shorter side
    min_contrast: float  # ink fainter than this above the background is no ink
    noise_floor: float  # of the ink's peak: below it, background
    ink_threshold: float  # of the ink's peak: what counts as ink when cropping
    ink_trim: float  # share of the ink mass trimmed from each side (dust)
    min_stroke: float  # thinnest stroke after the fit, in pixels of the 28x28 digit


class DrawingCanvas(TypedDict):
    """The canvas a digit is drawn on (Draw a digit, and the Inside the VAE page's own)."""

    side: int  # its pixels a side (explorer.draw.drawing.CANVAS_SIDE)
    pen: int  # the pen's width at the start, in canvas pixels
    preparation: Preparation


class DrawData(TypedDict):
    """Both models, to reconstruct the drawing as it is drawn."""

    models: dict[Kind, ModelEntry]
    labels: dict[Kind, str]  # each model's caption
    canvas: DrawingCanvas
