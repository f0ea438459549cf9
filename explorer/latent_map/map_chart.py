"""The Latent map's scatter as data for its browser component (map.js; explorer.latent_map.contract.MapData).

Points travel packed as float32 (x, y interleaved) and test-set indices as int32, labels as a string of digits:
about 150 KB for 10k points instead of about 400 KB of JSON numbers. No streamlit here, so the tests call it
directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from explorer.latent_map.contract import MapData, SpriteAtlas
from explorer.latent_map.latent_pad import PRIOR_SIGMAS
from explorer.shared.browser import packing


def payload(
    points: np.ndarray,
    labels: np.ndarray,
    indices: np.ndarray,
    *,
    title: str,
    axis_titles: Sequence[str],
    prior_origin: Sequence[float] | None,
    colors: Sequence[str],
    picked: int | None = None,
    path: np.ndarray | None = None,
    height: int = 460,
    alpha: float = 0.7,
    testid: str = "",
    names: Sequence[str] | None = None,
    legend_title: str = "digit",
    sprites: SpriteAtlas | None = None,
    pickable: bool = True,
) -> MapData:
    """The map component's data for points (N, 2) with digit labels (N,) and test-set indices (N,).

    ``prior_origin`` is where z = 0 lands on the plane (the component draws the prior's 1-2-3 sigma circles
    around it, one unit being one standard deviation), or None; ``picked`` a test-set index to mark; ``path``
    (steps, 2) a line drawn on top from its start (a filled circle) to its end (a square); ``height`` the
    chart's height in CSS pixels, ``alpha`` the points' opacity and ``testid`` the chart's data-testid.
    ``names`` are the legend's names of the labels (a set of a person's own images: its folder names; the
    component shows them as text only) under the heading ``legend_title``; None keeps the digits.
    ``sprites`` (explorer.latent_map.sprites' atlas entry) draws each point as its own digit instead of a dot;
    ``pickable`` False makes a click pick nothing.
    """
    points = np.asarray(points, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64)
    indices = np.asarray(indices).astype(np.int64)
    count = len(points)
    if points.shape != (count, 2) or labels.shape != (count,) or indices.shape != (count,):
        raise ValueError(
            f"need points (N, 2), labels (N,) and indices (N,); got {points.shape}, {labels.shape}, {indices.shape}"
        )
    if count and (labels.min() < 0 or labels.max() > 9):
        raise ValueError("labels must be digits 0-9")
    line = None if path is None else np.asarray(path, dtype=np.float64)
    if not np.isfinite(points).all() or (line is not None and not np.isfinite(line).all()):
        raise ValueError("points must be finite")
    if line is not None and (line.ndim != 2 or line.shape[1] != 2):
        raise ValueError(f"need a path shaped (steps, 2), got {line.shape}")
    xy, ids = packing.float32(points), packing.int32(indices)
    text = "".join(map(str, labels.tolist()))
    version = hashlib.blake2b(f"{xy}|{ids}|{text}".encode(), digest_size=8).hexdigest()
    prior = None if prior_origin is None else {"x": float(prior_origin[0]), "y": float(prior_origin[1])}
    return {
        "title": title,
        "axis_titles": [str(a) for a in axis_titles],
        "count": count,
        "points": xy,
        "labels": text,
        "indices": ids,
        "version": version,
        "prior": prior,
        "colors": list(colors),
        "picked": None if picked is None else int(picked),
        "path": None if line is None else line.tolist(),
        "height": int(height),
        "alpha": float(alpha),
        "testid": testid,
        "names": None if names is None else [str(n) for n in names],
        "legend_title": str(legend_title),
        "mode": "digits" if sprites else "dots",
        "sprites": sprites,
        "pickable": bool(pickable),
        "sigmas": list(PRIOR_SIGMAS),
    }


def parse_pick(value: Any, count: int) -> int | None:
    """A test-set index the browser sent as ``picked``, or None when it is not a usable one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    index = int(value)
    return index if 0 <= index < count else None
