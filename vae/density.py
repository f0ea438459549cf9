"""Densities fitted to a trained model's codes after training, to sample from any AE or VAE.

"Ex-post density estimation" (Ghosh et al. 2019, "From variational to deterministic autoencoders"): encode
the training images, fit a Gaussian mixture to the codes and sample codes from it instead of from N(0, I).
An autoencoder's codes lie wherever training put them, so N(0, I) mostly misses them; a fitted mixture puts
its mass where the decoder has learned to draw. One Gaussian per class gives conditional samples ("draw me
a 7") with no retraining. Sampling draws everything with torch from the caller's generator, so a seed
repeats the codes exactly; scikit-learn only fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vae.latent import embed_batched

BIC_COMPONENTS = (2, 5, 10, 15, 20)  # the candidates components="bic" tries
REG_COVAR = 1e-4  # added to every covariance's diagonal (times the codes' mean variance): keeps it invertible
MIN_REG = 1e-8  # the floor of that term: codes that all coincide (a collapsed, barely trained model) have no variance
# The unconditional mixture is fitted on a seeded subset of at most this many codes (~7 per parameter of a
# 10-component full-covariance mixture in 16-D), so a page's first visit waits seconds, not minutes.
MAX_MIXTURE_CODES = 10_000


def _check_temperature(temperature: float) -> float:
    temperature = float(temperature)
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number (1 = as fitted), got {temperature}")
    return temperature


@dataclass(frozen=True)
class Mixture:
    """A mixture of full-covariance Gaussians in latent space, held as torch tensors."""

    weights: torch.Tensor  # (K,), sums to 1
    means: torch.Tensor  # (K, D)
    cholesky: torch.Tensor  # (K, D, D) lower-triangular factors of the covariances

    @classmethod
    def fit(cls, codes: np.ndarray, components: int, seed: int = 0) -> Mixture:
        """``components`` full-covariance Gaussians fitted to codes (N, D): scikit-learn's EM, or for a single
        Gaussian simply the mean and the (regularised) covariance."""
        reg = max(REG_COVAR * float(codes.var(axis=0).mean()), MIN_REG)
        if components == 1:
            covariance = np.atleast_2d(np.cov(codes, rowvar=False)) + reg * np.eye(codes.shape[1])  # (D, D)
            return cls(
                weights=torch.ones(1),
                means=torch.as_tensor(codes.mean(0, keepdims=True), dtype=torch.float32),
                cholesky=torch.linalg.cholesky(torch.as_tensor(covariance)).unsqueeze(0).to(torch.float32),
            )
        return cls.from_sklearn(_sklearn_fit(codes, components, seed))

    @classmethod
    def from_sklearn(cls, fitted: object) -> Mixture:
        covariances = torch.as_tensor(fitted.covariances_, dtype=torch.float64)  # (K, D, D)
        return cls(
            weights=torch.as_tensor(fitted.weights_, dtype=torch.float32),
            means=torch.as_tensor(fitted.means_, dtype=torch.float32),
            cholesky=torch.linalg.cholesky(covariances).to(torch.float32),
        )

    @property
    def components(self) -> int:
        return len(self.weights)

    def sample(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """n codes (n, D): a component per code by its weight, then mean + temperature * L @ eps."""
        temperature = _check_temperature(temperature)
        index = torch.multinomial(self.weights, n, replacement=True, generator=generator)  # (n,)
        eps = torch.randn(n, self.means.shape[1], generator=generator)  # (n, D)
        noise = (self.cholesky[index] @ eps.unsqueeze(-1)).squeeze(-1)  # (n, D)
        return self.means[index] + temperature * noise

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """Log density of codes (n, D) -> (n,)."""
        from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

        mixture = MixtureSameFamily(
            Categorical(probs=self.weights), MultivariateNormal(self.means, scale_tril=self.cholesky)
        )
        return mixture.log_prob(z.to(torch.float32))


@dataclass(frozen=True)
class LatentDensity:
    """What ``fit_latent_density`` returns: an unconditional mixture and, given labels, one density per class."""

    mixture: Mixture
    classes: dict[int, Mixture]  # empty when fitted without labels
    bic: dict[int, float]  # components -> BIC, when the size was chosen by BIC (else empty)

    @property
    def latent_dim(self) -> int:
        return int(self.mixture.means.shape[1])

    def _pick(self, digit: int | None) -> Mixture:
        if digit is None:
            return self.mixture
        if not self.classes:
            raise ValueError("digit= needs a density fitted with labels: call fit_latent_density(..., labels=y)")
        if int(digit) not in self.classes:
            raise ValueError(f"no training codes of class {digit}; the fitted classes are {sorted(self.classes)}")
        return self.classes[int(digit)]

    def sample(
        self, n: int, generator: torch.Generator | None = None, digit: int | None = None, temperature: float = 1.0
    ) -> torch.Tensor:
        """n codes (n, latent_dim) for ``model.decode``; ``digit`` picks that class's Gaussian(s)."""
        return self._pick(digit).sample(n, generator, temperature)

    def log_prob(self, z: torch.Tensor, digit: int | None = None) -> torch.Tensor:
        """Log density of codes (n, latent_dim) -> (n,) under the mixture (or a class's density)."""
        return self._pick(digit).log_prob(z)


