"""The true posterior p(z|x) and log p(x) of a VAE, summed on a grid of codes in two latent dimensions.

Bayes' rule, p(z|x) = p(x|z) p(z) / p(x), needs p(x) = integral of p(x|z) p(z) dz, which no VAE can compute in
general; in two dimensions a grid of codes can. The sum here is the rectangle rule on evenly spaced nodes: for an
integrand that decays like a Gaussian inside the box it converges faster than any power of the spacing (the
trapezoid rule's spectral accuracy; the border nodes hold negligible mass, so their half weights are dropped), and
the same sum over every other node measures its error. With more than two latent dimensions the grid lies on a
2-D plane through the latent space (:class:`Plane`), and the posterior is shown on that slice.

For a Bernoulli decoder log p(x|z) = sum_i x_i l_i(z) - softplus(l_i(z)), linear in x: the decoder's logits on
the grid do not depend on x, so once they are computed (:func:`decode_grid`) a new image costs one matrix-vector
product (:meth:`GridDecoder.log_joint`). Every function works on one image x, shaped (784,) or (1, 28, 28).
``M`` below is the number of grid nodes, n * n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from vae.models import PIXELS
from vae.posterior import DiagonalGaussian, prior_log_prob

BORDER_MASS = 1e-6  # a covering grid's outermost ring of nodes holds less than this share of the posterior
NEAR_MODE_NATS = 20.0  # nodes of the prior's view this close to its best log p(x, z) must lie in the close view
MAX_RESOLUTION_ERROR = 0.01  # nats; a covering grid is refined until its two resolutions agree this well


@dataclass(frozen=True)
class LatentGrid:
    """n x n evenly spaced nodes over the box centre +- half_width (borders included), in two coordinates.

    Nodes run row by row from the top (the largest second coordinate) down, and left to right within a row, as
    vae.latent.latent_grid: ``values.view(n, n)`` is an image with the first coordinate growing to the right and
    the second growing upward. ``n`` is odd, so every other node forms the half-resolution grid.
    """

    centre: tuple[float, float]
    half_width: tuple[float, float]
    n: int

    def __post_init__(self) -> None:
        if self.n < 3 or self.n % 2 == 0:
            raise ValueError(f"a grid needs an odd number of nodes per axis, at least 3; got {self.n}")
        if not all(h > 0 for h in self.half_width):
            raise ValueError(f"half-widths must be positive, got {self.half_width}")

    @classmethod
    def spanning(cls, lo: Sequence[float], hi: Sequence[float], n: int) -> LatentGrid:
        """The grid whose corner nodes are ``lo`` and ``hi`` (two coordinates each)."""
        centre = tuple(float(a + b) / 2 for a, b in zip(lo, hi, strict=True))
        half_width = tuple(float(b - a) / 2 for a, b in zip(lo, hi, strict=True))
        return cls(centre, half_width, n)  # type: ignore[arg-type]

    @property
    def spacing(self) -> tuple[float, float]:
        return tuple(2 * h / (self.n - 1) for h in self.half_width)  # type: ignore[return-value]

    @property
    def cell_area(self) -> float:
        """The area each node stands for: the product of the two spacings."""
        return self.spacing[0] * self.spacing[1]

    def axes(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The columns' first coordinates (n,) increasing, and the rows' second coordinates (n,) decreasing."""
        (c0, c1), (h0, h1) = self.centre, self.half_width
        return torch.linspace(c0 - h0, c0 + h0, self.n), torch.linspace(c1 + h1, c1 - h1, self.n)

    def points(self) -> torch.Tensor:
        """The nodes' coordinates, (M, 2)."""
        xs, ys = self.axes()
        rows, columns = torch.meshgrid(ys, xs, indexing="ij")
        return torch.stack([columns.flatten(), rows.flatten()], dim=1)

    def coarse_index(self) -> torch.Tensor:
        """Indices of every other node in both directions: the half-resolution grid, ((n + 1) / 2)^2 nodes."""
        keep = torch.arange(0, self.n, 2)
        return (keep[:, None] * self.n + keep[None, :]).flatten()

    def border_index(self) -> torch.Tensor:
        """Indices of the outermost ring of nodes, 4 (n - 1)."""
        ring = torch.zeros(self.n, self.n, dtype=torch.bool)
        ring[[0, -1], :] = True
        ring[:, [0, -1]] = True
        return ring.flatten().nonzero().squeeze(1)


