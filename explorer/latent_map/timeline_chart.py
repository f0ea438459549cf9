"""The training timeline's data for its browser component (timeline.js; explorer.latent_map.contract.TimelineData),
from vae.timeline files.

Everything for every epoch travels once, so the epoch slider never asks the server: per model the 2-D places
of its subset's codes at each epoch (float16, base64), their labels, that epoch's reconstructions and prior
samples (uint8 pixels), the loss curves and the KL per dimension. The axes are fixed for the whole timeline:
2-D codes are drawn as they are; longer codes on the plane of a PCA fitted to the final epoch's codes and
applied to every epoch. The PCA's axes are orthonormal, so the prior N(0, I) stays a unit Gaussian on the
plane and its 1-2-3 sigma circles are drawn around where z = 0 lands. No streamlit here.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from explorer.latent_map.contract import TimelineData, TimelineModel, TimelineSource
from explorer.latent_map.latent_pad import PRIOR_SIGMAS
from explorer.shared.browser import packing
from vae.timeline import LOSS_KEYS, Timeline

STATIC_TIMELINES = "timelines"  # folder under the app's static/ folder
URL_PREFIX = "app/static/timelines/"


def plane(timeline: Timeline) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    """(E, N, 2) places of every epoch's codes, where z = 0 lands (2,), and the axis titles."""
    codes = np.stack([m.float().numpy() for m in timeline.mu]).astype(np.float64)  # (E, N, D)
    if timeline.latent_dim <= 2:
        padded = np.zeros((*codes.shape[:2], 2))
        padded[..., : codes.shape[2]] = codes
        return padded, np.zeros(2), ("z0", "z1")
    final = codes[-1]
    centre = final.mean(axis=0)
    _, _, vt = np.linalg.svd(final - centre, full_matrices=False)
    components = vt[:2]  # (2, D), orthonormal rows
    return (codes - centre) @ components.T, (-centre) @ components.T, ("PC 1", "PC 2")


def _bounds(points: np.ndarray, prior: np.ndarray | None) -> list[float]:
    """Fixed axes over every epoch: the 0.5-99.5% range of all places (a few strays do not squash the rest),
    and the prior's outermost circle (PRIOR_SIGMAS, which the page draws)."""
    flat = points.reshape(-1, 2)
    lo, hi = np.percentile(flat, 0.5, axis=0), np.percentile(flat, 99.5, axis=0)
    if prior is not None:
        radius = max(PRIOR_SIGMAS)
        lo, hi = np.minimum(lo, prior - radius), np.maximum(hi, prior + radius)
    margin = (hi - lo) * 0.05 + 1e-6
    return [float(lo[0] - margin[0]), float(hi[0] + margin[0]), float(lo[1] - margin[1]), float(hi[1] + margin[1])]


def model_entry(timeline: Timeline, title: str) -> TimelineModel:
    """One model's part of the component's data."""
    if not timeline.epochs:
        raise ValueError("the timeline has no epochs yet")
    points, origin, axes = plane(timeline)
    prior = origin if timeline.kind == "vae" else None
    losses = np.stack([t.numpy() for t in timeline.losses]).astype(np.float64)
    return {
        "title": title,
        "kind": timeline.kind,
        "epochs": list(timeline.epochs),
        "count": len(timeline.indices),
        "labels": "".join(str(int(v)) for v in timeline.labels),
        "points": packing.float16(points.astype(np.float32)),
        "bounds": _bounds(points, prior),
        "prior": None if prior is None else [float(prior[0]), float(prior[1])],
        "axes": list(axes),
        "recon": packing.uint8(np.stack([r.numpy() for r in timeline.recon])),
        "samples": packing.uint8(np.stack([s.numpy() for s in timeline.samples])),
        "originals": packing.uint8(timeline.originals.numpy()),
        "shown": int(timeline.originals.shape[0]),
        "losses": {key: [_finite(v) for v in losses[:, i]] for i, key in enumerate(LOSS_KEYS)},  # TimelineLosses
        "kl_per_dim": [[round(float(v), 4) for v in row] for row in timeline.kl_per_dim],
    }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def payload(
    timelines: Mapping[str, Timeline], titles: Mapping[str, str], colors: Sequence[str], *, testid: str = ""
) -> TimelineData:
    """The component's data for one or two models' timelines (kind -> Timeline, drawn in that order)."""
    models = [model_entry(timeline, titles.get(kind, kind)) for kind, timeline in timelines.items()]
    return {"models": models, "colors": list(colors), "testid": testid, "sigmas": list(PRIOR_SIGMAS)}


def write_payload(data: TimelineData, static_root: str | Path) -> TimelineSource:
    """Write a payload to ``static_root/timelines/<hash>.json`` once (atomically) and return what the component
    takes instead: ``{"src": url, "testid"}``; the browser fetches it once and caches it by its content hash,
    so a page rerun does not send the timelines again."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    name = hashlib.blake2b(text.encode(), digest_size=10).hexdigest() + ".json"
    folder = Path(static_root) / STATIC_TIMELINES
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.is_file():
        partial = path.with_name(f".{name}.{os.getpid()}.tmp")
        partial.write_text(text)
        os.replace(partial, path)
    return {"src": URL_PREFIX + name, "testid": data.get("testid", "")}
