"""What each chart shows, as plain data: training curves, bar charts, the score histogram and signed error maps
(explorer/charts/plots.py draws them with Plotly).

Pure functions of arrays, no streamlit, so the tests call them directly. Each raises ValueError with a readable
message when its input cannot be drawn; a value that is merely missing or not finite (a diverged epoch) becomes
None, a gap in the chart, because JSON has no NaN and the browser would refuse the whole payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from explorer.shared.figures import DIGIT_COLORS
from explorer.shared.numbers import finite_number

SERIES_COLORS: tuple[str, ...] = DIGIT_COLORS[:3]  # the first hues of the digit palette, so all charts match
CURVE_PANELS = {"loss": "loss", "reconstruction": "reconstruction", "kl": "KL"}  # history key -> panel title
SPLITS = ("train", "valid")  # drawn solid and dashed
MARKER_EPOCHS = 20  # more markers than this blur into a thick line
HISTOGRAM_COLOR = "#99aabb"
# Reconstruction minus original, clamped to [-1, 1]: blue is ink the model lost, white exact, red ink it added.
ERROR_SCALE = {
    "domain": [-1.0, -0.5, 0.0, 0.5, 1.0],
    "colors": ["#2166ac", "#67a9cf", "#f7f7f7", "#ef8a62", "#b2182b"],
}
ERROR_CELL = 8  # at most this many CSS pixels per image pixel
DIGIT_SIDE = 28


def _chart(kind: str, testid: str, height: int, series: Sequence[Mapping[str, Any]], **extra: Any) -> dict[str, Any]:
    """The keys every chart has; ``extra`` adds the kind's own (plots.py reads them)."""
    return {
        "kind": kind,
        "testid": testid,
        "title": "",
        "height": int(height),
        "series": [dict(s) for s in series],
        "x_title": "",
        "y_title": "",
        "y_format": "number",
        **extra,
    }


# --------------------------------------------------------------------------------------------------------
# Training curves


def _all_kl_zero(history: Sequence[Mapping[str, Any]]) -> bool:
    """True when every recorded KL is 0: a plain autoencoder, whose KL panel would be a flat line."""
    values = [finite_number(h.get(k)) for h in history for k in ("train_kl", "valid_kl")]
    values = [v for v in values if v is not None]
    return bool(values) and all(v == 0 for v in values)


def training_curves(
    history: Sequence[Mapping[str, Any]], *, columns: int = 0, height: int = 200, testid: str = ""
) -> dict[str, Any]:
    """Per-epoch loss, reconstruction and KL, train (solid) and valid (dashed), one panel per term with its own
    y scale; ``columns`` panels per row at most (0: as many as fit), each plot ``height`` CSS px tall.

    Panels without a single number (an AE's KL, which is all zero) are left out.
    """
    if isinstance(history, str | bytes) or not all(isinstance(h, Mapping) for h in history):
        raise ValueError("training history must be a list of per-epoch dicts")
    epochs = [finite_number(h.get("epoch")) for h in history]
    x = [e if e is not None else float(i + 1) for i, e in enumerate(epochs)]
    skip = {"kl"} if _all_kl_zero(history) else set()
    panels = []
    for key, title in CURVE_PANELS.items():
        values = [[finite_number(h.get(f"{split}_{key}")) for h in history] for split in SPLITS]
        if key not in skip and any(v is not None for line in values for v in line):
            panels.append({"title": title, "values": values})
    colors = zip(SPLITS, SERIES_COLORS, strict=False)
    series = [{"name": split, "color": color, "dash": split == "valid"} for split, color in colors]
    return _chart(
        "lines",
        testid,
        height,
        series,
        x=x,
        x_title="epoch",
        panels=panels,
        columns=max(0, int(columns)),
        markers=len(history) <= MARKER_EPOCHS,
    )


# --------------------------------------------------------------------------------------------------------
# Bars