def prior_view(n: int = 129, half_width: float = 4.5) -> LatentGrid:
    """The whole prior's view of a 2-D latent space: +-4.5 holds all but 7e-6 of N(0, 1) on each axis, and the
    shipped z = 2 VAE's test codes."""
    return LatentGrid((0.0, 0.0), (half_width, half_width), n)


@dataclass(frozen=True)
class Plane:
    """A 2-D plane in a D-dimensional latent space: z = origin + s * directions[0] + t * directions[1]."""

    origin: torch.Tensor  # (D,)
    directions: torch.Tensor  # (2, D), orthonormal rows

    @classmethod
    def through(cls, origin: torch.Tensor, directions: torch.Tensor) -> Plane:
        """The plane through ``origin`` (D,) spanned by ``directions`` (2, D), made orthonormal (Gram-Schmidt,
        so the first direction keeps its own line, e.g. the first principal component)."""
        q, r = torch.linalg.qr(directions.double().T)  # (D, 2)
        if r.diagonal().abs().min() < 1e-8:
            raise ValueError("the two directions of a plane must not be parallel")
        q = q * r.diagonal().sign()  # QR may flip a direction; keep the caller's orientation
        return cls(origin.detach().float().reshape(-1), q.T.float())

    @classmethod
    def identity(cls) -> Plane:
        """The latent space itself, when it has two dimensions."""
        return cls(torch.zeros(2), torch.eye(2))

    def to_latent(self, coordinates: torch.Tensor) -> torch.Tensor:
        """Plane coordinates (M, 2) -> codes (M, D)."""
        return self.origin + coordinates @ self.directions


@dataclass
class GridDecoder:
    """What the decoder says at every grid node, independent of x: log p(x|z_j) = x . weights_j + bias_j +
    pixel_term(x). Bernoulli: weights are the logits (M, 784) and bias_j = -sum_i softplus(l_ji), pixel_term 0.
    Gaussian with fixed std s: weights = mean / s^2, bias = -sum mean^2 / (2 s^2) - 784 log(s sqrt(2 pi)),
    pixel_term(x) = -sum x^2 / (2 s^2). A browser mirrors :meth:`log_joint` from these float32 tensors."""

    grid: LatentGrid
    plane: Plane
    weights: torch.Tensor  # (M, 784) float32
    bias: torch.Tensor  # (M,) float32
    log_prior: torch.Tensor  # (M,) float32, log N(z_j; 0, I) in the full latent space
    pixel_scale: float  # 0 (Bernoulli) or 1 / s^2 (Gaussian): pixel_term(x) = -pixel_scale * sum x^2 / 2

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z_j) at every node, (M,) float64 (float32 products, summed in float64 by the quadrature)."""
        x = _flat_image(x)
        pixel_term = -0.5 * self.pixel_scale * float(x.double().pow(2).sum())
        return (self.weights @ x + self.bias).double() + pixel_term

    def log_joint(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z_j) + log p(z_j) at every node, (M,) float64: the unnormalised log posterior."""
        return self.log_likelihood(x) + self.log_prior.double()


def _flat_image(x: torch.Tensor) -> torch.Tensor:
    if x.numel() != PIXELS:
        raise ValueError(f"one 28x28 image expected, got a tensor of shape {tuple(x.shape)}")
    return x.reshape(PIXELS).float()


@torch.inference_mode()
def decode_grid(model: torch.nn.Module, grid: LatentGrid, plane: Plane | None = None, batch: int = 4096) -> GridDecoder:
    """The decoder's part of log p(x|z) on every node of ``grid`` (laid in ``plane``; the latent space itself
    when it has two dimensions): the x-independent work, done once per model and grid and cached by the caller."""
    config = model.config
    if plane is None:
        if config.latent_dim != 2:
            raise ValueError(f"a {config.latent_dim}-dimensional latent space needs a plane to lay the grid in")
        plane = Plane.identity()
    codes = plane.to_latent(grid.points())  # (M, D)
    logits = torch.cat([model.decode_logits(chunk).flatten(1) for chunk in codes.split(batch)]).float()  # (M, 784)
    if config.likelihood == "bernoulli":
        weights, bias, pixel_scale = logits, -F.softplus(logits).sum(1), 0.0
    elif config.likelihood == "gaussian":
        s2, mean = config.gaussian_std**2, torch.sigmoid(logits)
        weights = mean / s2
        bias = -0.5 * mean.pow(2).sum(1) / s2 - PIXELS * (math.log(config.gaussian_std) + 0.5 * math.log(2 * math.pi))
        pixel_scale = 1 / s2
    else:
        raise ValueError(f"no grid form for the likelihood {config.likelihood!r}")
    return GridDecoder(grid, plane, weights, bias, prior_log_prob(codes).float(), pixel_scale)


