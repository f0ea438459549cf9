"""The maths behind the Latent map's pad: a 2-D plane through a model's latent space, and back again.

A pad is a square the pointer moves over. Its position (u, v) in [-1, 1]^2 is shared by the AE's and the VAE's
pads: each model's plane is centred on its own code cloud and scaled by its own spread, so the same (u, v)
sits at the same place relative to each model's codes. For the VAE the unit is the prior's standard deviation
(the prior N(0, I) is what its codes are pulled towards); the AE has no prior, so its unit is its codes'
standard deviation in the plane. A plane point maps back to a full code by the plane's inverse (for PCA,
sklearn's ``inverse_transform``: mean + point @ components).

No streamlit here, so the tests call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.latent_map.contract import PadScatter
from explorer.shared.browser import packing

PRIOR_SIGMAS = (1.0, 2.0, 3.0)  # the prior's circles every map draws, in its standard deviations
PAD_UNITS = 3.5  # the pad spans +-3.5 units from its centre: the VAE's 3-sigma circle fits with a margin
PLANE_METHODS = ("pca", "dims")


@dataclass(frozen=True)
class PadPlane:
    """A plane through latent space and the square of it a pad shows.

    ``mean`` (D,) and ``components`` (2, D, orthonormal rows) map plane points p to codes mean + p @
    components. The pad shows centre +- half_width on both axes, so pad position (u, v) is the plane point
    centre + (u, v) * half_width. ``prior_origin`` is where z = 0 lands (the prior's centre), or None.
    """

    mean: np.ndarray
    components: np.ndarray
    centre: tuple[float, float]
    half_width: float
    axis_titles: tuple[str, str]
    prior_origin: tuple[float, float] | None = None

    @property
    def latent_dim(self) -> int:
        return int(self.mean.shape[0])

    def project(self, codes: np.ndarray) -> np.ndarray:
        """Codes (N, D) -> plane points (N, 2)."""
        return ((np.asarray(codes, dtype=np.float64) - self.mean) @ self.components.T).astype(np.float32)

    def to_latent(self, points: np.ndarray) -> np.ndarray:
        """Plane points (N, 2) -> codes (N, D): the inverse of ``project`` on the plane."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return (points @ self.components + self.mean).astype(np.float32)

    def pad_to_plane(self, uv: np.ndarray) -> np.ndarray:
        """Pad positions (N, 2) in [-1, 1]^2 -> plane points (N, 2)."""
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        return (np.asarray(self.centre) + uv * self.half_width).astype(np.float32)

    def plane_to_pad(self, points: np.ndarray) -> np.ndarray:
        """Plane points (N, 2) -> pad positions (N, 2); points off the pad fall outside [-1, 1]."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return ((points - np.asarray(self.centre)) / self.half_width).astype(np.float32)


def linear_plane(codes: np.ndarray, method: str = "pca", dims: tuple[int, int] = (0, 1)) -> tuple[np.ndarray, ...]:
    """(mean (D,), components (2, D), axis titles) of a plane through the codes (N, D).

    "pca": the codes' first two principal components (the same PCA as the latent map: sklearn, random_state
    0), or the plane itself when D == 2. "dims": two chosen dimensions, the others held at 0.
    """
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"codes must be shaped (N, D) with D >= 2, got {codes.shape}")
    dim = codes.shape[1]
    if method not in PLANE_METHODS:
        raise ValueError(f"plane method must be one of {PLANE_METHODS}, got {method!r}")
    if method == "dims" or dim == 2:
        first, second = (0, 1) if dim == 2 else dims
        if not (0 <= first < dim and 0 <= second < dim and first != second):
            raise ValueError(f"need two different dimensions between 0 and {dim - 1}, got {dims}")
        components = np.zeros((2, dim), dtype=np.float64)
        components[0, first] = components[1, second] = 1.0
        return np.zeros(dim), components, (f"z{first}", f"z{second}")
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(codes)
    return pca.mean_.astype(np.float64), pca.components_.astype(np.float64), ("PC 1", "PC 2")


def pad_plane(
    codes: np.ndarray,
    kind: str,
    method: str = "pca",
    dims: tuple[int, int] = (0, 1),
    fitted: tuple[np.ndarray, np.ndarray] | None = None,
) -> PadPlane:
    """The pad for one model's codes (N, D): the VAE's in prior units around the prior's centre, the AE's in
    its codes' standard deviation around their mean (see the module docstring).

    ``fitted`` is an already fitted PCA plane (mean (D,), components (2, D)) to use instead of fitting one,
    e.g. the latent map's cached projection.
    """
    if fitted is not None and method == "pca" and np.asarray(codes).shape[1] > 2:
        mean, components = (np.asarray(a, dtype=np.float64) for a in fitted)
        titles = ("PC 1", "PC 2")
    else:
        mean, components, titles = linear_plane(codes, method, dims)
    plane = PadPlane(mean, components, (0.0, 0.0), 1.0, titles)
    points = plane.project(codes).astype(np.float64)
    if kind == "vae":
        origin = plane.project(np.zeros((1, plane.latent_dim)))[0]
        centre, unit = (float(origin[0]), float(origin[1])), 1.0
        prior = centre
    else:
        centre = (float(points[:, 0].mean()), float(points[:, 1].mean()))
        unit = float(np.sqrt(points.var(axis=0).mean())) or 1.0
        prior = None
    return PadPlane(mean, components, centre, PAD_UNITS * unit, titles, prior)


def scatter_payload(plane: PadPlane, codes: np.ndarray, labels: np.ndarray) -> PadScatter:
    """What a pad component needs to draw and decode, as plain JSON-able data.

    Points are pad positions (u, v), interleaved, as base64 little-endian float32 (10k points: ~107 KB
    instead of ~300 KB of JSON numbers); labels as a string of digits. The plane travels as numbers so the
    browser maps (u, v) to a code exactly as ``PadPlane.to_latent(pad_to_plane(uv))`` does.
    """
    uv = plane.plane_to_pad(plane.project(codes))
    labels = np.asarray(labels).astype(np.int64)
    if labels.shape != (len(uv),) or labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise ValueError("labels must be one digit 0-9 per code")
    prior = None
    if plane.prior_origin is not None:
        pu, pv = plane.plane_to_pad(np.asarray([plane.prior_origin]))[0]
        prior = {"u": float(pu), "v": float(pv), "radius": 1.0 / plane.half_width}  # one sigma, in pad units
    return {
        "points": packing.float32(uv),
        "count": len(uv),
        "labels": "".join(str(d) for d in labels),
        "mean": [float(x) for x in plane.mean],
        "components": [[float(x) for x in row] for row in plane.components],
        "centre": [float(c) for c in plane.centre],
        "half_width": float(plane.half_width),
        "axis_titles": [str(a) for a in plane.axis_titles],
        "prior": prior,
    }


def pinned_codes(planes: dict[str, PadPlane], uv: tuple[float, float]) -> dict[str, np.ndarray]:
    """The code (D,) under pad position uv on each model's plane."""
    point = np.asarray([uv], dtype=np.float64)
    return {kind: plane.to_latent(plane.pad_to_plane(point))[0] for kind, plane in planes.items()}


def parse_pin(value: Any) -> tuple[float, float] | None:
    """A pad position sent by the browser ({"u": .., "v": ..}), or None when it is not a usable one."""
    if not isinstance(value, dict):
        return None
    try:
        u, v = float(value["u"]), float(value["v"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite(u) and np.isfinite(v) and -1.0 <= u <= 1.0 and -1.0 <= v <= 1.0):
        return None
    return u, v
