"""Pure functions on latent codes: prior samples, interpolation, traversal, batched encode/decode, 2-D maps."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from vae.posterior import DiagonalGaussian, PointMass

INTERPOLATION_METHODS = ("linear", "slerp")
PROJECTION_METHODS = ("pca", "tsne")


def sample_prior(
    n: int,
    latent_dim: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    temperature: float = 1.0,
) -> torch.Tensor:
    """n draws from the prior N(0, I): (n, latent_dim). A seeded generator makes them repeatable.

    ``temperature`` scales the draws (N(0, T^2 I)): below 1 they stay nearer the origin, where the training
    codes are densest, trading variety for typical-looking samples. The same seed at any temperature gives
    the same directions, so tempered and untempered draws can be compared one by one.
    """
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number (1 = the prior itself), got {temperature}")
    if generator is not None and device is None:
        device = generator.device
    return torch.randn(n, latent_dim, generator=generator, device=device) * temperature


def _slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    # Spherical interpolation of the directions, linear interpolation of the lengths: a path that keeps the
    # typical norm of Gaussian codes instead of cutting through the low-density middle as a line does.
    n0, n1 = z0.norm(dim=-1, keepdim=True), z1.norm(dim=-1, keepdim=True)
    u0, u1 = z0 / n0.clamp_min(1e-12), z1 / n1.clamp_min(1e-12)
    omega = torch.arccos((u0 * u1).sum(-1, keepdim=True).clamp(-1.0, 1.0))
    sin_omega = torch.sin(omega)
    t = t.view(-1, *([1] * z0.dim()))  # (steps, 1, ..., 1)
    safe = sin_omega > 1e-6
    spherical = (torch.sin((1 - t) * omega) * u0 + torch.sin(t * omega) * u1) / torch.where(safe, sin_omega, 1.0)
    straight = (1 - t) * u0 + t * u1  # (near-)parallel directions: the great circle is not defined
    straight = straight / straight.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    direction = torch.where(safe, spherical, straight)
    path = ((1 - t) * n0 + t * n1) * direction
    degenerate = (n0 < 1e-12) | (n1 < 1e-12)  # a zero endpoint has no direction: fall back to a line
    return torch.where(degenerate, (1 - t) * z0 + t * z1, path)


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    """Codes on the path from z0 to z1, endpoints included: (..., D) twice -> (steps, ..., D).

    "linear" walks the straight line; "slerp" walks the great circle between the directions while the
    length changes linearly, so two codes of equal norm keep that norm all the way.
    """
    if z0.shape != z1.shape:
        raise ValueError(
            f"cannot interpolate between codes of different shapes {tuple(z0.shape)} and {tuple(z1.shape)}"
        )
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps (its two endpoints), got {steps}")
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"interpolation method must be one of {INTERPOLATION_METHODS}, got {method!r}")
    t = torch.linspace(0.0, 1.0, steps, dtype=z0.dtype, device=z0.device)
    if method == "linear":
        path = torch.lerp(z0.unsqueeze(0), z1.unsqueeze(0), t.view(-1, *([1] * z0.dim())))
    else:
        path = _slerp(z0, z1, t)
    path[0], path[-1] = z0, z1  # exact endpoints, free of rounding
    return path


def traverse(z: torch.Tensor, dim: int, values: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Copies of one code (D,) with dimension ``dim`` set to each of ``values``: -> (len(values), D)."""
    if z.dim() != 1:
        raise ValueError(f"traverse takes a single code of shape (D,), got {tuple(z.shape)}")
    if not 0 <= dim < z.shape[0]:
        raise ValueError(f"dimension {dim} is out of range for a {z.shape[0]}-dimensional code")
    values = torch.as_tensor(values, dtype=z.dtype, device=z.device)
    codes = z.repeat(len(values), 1)
    codes[:, dim] = values
    return codes


@torch.inference_mode()
def embed_batched(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """model.embed over many images in chunks: (N, 1, 28, 28) -> (N, latent_dim)."""
    return torch.cat([model.embed(chunk) for chunk in images.split(batch_size)])


@torch.inference_mode()
def encode_batched(
    model: torch.nn.Module, images: torch.Tensor, batch_size: int = 2000
) -> DiagonalGaussian | PointMass:
    """model.encode over many images in chunks: (N, 1, 28, 28) -> one posterior over (N, latent_dim); a VAE's
    has ``.mean`` and ``.logvar``."""
    parts = [model.encode(chunk) for chunk in images.split(batch_size)]
    return type(parts[0]).cat(parts)


@torch.inference_mode()
def decode_batched(model: torch.nn.Module, codes: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """model.decode over many codes in chunks: (N, latent_dim) -> (N, 1, 28, 28)."""
    return torch.cat([model.decode(chunk) for chunk in codes.split(batch_size)])


def project_2d(codes: np.ndarray | torch.Tensor, method: str = "pca", seed: int = 0) -> np.ndarray:
    """A 2-D view of codes (N, D) -> (N, 2): the codes themselves when D == 2, else PCA or t-SNE."""
    codes = codes.detach().cpu().numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"codes must be shaped (N, D), got {codes.shape}")
    if codes.shape[1] == 2:
        return codes.astype(np.float32)
    if codes.shape[1] < 2:
        return np.pad(codes, ((0, 0), (0, 2 - codes.shape[1]))).astype(np.float32)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(codes).astype(np.float32)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = float(min(30.0, max(2.0, (codes.shape[0] - 1) / 3)))
        tsne = TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed)
        return tsne.fit_transform(codes).astype(np.float32)
    raise ValueError(f"projection method must be one of {PROJECTION_METHODS}, got {method!r}")


def latent_grid(lo: float, hi: float, n: int) -> torch.Tensor:
    """An n x n grid of 2-D codes covering [lo, hi]^2, row by row from the top (high y) down: (n*n, 2)."""
    xs = torch.linspace(lo, hi, n)
    ys = torch.linspace(hi, lo, n)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([grid_x.flatten(), grid_y.flatten()], dim=1)
