"""The latent space's geometry behind the sliders, the Interpolate page and the latent map: slider ranges,
start codes, traversals, projections, paths and decoded planes, free of Streamlit so tests can call them directly.

Codes travel as float32 numpy arrays (N, D); images as float32 (N, 28, 28) in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from explorer.shared.core import decode, embed
from explorer.shared.numbers import finite_number
from vae.latent import interpolate, latent_grid, traverse

INACTIVE_KL = 0.01  # nats; a VAE dimension carrying less than this is ignored by the decoder in practice
INACTIVE_VARIANCE = 0.01  # Var_x of the codes, the active-unit threshold of vae.evaluate
PRIOR_RANGE = 3.0  # the VAE sliders cover +-3 standard deviations of the prior
AE_MARGIN = 0.1  # the AE sliders reach this share of the codes' range beyond it on each side
TRAVERSAL_STEPS = 9


# --------------------------------------------------------------------------------------------------------
# Sliders


@dataclass(frozen=True)
class SliderSpec:
    """One latent dimension's slider: its range, step and what the statistics say about it."""

    dim: int
    lo: float
    hi: float
    step: float
    kl: float | None
    variance: float | None
    active: bool

    @property
    def label(self) -> str:
        detail = (
            f"KL {self.kl:.2f}"
            if self.kl is not None
            else (f"var {self.variance:.2f}" if self.variance is not None else "")
        )
        return f"z{self.dim}" + (f" · {detail}" if detail else "")

    def clip(self, value: float) -> float:
        return float(min(self.hi, max(self.lo, round(value / self.step) * self.step)))


def _per_dim(stats: dict[str, Any], key: str, latent_dim: int) -> list[Any] | None:
    values = stats.get(key)
    return list(values) if isinstance(values, (list, tuple)) and len(values) == latent_dim else None


def _nice_step(width: float) -> float:
    return 10.0 ** math.floor(math.log10(max(width, 1e-6) / 100))  # at least 100 positions along the range


def slider_specs(kind: str, latent_dim: int, stats: dict[str, Any]) -> list[SliderSpec]:
    """Sliders ordered by importance: the VAE's KL per dimension (else the codes' variance), largest first.

    ``stats`` holds any of ``kl_per_dim``, ``code_variance``, ``code_range`` (vae.evaluate's names); a
    missing or malformed entry just loses its influence. VAE ranges are the prior's +-3; the AE's are the
    encoded test set's range widened by AE_MARGIN, since an AE has no prior to anchor them.
    """
    kls = _per_dim(stats, "kl_per_dim", latent_dim) if kind == "vae" else None
    variances = _per_dim(stats, "code_variance", latent_dim)
    ranges = _per_dim(stats, "code_range", latent_dim)
    specs = []
    for dim in range(latent_dim):
        kl = finite_number(kls[dim]) if kls else None
        variance = finite_number(variances[dim]) if variances else None
        lo, hi = -PRIOR_RANGE, PRIOR_RANGE
        if kind != "vae" and ranges and isinstance(ranges[dim], (list, tuple)) and len(ranges[dim]) == 2:
            a, b = (finite_number(v) for v in ranges[dim])
            if a is not None and b is not None and b > a:
                margin = AE_MARGIN * (b - a)
                lo, hi = a - margin, b + margin
        step = _nice_step(hi - lo)
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        active = not ((kl is not None and kl < INACTIVE_KL) or (variance is not None and variance < INACTIVE_VARIANCE))
        specs.append(SliderSpec(dim, round(lo, 6), round(hi, 6), step, kl, variance, active))
    importance = (lambda s: -(s.kl or 0.0)) if kls else (lambda s: -(s.variance or 0.0))
    return sorted(specs, key=lambda s: (importance(s), s.dim))


def clip_code(specs: Sequence[SliderSpec], code: np.ndarray) -> np.ndarray:
    """``code`` (D,) with each dimension clipped into its slider's range, since a slider cannot show a value
    outside it (dimensions without a slider are kept)."""
    raw = np.asarray(code, dtype=np.float64).reshape(-1)
    by_dim = {s.dim: s for s in specs}
    return np.array([by_dim[i].clip(raw[i]) if i in by_dim else raw[i] for i in range(len(raw))], dtype=np.float32)