@dataclass
class Quadrature:
    """log p(x) summed on a grid, with its error, and the posterior on the grid's nodes."""

    log_px: float  # log sum_j p(x, z_j) * cell area
    error_bound: float  # resolution_error + border_mass (log(1 + m) < m): an estimate, not a proof
    resolution_error: float  # |log_px - the same sum over every other node|; the finer sum is the better one
    border_mass: float  # share of the posterior on the outermost ring: what the box may have cut off
    log_density: torch.Tensor  # (M,) float64, log p(z_j|x) as a density: log p(x, z_j) - log_px
    probabilities: torch.Tensor  # (M,) float64, p(z_j|x) * cell area: the posterior's mass per node, sums to 1


def log_marginal(log_joint: torch.Tensor, grid: LatentGrid) -> Quadrature:
    """log p(x) = log sum_j exp(log p(x, z_j)) + log(cell area), from the grid's log joint (M,)."""
    log_joint = log_joint.double()
    log_px = float(torch.logsumexp(log_joint, 0)) + math.log(grid.cell_area)
    coarse = float(torch.logsumexp(log_joint[grid.coarse_index()], 0)) + math.log(4 * grid.cell_area)
    probabilities = posterior_on_grid(log_joint)
    border = float(probabilities[grid.border_index()].sum())
    resolution = abs(log_px - coarse)
    return Quadrature(log_px, resolution + border, resolution, border, log_joint - log_px, probabilities)


def posterior_on_grid(log_joint: torch.Tensor) -> torch.Tensor:
    """p(z_j|x) * cell area from log p(x, z_j) (M,): Bayes' rule with p(x) the grid's sum; sums to 1, (M,)."""
    return torch.softmax(log_joint.double(), 0)


