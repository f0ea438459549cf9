"""What ``encode`` returns: a posterior over codes, q(z|x), as an object rather than a pair of tensors.

:class:`DiagonalGaussian` is the VAE's q(z|x) = N(mean, diag exp(logvar)); it holds the reparameterisation
every model uses (:meth:`DiagonalGaussian.sample`; the hand-written training step in vae/fast/mlp_step.py
writes out a copy for its backward pass, checked against this one by tests/test_mlp_step.py), the Gaussian
log-density and the closed-form KL to the prior N(0, I). :class:`PointMass` is the plain autoencoder's
degenerate case: all mass on one code, so ``mode()`` and ``sample()`` both return that code and the KL term is
zero. Every method works per item of a batch; ``B`` below is the batch and ``D`` the latent size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from vae.losses import kl_per_dimension

_LOG_2PI = math.log(2 * math.pi)


class DiagonalGaussian:
    """N(mean, diag exp(logvar)) per item; ``mean`` and ``logvar`` are (..., B, D)."""

    def __init__(self, mean: torch.Tensor, logvar: torch.Tensor) -> None:
        if mean.shape != logvar.shape:
            raise ValueError(f"mean {tuple(mean.shape)} and logvar {tuple(logvar.shape)} must have the same shape")
        self.mean = mean
        self.logvar = logvar

    @property
    def std(self) -> torch.Tensor:
        """sigma = exp(logvar / 2), (..., B, D)."""
        return torch.exp(0.5 * self.logvar)

    @property
    def var(self) -> torch.Tensor:
        return self.logvar.exp()

    def mode(self) -> torch.Tensor:
        """The most likely code, which for a Gaussian is its mean: (..., B, D)."""
        return self.mean

    def sample(self, generator: torch.Generator | None = None, sample_shape: Sequence[int] = ()) -> torch.Tensor:
        """z = mean + std * eps with eps ~ N(0, I) (the reparameterisation trick: gradients reach mean and
        logvar). Returns (*sample_shape, ..., B, D); a seeded ``generator`` makes the draw repeatable."""
        shape = (*sample_shape, *self.mean.shape)
        eps = torch.randn(shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype)
        return self.mean + self.std * eps

    def kl(self, per_dimension: bool = False) -> torch.Tensor:
        """KL(q || N(0, I)) in nats, closed form (see vae.losses): (..., B), or (..., B, D) per dimension."""
        per_dim = kl_per_dimension(self.mean, self.logvar)
        return per_dim if per_dimension else per_dim.sum(dim=-1)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z) summed over the code's dimensions: z (..., B, D) broadcast against the posterior -> (..., B)."""
        return -0.5 * (_LOG_2PI + self.logvar + (z - self.mean).pow(2) / self.logvar.exp()).sum(-1)

    def expand(self, n: int) -> DiagonalGaussian:
        """A batch of n copies of a single-item posterior (1, D) -> (n, D), e.g. to draw n codes for one image."""
        return DiagonalGaussian(self.mean.expand(n, -1), self.logvar.expand(n, -1))

    @staticmethod
    def cat(parts: Sequence[DiagonalGaussian]) -> DiagonalGaussian:
        """Posteriors of consecutive batches joined along the batch dimension."""
        return DiagonalGaussian(torch.cat([p.mean for p in parts]), torch.cat([p.logvar for p in parts]))

    def __repr__(self) -> str:
        return f"DiagonalGaussian(shape={tuple(self.mean.shape)})"


def prior_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last dimension: (..., D) -> (...)."""
    zeros = torch.zeros_like(z)
    return DiagonalGaussian(zeros, zeros).log_prob(z)


class PointMass:
    """The plain autoencoder's 'posterior': all probability on one code per item, ``code`` (B, D).

    ``mode()`` and ``sample()`` return the code, ``std`` and ``kl()`` are zero. It has no density, so
    :meth:`log_prob` raises ``ValueError``.
    """

    def __init__(self, code: torch.Tensor) -> None:
        self.mean = code

    @property
    def std(self) -> torch.Tensor:
        return torch.zeros_like(self.mean)

    def mode(self) -> torch.Tensor:
        return self.mean

    def sample(self, generator: torch.Generator | None = None, sample_shape: Sequence[int] = ()) -> torch.Tensor:
        """The code itself (``generator`` is accepted and unused), repeated to (*sample_shape, B, D)."""
        return self.mean.expand(*sample_shape, *self.mean.shape)

    def kl(self, per_dimension: bool = False) -> torch.Tensor:
        """Zero: the autoencoder's objective has no KL term. (B,), or (B, D) per dimension."""
        return torch.zeros_like(self.mean if per_dimension else self.mean[..., 0])

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        raise ValueError(
            "a plain autoencoder's code is a single point, not a distribution: it has no log-density "
            "(use a VAE for likelihoods)"
        )

    def expand(self, n: int) -> PointMass:
        return PointMass(self.mean.expand(n, -1))

    @staticmethod
    def cat(parts: Sequence[PointMass]) -> PointMass:
        return PointMass(torch.cat([p.mean for p in parts]))

    def __repr__(self) -> str:
        return f"PointMass(shape={tuple(self.mean.shape)})"


Posterior = DiagonalGaussian | PointMass