def traversal(model: torch.nn.Module, code: np.ndarray, spec: SliderSpec, steps: int = TRAVERSAL_STEPS):
    """What one dimension does: ``steps`` values across its slider range, the rest of ``code`` fixed.

    Returns (values (steps,), images (steps, 28, 28)).
    """
    values = torch.linspace(spec.lo, spec.hi, steps)
    codes = traverse(torch.as_tensor(np.asarray(code, dtype=np.float32)), spec.dim, values)
    return values.numpy(), decode(model, codes.numpy())


# --------------------------------------------------------------------------------------------------------
# Interpolate page and latent map


@dataclass(frozen=True)
class Projection:
    """A linear map of codes to the plane: the codes themselves for D == 2, else their first two PCs."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (2, D), orthonormal rows
    name: str = "PCA"

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        return ((np.asarray(codes, dtype=np.float32) - self.mean) @ self.components.T).astype(np.float32)

    @property
    def origin(self) -> tuple[float, float]:
        """Where z = 0 lands; the prior N(0, I) maps to N(origin, I_2) under an orthonormal projection."""
        x, y = self(np.zeros((1, len(self.mean)), dtype=np.float32))[0]
        return float(x), float(y)


def pca_projection(codes: np.ndarray) -> Projection:
    """The projection used by the latent map and the interpolation path (identity for 2-D codes)."""
    codes = np.asarray(codes, dtype=np.float32)
    dim = codes.shape[1]
    if dim <= 2:
        eye = np.eye(2, dim, dtype=np.float32)
        return Projection(np.zeros(dim, dtype=np.float32), eye, name="z")
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(codes)
    return Projection(pca.mean_.astype(np.float32), pca.components_.astype(np.float32))


@dataclass(frozen=True)
class Interpolation:
    codes: np.ndarray  # (steps, D), endpoints = the two encodings
    images: np.ndarray  # (steps, 28, 28)


def interpolation(
    model: torch.nn.Module, start: np.ndarray, end: np.ndarray, steps: int, method: str = "linear"
) -> Interpolation:
    """Encode two images, walk ``steps`` codes between them (vae.interpolate) and decode each one."""
    with torch.inference_mode():
        z = torch.as_tensor(embed(model, np.stack([start, end])))
        path = interpolate(z[0], z[1], steps, method).numpy()
    return Interpolation(path, decode(model, path))


def nearest_neighbours(codes: np.ndarray, index: int, k: int = 8) -> np.ndarray:
    """Indices of the k codes closest (Euclidean, full latent space) to ``codes[index]``, nearest first."""
    codes = np.asarray(codes, dtype=np.float32)
    distances = ((codes - codes[index]) ** 2).sum(1)
    distances[index] = np.inf
    k = min(k, len(codes) - 1)
    nearest = np.argpartition(distances, k)[:k]
    return nearest[np.argsort(distances[nearest])]


Range = tuple[float, float]


def plane_grid(x_range: Range, y_range: Range, n: int = 15) -> np.ndarray:
    """An n x n grid of 2-D codes over x_range x y_range, row by row from the top (high y): (n*n, 2).

    vae.latent_grid's unit square stretched per axis, so a plane whose axes differ in scale (an AE's
    codes often do, by a factor of ten) is covered without leaving most of the grid off the data.
    """
    unit = latent_grid(0.0, 1.0, n).numpy()
    low = np.array([x_range[0], y_range[0]], dtype=np.float32)
    span = np.array([x_range[1] - x_range[0], y_range[1] - y_range[0]], dtype=np.float32)
    return (low + unit * span).astype(np.float32)


def manifold(model: torch.nn.Module, x_range: Range, y_range: Range, n: int = 15) -> np.ndarray:
    """Decodes of plane_grid(x_range, y_range, n) of a 2-D latent space, row by row: (n*n, 28, 28)."""
    return decode(model, plane_grid(x_range, y_range, n))


def ae_plane_ranges(stats: dict[str, Any]) -> tuple[Range, Range]:
    """Each axis's range of an AE's 2-D codes (their 0.5-99.5% quantiles), or +-3 where unknown."""
    ranges = _per_dim(stats, "code_range", 2) or [None, None]
    out = []
    for r in ranges:
        try:
            lo, hi = float(r[0]), float(r[1])  # type: ignore[index]
        except (TypeError, ValueError, IndexError):
            lo, hi = -PRIOR_RANGE, PRIOR_RANGE
        ok = hi > lo and math.isfinite(lo) and math.isfinite(hi)
        out.append((lo, hi) if ok else (-PRIOR_RANGE, PRIOR_RANGE))
    return out[0], out[1]
