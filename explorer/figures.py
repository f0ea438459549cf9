"""Plotly figures, Vega-Lite chart specs and PNG pictures for the pages: plain functions of arrays, so tests need
no browser.

Digits are always enlarged by whole-pixel blocks (nearest neighbour), never smoothed: a 28x28 digit blown
up with interpolation looks blurred and hides exactly the pixels a person wants to inspect.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from vae.export import gif_bytes, image_grid, image_strip, png_bytes

DIGIT_COLORS: tuple[str, ...] = tuple(qualitative.D3[:10])  # ten distinct hues, one per digit
PRIOR_RADII = (1, 2, 3)
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


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
# Latent space


def latent_scatter(
    points: np.ndarray,
    labels: np.ndarray,
    indices: np.ndarray | None = None,
    *,
    title: str = "",
    axis_titles: tuple[str, str] = ("z0", "z1"),
    prior_origin: tuple[float, float] | None = None,
    marker_size: float = 3.0,
    webgl: bool = True,
    height: int = 460,
) -> go.Figure:
    """Codes on the plane, one trace (and colour) per digit; each point's customdata is its test-set index.

    With ``prior_origin`` the prior's 1-, 2- and 3-sigma circles are drawn around it. WebGL keeps 10k points
    responsive to pan and select; pass ``webgl=False`` for small sets or where WebGL is unavailable.
    """
    points = np.asarray(points, dtype=np.float32)
    labels = np.asarray(labels)
    indices = np.arange(len(points)) if indices is None else np.asarray(indices)
    trace = go.Scattergl if webgl else go.Scatter
    fig = go.Figure()
    for digit in range(10):
        mask = labels == digit
        fig.add_trace(
            trace(
                x=points[mask, 0],
                y=points[mask, 1],
                mode="markers",
                name=str(digit),
                customdata=indices[mask],
                marker={"size": marker_size, "color": DIGIT_COLORS[digit], "opacity": 0.7},
                hovertemplate=f"digit {digit}<br>test image #%{{customdata}}<extra></extra>",
            )
        )
    if prior_origin is not None:
        add_prior_circles(fig, prior_origin)
    fig.update_layout(
        title=title,
        height=height,
        margin=_MARGIN,
        legend={"title": "digit", "itemsizing": "constant"},
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
    )  # no dragmode: Streamlit then pans on drag and selects on click (box and lasso stay in the toolbar)
    fig.update_yaxes(scaleanchor="x", scaleratio=1)  # circles must look round
    return fig


def add_prior_circles(fig: go.Figure, origin: tuple[float, float] = (0.0, 0.0)) -> go.Figure:
    """The prior N(0, I)'s 1-2-3 sigma circles as layout shapes (they do not take part in selection)."""
    cx, cy = origin
    for radius in PRIOR_RADII:
        fig.add_shape(
            type="circle",
            x0=cx - radius,
            x1=cx + radius,
            y0=cy - radius,
            y1=cy + radius,
            line={"color": "rgba(30,30,30,0.85)", "width": 1.5, "dash": "dash"},
            layer="above",
            name=f"{radius} sigma",
        )
    return fig


def add_path(
    fig: go.Figure,
    points: np.ndarray,
    name: str = "path",
    row: int | None = None,
    col: int | None = None,
    showlegend: bool = True,
) -> go.Figure:
    """The interpolation path as a black line with its start (circle) and end (square) marked."""
    points = np.asarray(points)
    symbols = ["circle", *["circle-open"] * (len(points) - 2), "square"]
    fig.add_trace(
        go.Scatter(
            x=points[:, 0],
            y=points[:, 1],
            mode="lines+markers",
            name=name,
            line={"color": "black", "width": 2},
            marker={"size": 8, "color": "black", "symbol": symbols},
            hovertemplate="step %{pointNumber}<extra></extra>",
            showlegend=showlegend,
        ),
        row=row,
        col=col,
    )
    return fig


def path_figure(
    backgrounds: Mapping[str, tuple[np.ndarray, np.ndarray]],
    paths: Mapping[str, np.ndarray],
    axis_titles: tuple[str, str] = ("z0", "z1"),
    height: int = 380,
) -> go.Figure:
    """Side-by-side panels, one per model: its test codes in faint digit colours and the path on top.

    ``backgrounds`` maps a panel title to (points (N, 2), labels (N,)); ``paths`` the same titles to the
    path's projected points (steps, 2).
    """
    titles = list(backgrounds)
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, horizontal_spacing=0.08)
    for col, title in enumerate(titles, start=1):
        points, labels = backgrounds[title]
        for digit in range(10):
            mask = np.asarray(labels) == digit
            fig.add_trace(
                go.Scatter(
                    x=points[mask, 0],
                    y=points[mask, 1],
                    mode="markers",
                    marker={"size": 3, "color": DIGIT_COLORS[digit], "opacity": 0.35},
                    name=str(digit),
                    legendgroup=str(digit),
                    showlegend=col == 1,
                    hoverinfo="skip",
                ),
                row=1,
                col=col,
            )
        if title in paths:
            add_path(fig, paths[title], name="path", row=1, col=col, showlegend=col == 1)
        fig.update_xaxes(title_text=axis_titles[0], row=1, col=col)
        fig.update_yaxes(title_text=axis_titles[1], row=1, col=col)
    legend = {"title": "digit", "itemsizing": "constant", "orientation": "h", "y": -0.25}  # under both panels
    fig.update_layout(height=height + 40, margin=_MARGIN, legend=legend)
    return fig