def latent_bars(values: Sequence[float] | np.ndarray, title: str, *, height: int = 220, testid: str = "") -> dict:
    """One bar per latent dimension (z0, z1, ...), in dimension order, under ``title``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"latent bars need numbers, got {values!r}") from error
    if array.ndim != 1 or not len(array):
        raise ValueError(f"need one value per latent dimension, got an array shaped {array.shape}")
    bars = [finite_number(v) for v in array.tolist()]
    return {
        **_chart("bars", testid, height, [{"name": "", "color": DIGIT_COLORS[0], "dash": False}]),
        "title": title,
        "categories": [f"z{i}" for i in range(len(bars))],
        "category_title": "",
        "values": [bars],
    }


def class_histogram(histograms: Mapping[str, Sequence[int]], *, height: int = 240, testid: str = "") -> dict:
    """How often the classifier assigns each digit: one group of bars per digit, one bar per model, as each model's
    share of its samples (a model without samples has all shares 0)."""
    if not histograms:
        raise ValueError("no models to compare")
    if len(histograms) > len(SERIES_COLORS):
        raise ValueError(f"at most {len(SERIES_COLORS)} models fit one class histogram, got {len(histograms)}")
    shares = []
    for name, counts in histograms.items():
        try:
            array = np.asarray(counts, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: need ten counts (digits 0-9), got {counts!r}") from error
        if array.shape != (10,) or not np.isfinite(array).all() or (array < 0).any():
            raise ValueError(f"{name}: need ten counts (digits 0-9) that are not negative, got {array.tolist()}")
        shares.append((array / max(1.0, float(array.sum()))).tolist())
    series = [{"name": name, "color": c, "dash": False} for name, c in zip(histograms, SERIES_COLORS, strict=False)]
    return {
        **_chart("bars", testid, height, series),
        "categories": [str(d) for d in range(10)],
        "category_title": "digit",
        "values": shares,
        "x_title": "digit the classifier sees",
        "y_title": "share of samples",
        "y_format": "percent",
    }


def score_histogram(
    test_scores: np.ndarray,
    score: float | None = None,
    threshold: float | None = None,
    *,
    bins: int = 60,
    height: int = 230,
    testid: str = "",
    x_title: str = "negative ELBO (nats)",
) -> dict[str, Any]:
    """The test set's negative ELBOs (what ``x_title`` says they are) binned into ``bins`` bars (the page gets 60
    counts, not 10,000 scores), with
    this image's score ("this image", red) and the out-of-distribution cut-off ("99th pct", grey) as labelled
    vertical rules, their labels on different lines so close marks do not print over each other.

    The x axis stops at the 99.9th percentile (or at the marks, if further out): the few worst-fitting test
    images would otherwise stretch it to several times the bulk's width and squash the bulk into a spike.
    """
    scores = np.asarray(test_scores, dtype=np.float64).ravel()
    scores = scores[np.isfinite(scores)]
    if not len(scores):
        raise ValueError("no test-set scores to draw")
    if int(bins) < 1:
        raise ValueError(f"need at least one bin, got {bins}")
    score, threshold = finite_number(score), finite_number(threshold)
    marks = [m for m in (score, threshold) if m is not None]
    lo = min([float(scores.min()), *marks])
    hi = max([float(np.quantile(scores, 0.999)), *marks])
    if hi <= lo:  # every score the same
        lo, hi = lo - 1.0, hi + 1.0
    lo, hi = lo - 0.02 * (hi - lo), hi + 0.05 * (hi - lo)
    counts, edges = np.histogram(scores, bins=int(bins), range=(lo, hi))
    labelled = [(score, "this image", "#d62728", 0), (threshold, "99th pct", "#808080", 1)]
    rules = [{"x": x, "label": label, "color": color, "row": row} for x, label, color, row in labelled if x is not None]
    return {
        **_chart("histogram", testid, height, [{"name": "", "color": HISTOGRAM_COLOR, "dash": False}]),
        "edges": edges.tolist(),
        "counts": counts.tolist(),
        "domain": [lo, hi],
        "rules": rules,
        "x_title": x_title,
        "y_title": "test images",
    }


# --------------------------------------------------------------------------------------------------------
# Error maps


def error_maps(errors: Mapping[str, np.ndarray], *, testid: str = "") -> dict[str, Any]:
    """Signed error maps (reconstruction minus original), one 28x28 panel per title, side by side on one diverging
    scale clamped to [-1, 1]; values row by row from the top-left pixel, rounded to 4 decimals."""
    if not errors:
        raise ValueError("no error maps to draw")
    panels = []
    for title, error in errors.items():
        array = np.asarray(error, dtype=np.float64)
        if array.size != DIGIT_SIDE * DIGIT_SIDE:
            raise ValueError(f"{title}: an error map needs {DIGIT_SIDE}x{DIGIT_SIDE} values, got {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"{title}: the error map has values that are not numbers")
        panels.append({"title": str(title), "values": np.round(array.ravel(), 4).tolist()})
    return {
        **_chart("heatmap", testid, DIGIT_SIDE * ERROR_CELL, []),
        "shape": [DIGIT_SIDE, DIGIT_SIDE],
        "panels": panels,
        "scale": {key: list(value) for key, value in ERROR_SCALE.items()},
        "cell": ERROR_CELL,
        "legend_title": "error",
        "value_title": "error",
    }