def _sklearn_fit(codes: np.ndarray, components: int, seed: int) -> object:
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    reg = max(REG_COVAR * float(codes.var(axis=0).mean()), MIN_REG)
    # One BLAS thread: the matrices are D x D, too small to share out. On the busy two-core machine, EM on
    # 10k 16-D codes took 1.2 s of CPU with one thread and 22 s (88 s wall) with the default two.
    with threadpool_limits(1):
        return GaussianMixture(components, covariance_type="full", reg_covar=reg, random_state=seed).fit(codes)


def _choose_by_bic(codes: np.ndarray, candidates: Sequence[int], seed: int) -> tuple[Mixture, dict[int, float]]:
    fits = {k: _sklearn_fit(codes, k, seed) for k in candidates}
    bic = {k: float(fit.bic(codes)) for k, fit in fits.items()}
    return Mixture.from_sklearn(fits[min(bic, key=bic.get)]), bic


def fit_latent_density(
    model: torch.nn.Module,
    x: torch.Tensor,
    labels: torch.Tensor | None = None,
    components: int | str = 10,
    class_components: int = 1,
    seed: int = 0,
) -> LatentDensity:
    """Fit densities to the model's codes of images x (N, 1, 28, 28) in [0, 1].

    The codes are ``model.embed`` (the AE's code, the VAE's posterior mean). ``components`` is the mixture's
    size, or "bic" to pick it from BIC_COMPONENTS by the Bayesian information criterion; the mixture sees a
    seeded subset of at most MAX_MIXTURE_CODES codes. With labels (N,), each class also gets
    ``class_components`` Gaussians (1: the mean and regularised covariance of all its codes).
    """
    if components != "bic" and not (isinstance(components, int) and components >= 1):
        raise ValueError(f'components must be a positive whole number or "bic", got {components!r}')
    if labels is not None and len(labels) != len(x):
        raise ValueError(f"got {len(labels)} labels for {len(x)} images")
    codes = embed_batched(model.eval(), x).cpu().numpy().astype(np.float64)  # (N, D)
    if len(codes) < 2:
        raise ValueError(f"a density needs at least 2 images, got {len(codes)}")
    subset = codes
    if len(codes) > MAX_MIXTURE_CODES:
        subset = codes[np.random.default_rng(seed).permutation(len(codes))[:MAX_MIXTURE_CODES]]
    if components == "bic":
        mixture, bic = _choose_by_bic(subset, BIC_COMPONENTS, seed)
    else:
        mixture, bic = Mixture.fit(subset, int(components), seed), {}
    classes: dict[int, Mixture] = {}
    if labels is not None:
        y = torch.as_tensor(labels).cpu().numpy()
        for digit in np.unique(y):
            members = codes[y == digit]  # (N_c, D)
            if len(members) >= 2 * class_components:
                classes[int(digit)] = Mixture.fit(members, class_components, seed)
    return LatentDensity(mixture, classes, bic)


@torch.inference_mode()
def attribute_vector(model: torch.nn.Module, x_from: torch.Tensor, x_to: torch.Tensor) -> torch.Tensor:
    """Mean code of x_to minus mean code of x_from, (latent_dim,): add it to a code to move it from one
    group's look towards the other's (e.g. from 3s to 8s, or from thin strokes to bold ones)."""
    if len(x_from) == 0 or len(x_to) == 0:
        raise ValueError("an attribute vector needs at least one image in each group")
    return embed_batched(model, x_to).mean(0) - embed_batched(model, x_from).mean(0)