def gaussian_on_grid(
    mu: torch.Tensor, logvar: torch.Tensor, grid: LatentGrid, plane: Plane | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A diagonal Gaussian q = N(mu, exp(logvar)) at the nodes: its log density (M,) and its mass per node (M,).

    The masses are the densities times the cell area, renormalised to sum to 1 over the grid: on a grid that
    holds q's mass, the renormalisation changes them only by the quadrature's error, and it makes them a proper
    distribution over the nodes, so an expectation under q of a constant is that constant exactly (the KL below
    is then a true KL between two distributions on the nodes, up to the same error). Differentiable in mu and
    logvar, shaped (D,) or (1, D).
    """
    plane = plane or Plane.identity()
    codes = plane.to_latent(grid.points()).to(mu.dtype)  # (M, D)
    log_density = DiagonalGaussian(mu.reshape(1, -1), logvar.reshape(1, -1)).log_prob(codes)  # (M,)
    return log_density, torch.softmax(log_density, 0)


def kl_to_posterior_on_grid(
    mu: torch.Tensor, logvar: torch.Tensor, grid: LatentGrid, log_density: torch.Tensor, plane: Plane | None = None
) -> float:
    """KL(q || p(z|x)) = sum_j q_j (log q(z_j) - log p(z_j|x)), summed on the grid: q's masses q_j from
    :func:`gaussian_on_grid` and the posterior's log density (M,) from :func:`log_marginal`."""
    log_q, mass = gaussian_on_grid(mu.double(), logvar.double(), grid, plane)
    return float((mass * (log_q - log_density.double())).sum())


def elbo_on_grid(
    mu: torch.Tensor, logvar: torch.Tensor, grid: LatentGrid, log_likelihood: torch.Tensor
) -> torch.Tensor:
    """ELBO(q) = E_q[log p(x|z)] - KL(q || N(0, I)) for q = N(mu, exp(logvar)) in a 2-D latent space: the
    expectation summed on the grid from log p(x|z_j) (M,), the KL in closed form. A 0-d tensor, differentiable in
    mu and logvar (so q can be optimised on it), deterministic."""
    _, mass = gaussian_on_grid(mu, logvar, grid)
    expected = (mass * log_likelihood.to(mass.dtype)).sum()
    return expected - DiagonalGaussian(mu.reshape(1, -1), logvar.reshape(1, -1)).kl()[0]


def slice_of_gaussian(mu: torch.Tensor, logvar: torch.Tensor, plane: Plane) -> tuple[torch.Tensor, torch.Tensor]:
    """Where N(mu, diag exp(logvar)) restricted to ``plane`` is centred (2,) and its standard deviation along each
    plane coordinate (2,): the slice of a Gaussian is a Gaussian with precision A diag(1 / var) A^T, A the plane's
    directions (for the latent plane of a 2-D model: mu and exp(logvar / 2) themselves)."""
    a, inverse_var = plane.directions.double(), torch.exp(-logvar.double().reshape(-1))  # (2, D), (D,)
    covariance = torch.linalg.inv((a * inverse_var) @ a.T)  # (2, 2)
    centre = covariance @ (a * inverse_var) @ (mu.double().reshape(-1) - plane.origin.double())
    return centre.float(), covariance.diagonal().sqrt().float()


@torch.inference_mode()
def covering_grid(
    model: torch.nn.Module,
    x: torch.Tensor,
    posterior: DiagonalGaussian,
    *,
    plane: Plane | None = None,
    prior: GridDecoder | None = None,
    n: int = 97,
    max_n: int = 257,
    max_widenings: int = 6,
) -> tuple[GridDecoder, Quadrature]:
    """The close view: a grid around q(z|x) that holds the true posterior's mass, decoded, with its quadrature.

    The rule, in order: (1) the box q's mean +- 6 sigma on each axis (of q's slice when the grid lies in a
    plane), which holds all of q but 4e-9 of it; (2) stretched over every node of the prior's view ``prior``
    (if given: a decoded grid on the same plane) whose log p(x, z) is within 20 nats of that view's best, plus
    one of its spacings, so a second mode far from q is inside; (3) widened 1.5 times about its centre until its
    border ring holds less than 1e-6 of the posterior; (4) its resolution doubled (up to ``max_n`` nodes per
    axis) until the full and the half-resolution sums agree within 0.01 nats. The quadrature reports what is left.
    """
    plane = plane or (prior.plane if prior is not None else None) or Plane.identity()
    centre, std = slice_of_gaussian(posterior.mean, posterior.logvar, plane)
    lo, hi = centre - 6 * std, centre + 6 * std
    if prior is not None:
        log_joint = prior.log_joint(x)
        near = prior.grid.points()[log_joint >= log_joint.max() - NEAR_MODE_NATS]  # (K, 2)
        pad = torch.tensor(prior.grid.spacing)
        lo, hi = torch.minimum(lo, near.min(0).values - pad), torch.maximum(hi, near.max(0).values + pad)
    grid = LatentGrid.spanning(lo.tolist(), hi.tolist(), n)
    decoder = decode_grid(model, grid, plane)
    quadrature = log_marginal(decoder.log_joint(x), grid)
    for _ in range(max_widenings):
        if quadrature.border_mass < BORDER_MASS:
            break
        grid = LatentGrid(grid.centre, tuple(1.5 * h for h in grid.half_width), grid.n)  # type: ignore[arg-type]
        decoder = decode_grid(model, grid, plane)
        quadrature = log_marginal(decoder.log_joint(x), grid)
    while quadrature.resolution_error > MAX_RESOLUTION_ERROR and 2 * grid.n - 1 <= max_n:
        grid = LatentGrid(grid.centre, grid.half_width, 2 * grid.n - 1)  # the old nodes stay nodes
        decoder = decode_grid(model, grid, plane)
        quadrature = log_marginal(decoder.log_joint(x), grid)
    return decoder, quadrature


@dataclass
class PosteriorSlice:
    """The true posterior and q(z|x) on a 2-D slice of the latent space, each normalised over the slice."""

    decoder: GridDecoder  # its grid (plane coordinates) and plane
    quadrature: Quadrature  # log_px here is log of the integral over the slice only, not log p(x)
    posterior: torch.Tensor  # (M,) the posterior's mass per node, normalised over the slice (sums to 1)
    q: torch.Tensor  # (M,) q's mass per node, normalised over the slice (sums to 1)


@torch.inference_mode()
def posterior_slice(
    model: torch.nn.Module, x: torch.Tensor, directions: torch.Tensor, *, n: int = 97, max_n: int = 257
) -> PosteriorSlice:
    """p(z|x) and q(z|x) on the plane through q's mean spanned by ``directions`` (2, D), e.g. the latent map's
    two principal components; plane coordinates are distances from q's mean along them. The grid follows the
    covering rule of :func:`covering_grid` on the slice."""
    posterior = model.encode(x.reshape(1, 1, 28, 28).to(next(model.parameters()).dtype))
    plane = Plane.through(posterior.mean[0], directions)
    decoder, quadrature = covering_grid(model, x, posterior, plane=plane, n=n, max_n=max_n)
    _, q = gaussian_on_grid(posterior.mean[0].double(), posterior.logvar[0].double(), decoder.grid, plane)
    return PosteriorSlice(decoder, quadrature, quadrature.probabilities, q)