# --------------------------------------------------------------------------------------------------------
# Training and evaluation


# Training curves are Vega-Lite, not Plotly: st.plotly_chart derives its element identity from the figure itself
# even with a key, so the Train page's chart, whose data grows every epoch, would be unmounted and mounted again
# (a blank flash); a keyed st.vega_lite_chart keeps its element and only swaps the data. Home shows the same
# chart, and with it needs none of Plotly's 4.7 MB of script.
_SERIES_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c"]  # Plotly's first hues, so Vega-Lite charts match the rest
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


# Reconstruct's and the sampling page's charts are Vega-Lite too: those pages then load no Plotly script, which
# took most of their first paint (4.7 MB to parse before the page's pictures were drawn).
_RED_WHITE_BLUE = {"domain": [-1.0, 0.0, 1.0], "range": ["#2166ac", "#f7f7f7", "#b2182b"]}  # lost, exact, added
_ERROR_PIXEL = 8  # screen pixels per image pixel


def error_spec(errors: Mapping[str, np.ndarray]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Signed error maps (reconstruction minus original) side by side on one diverging scale [-1, 1], as
    (rows {"panel", "row", "column", "error"}, Vega-Lite spec); row 0 is the top of each image."""
    rows = [
        {"panel": title, "row": r, "column": c, "error": float(v)}
        for title, error in errors.items()
        for (r, c), v in np.ndenumerate(np.asarray(error, dtype=np.float64).reshape(28, 28))
    ]
    bare = {"axis": None, "type": "ordinal"}
    spec = {
        "mark": {"type": "rect"},
        "encoding": {
            "x": {"field": "column", **bare},
            "y": {"field": "row", **bare},
            "color": {
                "field": "error",
                "type": "quantitative",
                "scale": {**_RED_WHITE_BLUE, "clamp": True},
                "legend": {"title": "error", "orient": "bottom", "direction": "horizontal", "gradientLength": 200},
            },
            "column": {"field": "panel", "type": "nominal", "sort": list(errors), "title": None},
            "tooltip": [{"field": f} for f in ("row", "column")] + [{"field": "error", "format": ".2f"}],
        },
        "width": 28 * _ERROR_PIXEL,
        "height": 28 * _ERROR_PIXEL,
        "usermeta": _SVG,
    }
    return rows, spec


def score_histogram_spec(
    test_scores: np.ndarray, score: float | None = None, threshold: float | None = None, bins: int = 60
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The test set's negative ELBOs as a histogram (binned here: 60 bars, not 10,000 values, go to the page),
    with this image's score and the OOD cut-off as labelled rules; as (bar rows, Vega-Lite spec).

    The x-axis stops at the 99.9th percentile (or at the marks, if further out): the few worst-fitting test
    images would otherwise stretch it to several times the bulk's width and squash the bulk into a spike.
    """
    test_scores = np.asarray(test_scores, dtype=np.float64)
    marks = [m for m in (score, threshold) if m is not None]
    lo = min([float(test_scores.min()), *marks])
    hi = max([float(np.quantile(test_scores, 0.999)), *marks])
    lo, hi = lo - 0.02 * (hi - lo), hi + 0.05 * (hi - lo)
    counts, edges = np.histogram(test_scores, bins=bins, range=(lo, hi))
    rows = [
        {"start": float(a), "end": float(b), "count": int(n)}
        for a, b, n in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    # The two labels sit at different heights, so marks close together do not print over each other.
    labelled = [(threshold, "99th pct", "grey", 16), (score, "this image", "#d62728", 2)]
    rules = [{"x": float(x), "label": t, "color": c, "top": top} for x, t, c, top in labelled if x is not None]
    x = {"field": "start", "type": "quantitative", "title": "negative ELBO (nats)", "scale": {"domain": [lo, hi]}}
    layers = [
        {
            "mark": {"type": "bar", "color": "#9ab"},
            "encoding": {
                "x": x,
                "x2": {"field": "end"},
                "y2": {"datum": 0},  # bars from zero (a layered chart does not assume it)
                "y": {"field": "count", "type": "quantitative", "title": "test images"},
            },
        }
    ]
    if rules:
        rule_x = {"field": "x", "type": "quantitative"}
        color = {"field": "color", "type": "nominal", "scale": None}
        layers += [
            {
                "data": {"values": rules},
                "mark": {"type": "rule", "strokeWidth": 2.5},
                "encoding": {"x": rule_x, "color": color},
            },
            {
                "data": {"values": rules},
                "mark": {"type": "text", "align": "left", "dx": 4, "baseline": "top"},
                "encoding": {
                    "x": rule_x,
                    "y": {"field": "top", "type": "quantitative", "scale": None},  # pixels from the top
                    "text": {"field": "label"},
                    "color": color,
                },
            },
        ]
    return rows, {"layer": layers, "height": 230, "usermeta": _SVG}


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
