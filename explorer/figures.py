"""PNG pictures for the pages and the Train and Sampling pages' Vega-Lite chart specs: plain functions of
arrays, so tests need no browser. Home's and Reconstruct's charts are data for our canvas chart component
(explorer/chart_data.py).

Digits are always enlarged by whole-pixel blocks (nearest neighbour), never smoothed: a 28x28 digit blown
up with interpolation looks blurred and hides exactly the pixels a person wants to inspect.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image

from vae.export import gif_bytes, image_grid, image_strip, png_bytes

DIGIT_COLORS: tuple[str, ...] = (  # ten distinct hues, one per digit (the D3 "category10" palette)
    "#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF",
)  # fmt: skip


# --------------------------------------------------------------------------------------------------------
# Pictures


def digit_png(image: np.ndarray, scale: int = 10) -> bytes:
    """One digit as a crisp PNG, each pixel a scale x scale block (28 -> 280 px at the default)."""
    return png_bytes(np.asarray(image).reshape(28, 28), scale=scale)


def inline_png(png: bytes) -> str:
    """A PNG as a data: URL, which st.image passes to the browser as it is, inside the page update.

    Given bytes, st.image re-encodes a PNG as JPEG (blurring the square pixels), stores it as a /media file
    and the browser fetches it in a second round trip; a quick rerun can delete that file before the fetch
    (HTTP 404, a broken image for a moment). Digits are ~1 KB, so sending them inline costs nothing.
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def thumbnail_png(picture: np.ndarray, size: int = 120) -> bytes:
    """A [0, 1] grey picture fitted into size x size, so the browser shows it at its natural size.

    Small pictures are enlarged by whole pixels; large ones are shrunk by averaging blocks (a box filter),
    which keeps thin strokes visible where picking every n-th pixel would drop them.
    """
    pixels = np.clip(np.asarray(picture, dtype=np.float32), 0.0, 1.0)
    height, width = pixels.shape
    longest = max(height, width)
    if longest <= size:
        return png_bytes(pixels, scale=max(1, size // longest))
    shape = (max(1, round(width * size / longest)), max(1, round(height * size / longest)))
    shrunk = Image.fromarray((pixels * 255).round().astype(np.uint8)).resize(shape, Image.Resampling.BOX)
    return png_bytes(np.asarray(shrunk, dtype=np.float32) / 255)


def strip_png(images: Sequence[np.ndarray] | np.ndarray, scale: int = 4, pad: int = 2) -> bytes:
    """Digits side by side in one row, separated by thin white gaps."""
    return png_bytes(image_strip(np.asarray(images).reshape(-1, 28, 28), pad=pad), scale=scale)


def grid_png(images: np.ndarray, columns: int, scale: int = 3, pad: int = 2) -> bytes:
    """Digits tiled row by row; pad=0 gives a seamless manifold picture."""
    return png_bytes(image_grid(np.asarray(images).reshape(-1, 28, 28), columns=columns, pad=pad), scale=scale)


# --------------------------------------------------------------------------------------------------------
# Training and evaluation


# The latent maps are a canvas component (explorer/web/map.js), Home's and Reconstruct's charts another
# (explorer/web/chart.js), so those pages load neither Plotly (4.7 MB of script) nor Vega; the Train and
# Sampling pages still draw Vega-Lite. A keyed st.vega_lite_chart also keeps its element
# while its data grows (the Train page's curves), where st.plotly_chart remounted it with a blank flash.
_SERIES_COLORS = list(DIGIT_COLORS[:3])  # the first hues of the digit palette, so all charts match
_SPLIT_COLORS = {"domain": ["train", "valid"], "range": _SERIES_COLORS[:2]}
_SVG = {"embedOptions": {"renderer": "svg"}}  # crisp at any zoom, and tests can count the marks


def training_curves_spec(
    history: Sequence[Mapping[str, Any]], columns: int | None = None, width: int = 240
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-epoch loss (train and valid), reconstruction and KL as (long-form rows, Vega-Lite spec): one row per
    epoch, split and panel ({"epoch", "panel", "split", "value"}), one panel ``width`` pixels wide per term,
    each with its own y scale, side by side or wrapped after ``columns`` panels (a faceted chart does not
    shrink to its container, so a narrow column needs fewer panels per row). Panels without numbers (an AE's
    KL, which is all zero) are left out."""
    names = {"loss": "loss", "reconstruction": "reconstruction", "kl": "KL"}
    skip_kl = _all_kl_zero(history)
    rows = [
        {"epoch": h.get("epoch", i + 1), "panel": name, "split": split, "value": float(h[f"{split}_{key}"])}
        for key, name in names.items()
        if not (key == "kl" and skip_kl)
        for split in ("train", "valid")
        for i, h in enumerate(history)
        if isinstance(h.get(f"{split}_{key}"), (int, float))
    ]
    panels = [name for name in names.values() if any(r["panel"] == name for r in rows)]
    line = {"type": "line", "point": len(history) <= 20}  # 60 markers blur into a bar
    facet = {"field": "panel", "type": "nominal", "sort": panels, "title": None}
    spec = {
        "mark": line,
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "axis": {"tickMinStep": 1}},
            "y": {"field": "value", "type": "quantitative", "scale": {"zero": False}, "title": None},
            "color": {"field": "split", "type": "nominal", "scale": _SPLIT_COLORS, "legend": {"orient": "bottom"}},
            "strokeDash": {"field": "split", "type": "nominal", "legend": None},
        },
        "width": width,
        "height": 200,
        "resolve": {"scale": {"y": "independent"}},
        "usermeta": _SVG,
    }
    if columns is None:
        spec["encoding"]["column"] = facet
    else:
        spec["encoding"]["facet"] = {**facet, "columns": columns}
    return rows, spec


def latent_bars_spec(values: Sequence[float], title: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One bar per latent dimension (z0, z1, ...) as (rows, Vega-Lite spec), in dimension order."""
    rows = [{"dimension": f"z{i}", "value": float(v)} for i, v in enumerate(values)]
    spec = {
        "mark": {"type": "bar", "color": "#1f77b4"},
        "encoding": {
            "x": {"field": "dimension", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}},
            "y": {"field": "value", "type": "quantitative", "title": None},
        },
        "title": title,
        "height": 220,
        "usermeta": _SVG,
    }
    return rows, spec


def _all_kl_zero(history: Sequence[Mapping[str, Any]]) -> bool:
    """True when every recorded KL is 0: a plain autoencoder, whose KL panel would be a flat line."""
    values = [h.get(k) for h in history for k in ("train_kl", "valid_kl") if isinstance(h.get(k), (int, float))]
    return bool(values) and all(v == 0 for v in values)


def class_histogram_spec(histograms: Mapping[str, Sequence[int]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """How often the classifier assigns each digit, one bar group per digit and one bar per model, as
    (rows {"digit", "model", "share"}, Vega-Lite spec)."""
    rows = [
        {"digit": str(d), "model": name, "share": c / max(1, sum(counts))}
        for name, counts in histograms.items()
        for d, c in enumerate(counts)
    ]
    models = list(histograms)
    spec = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "digit", "type": "nominal", "title": "digit the classifier sees", "axis": {"labelAngle": 0}},
            "xOffset": {"field": "model", "type": "nominal", "sort": models},
            "y": {"field": "share", "type": "quantitative", "title": "share of samples", "axis": {"format": ".0%"}},
            "color": {
                "field": "model",
                "type": "nominal",
                "scale": {"domain": models, "range": _SERIES_COLORS[: len(models)]},
                "legend": {"orient": "top", "title": None},
            },
            "tooltip": [{"field": "model"}, {"field": "digit"}, {"field": "share", "format": ".1%"}],
        },
        "height": 240,
        "usermeta": _SVG,
    }
    return rows, spec


# --------------------------------------------------------------------------------------------------------
# Downloads


def interpolation_gif(rows: Sequence[np.ndarray], scale: int = 6, duration_ms: int = 120) -> bytes:
    """An animated GIF of interpolation rows (each (steps, 28, 28)): frame i shows every row's step i side
    by side (AE | VAE), playing forward and back so it loops smoothly."""
    steps = len(rows[0])
    frames = [image_strip([row[i] for row in rows]) for i in range(steps)]
    return gif_bytes(frames, scale=scale, duration_ms=duration_ms, bounce=True)


def interpolation_png(rows: Sequence[np.ndarray], scale: int = 4) -> bytes:
    """All interpolation rows as one PNG, one row of steps per model."""
    return png_bytes(image_grid(np.concatenate(list(rows)), columns=len(rows[0])), scale=scale)
