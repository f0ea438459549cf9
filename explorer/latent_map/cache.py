"""The Latent map's caches: the pad's planes and payloads, the digit atlas, the training timelines, t-SNE and the
points the scatter draws. Keyed by checkpoint path and version like explorer.shared.resources, whose models and
codes they use."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st
import torch

from explorer.shared import resources
from vae.checkpoint import Checkpoint

TSNE_POINTS = 2000  # t-SNE of all 10k codes takes minutes on two cores; a 2k subset takes ~20 s


@st.cache_resource(show_spinner=False, max_entries=8)
def digit_atlas(dataset: str = "mnist") -> dict[str, Any]:
    """A dataset's test images as the sprite atlas of the maps' digit mode (MNIST's, or a set of your own's
    held-out split), written once to static/atlas/ under its content hash (charts.sprites)."""
    from explorer.latent_map import sprites

    return sprites.write_atlas(resources.test_set(dataset)[0], resources.STATIC)


@st.cache_resource(show_spinner=False, max_entries=16)
def _timeline(path: str, stamp: str) -> Any:
    from vae.timeline import TimelineError, read_timeline

    try:
        return read_timeline(path)
    except TimelineError as error:  # kept too: a damaged file is read (and refused) once
        return error


def timeline(checkpoint: Checkpoint) -> Any:
    """The checkpoint's training timeline (vae.timeline.Timeline), or the TimelineError saying why there is none."""
    from vae.timeline import TIMELINE_FILE

    file = checkpoint.path / TIMELINE_FILE
    stamp = f"{file.stat().st_mtime_ns}:{file.stat().st_size}" if file.is_file() else "-"
    return _timeline(str(checkpoint.path), f"{resources.version(checkpoint)}/{stamp}")


@st.cache_data(show_spinner=f"Running t-SNE on {TSNE_POINTS:,} codes; this takes a while the first time…")
def _tsne(path: str, stamp: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import sklearn.manifold  # noqa: F401  (loaded first, so the thread limit below reaches its OpenMP pool)
    from threadpoolctl import threadpool_limits

    from vae.latent import project_2d

    subset = np.sort(np.random.default_rng(seed).permutation(len(resources.test_set_at(path, stamp)[0]))[:TSNE_POINTS])
    # As many threads as torch uses (see frame.configure_threads): on a busy shared CPU, one thread ran a
    # t-SNE of 2,000 codes in 9 s where two took 21 s.
    with threadpool_limits(torch.get_num_threads()):
        return subset, project_2d(resources.codes_at(path, stamp)[subset], "tsne", seed=seed)


def tsne(checkpoint: Checkpoint, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(test-set indices, t-SNE points) for a seeded subset of TSNE_POINTS codes."""
    return _tsne(str(checkpoint.path), resources.version(checkpoint), seed)


def map_points(checkpoint: Checkpoint, method: str) -> tuple[np.ndarray, np.ndarray, tuple | None, tuple[str, str]]:
    """What the latent map draws: (points (N, 2), test indices (N,), prior origin or None, axis titles).

    PCA (or the codes themselves for z = 2) maps the prior N(0, I) to a unit Gaussian around ``origin``;
    t-SNE is not linear, so it gets no prior circles.
    """
    if method == "tsne":
        indices, points = tsne(checkpoint)
        return points, indices, None, ("t-SNE 1", "t-SNE 2")
    view = resources.projection(checkpoint)
    points = view(resources.codes(checkpoint))
    axes = ("z0", "z1") if view.name == "z" else ("PC 1", "PC 2")
    return points, np.arange(len(points)), view.origin, axes


@st.cache_data(show_spinner=False, max_entries=32)
def _pad(path: str, stamp: str, kind: str, method: str, dims: tuple[int, int]) -> tuple[Any, dict[str, Any]]:
    from explorer.latent_map import latent_pad

    codes = resources.codes_at(path, stamp)
    view = resources.projection_at(path, stamp)
    plane = latent_pad.pad_plane(codes, kind, method, dims, fitted=(view.mean, view.components))
    return plane, latent_pad.scatter_payload(plane, codes, resources.test_set_at(path, stamp)[1])


def pad(checkpoint: Checkpoint, kind: str, method: str, dims: tuple[int, int]) -> tuple[Any, dict[str, Any]]:
    """The Latent map pad for one model of `kind` ("ae" / "vae"): (its PadPlane, the browser's scatter
    payload, ~107 KB).

    Cached per checkpoint and plane: projecting and packing 10k codes on every rerun of the page (each
    click on the map reruns it) was wasted work.
    """
    return _pad(str(checkpoint.path), resources.version(checkpoint), kind, method, tuple(int(d) for d in dims))
