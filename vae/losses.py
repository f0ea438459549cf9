"""Loss terms in nats per image: reconstruction negative log-likelihood, closed-form KL, negative ELBO.

The VAE objective is the negative evidence lower bound (Kingma & Welling 2014, eq. 10):
    -ELBO(x) = E_q(z|x)[-log p(x|z)] + KL(q(z|x) || N(0, I)),
with the KL between a diagonal Gaussian and the standard normal in closed form (their appendix B):
    KL = -1/2 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j)).
A tighter objective averages k importance weights inside the log (:func:`importance_weighted_terms`, Burda et
al. 2016); at k = 1 it is the ELBO again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from vae.config import ModelConfig


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) for each latent dimension: (B, D) -> (B, D)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per image: (B, D) -> (B,)."""
    return kl_per_dimension(mu, logvar).sum(dim=1)


def reconstruction_nll(logits: torch.Tensor, x: torch.Tensor, config: ModelConfig) -> torch.Tensor:
    """-log p(x|z) per image in nats: (B, 1, 28, 28) logits and targets -> (B,).

    Bernoulli: binary cross-entropy summed over pixels (on grey levels this is the usual continuous
    relaxation). Gaussian: the full negative log density with the config's fixed std, so ELBOs of the two
    likelihoods are both proper bounds (their values are not comparable with each other).
    """
    if config.likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    std = config.gaussian_std
    squared = (torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1)
    pixels = x[0].numel()
    return 0.5 * squared / std**2 + pixels * (math.log(std) + 0.5 * math.log(2 * math.pi))


def autoencoder_loss(logits: torch.Tensor, x: torch.Tensor, config: ModelConfig) -> torch.Tensor:
    """Per-image training loss of the plain autoencoder: summed squared error (L2), or BCE if asked."""
    if config.likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    return (torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1)


@dataclass
class LossTerms:
    """Batch means (nats per image) of the objective and its parts; ``loss`` is what gets minimised."""

    loss: torch.Tensor  # reconstruction + beta * kl, averaged over the batch
    reconstruction: torch.Tensor
    kl: torch.Tensor  # zero for the autoencoder
    elbo_loss: torch.Tensor  # reconstruction + kl: the negative ELBO at beta = 1 (the AE: its loss)
    kl_per_dimension: torch.Tensor | None = None  # (D,) batch mean of each latent dimension's KL; VAE only


def negative_elbo(
    logits: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    config: ModelConfig,
    beta: float = 1.0,
) -> LossTerms:
    """The beta-weighted negative ELBO of a VAE batch, from its forward pass (logits, mu, logvar)."""
    reconstruction = reconstruction_nll(logits, x, config).mean()
    per_dimension = kl_per_dimension(mu, logvar)  # (B, D)
    kl = per_dimension.sum(dim=1).mean()  # as kl_divergence(mu, logvar).mean(), without computing it twice
    return LossTerms(reconstruction + beta * kl, reconstruction, kl, reconstruction + kl, per_dimension.mean(0))


def importance_weighted_terms(model: torch.nn.Module, x: torch.Tensor, k: int, beta: float = 1.0) -> LossTerms:
    """The k-sample importance-weighted bound of a VAE batch as a loss (Burda, Grosse & Salakhutdinov 2016, eq. 8):

        L_k = E log (1/k) sum_i w_i,   log w_i = a_i = log p(x|z_i) + beta * (log p(z_i) - log q(z_i|x)),

    with z_1 .. z_k drawn from q(z|x) for each image. At beta = 1 it is a lower bound on log p(x) that tightens
    as k grows, and L_1 is the ELBO. Written as the ELBO plus what averaging the weights inside the log adds:

        log (1/k) sum_i w_i = mean_i a_i + gain,   gain = log-mean-exp_i a_i - mean_i a_i >= 0 (Jensen),

    where mean_i a_i is the ELBO with its KL sampled at the k codes. The loss swaps that sampled KL for the
    closed form, whose expected value it is (a zero-mean correction: L_k and its gradient are unchanged in
    expectation), so at k = 1, where the gain is exactly 0, this is :func:`negative_elbo`, number for number
    given the same noise. ``reconstruction`` is the mean over the k codes, ``kl`` the closed form.
    """
    from vae.posterior import prior_log_prob  # vae.posterior imports this module

    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    b = len(x)
    posterior = model.encode(x)  # (B, D)
    z = posterior.sample(sample_shape=(k,))  # (k, B, D): the reparameterisation, one code per sample
    logits = model.decode_logits(z.reshape(k * b, -1))  # (k*B, 1, 28, 28)
    targets = x.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
    log_px_z = -reconstruction_nll(logits, targets, model.config).view(k, b)  # (k, B)
    a = log_px_z + beta * (prior_log_prob(z) - posterior.log_prob(z))  # (k, B) log-weights
    gain = torch.logsumexp(a, 0) - math.log(k) - a.mean(0)  # (B,), exactly 0 at k = 1
    reconstruction = -log_px_z.mean()
    per_dimension = kl_per_dimension(posterior.mean, posterior.logvar)  # (B, D)
    kl = per_dimension.sum(dim=1).mean()
    loss = reconstruction + beta * kl - gain.mean()
    return LossTerms(loss, reconstruction, kl, reconstruction + kl, per_dimension.mean(0))


LossFunction = Callable[[tuple[torch.Tensor, ...], torch.Tensor, torch.Tensor | None, ModelConfig, float], LossTerms]


def vae_terms(
    outputs: tuple[torch.Tensor, ...], x: torch.Tensor, labels: torch.Tensor | None, config: ModelConfig, beta: float
) -> LossTerms:
    """The VAE's loss from its forward pass (logits, mu, logvar): the beta-weighted negative ELBO."""
    logits, mu, logvar = outputs
    return negative_elbo(logits, x, mu, logvar, config, beta)


def autoencoder_terms(
    outputs: tuple[torch.Tensor, ...], x: torch.Tensor, labels: torch.Tensor | None, config: ModelConfig, beta: float
) -> LossTerms:
    """The plain autoencoder's loss from its forward pass (logits, code): reconstruction only, no KL."""
    reconstruction = autoencoder_loss(outputs[0], x, config).mean()
    zero = torch.zeros((), device=x.device)
    return LossTerms(reconstruction, reconstruction, zero, reconstruction)


def classifier_terms(
    outputs: tuple[torch.Tensor, ...], x: torch.Tensor, labels: torch.Tensor | None, config: ModelConfig, beta: float
) -> LossTerms:
    """The classifier's loss from its class logits: cross-entropy against ``labels``."""
    loss = F.cross_entropy(outputs[0], labels)
    zero = torch.zeros((), device=x.device)
    return LossTerms(loss, loss, zero, loss)


_LOSSES: dict[str, LossFunction] = {"vae": vae_terms, "ae": autoencoder_terms, "classifier": classifier_terms}


def loss_for(kind: str) -> LossFunction:
    """The loss a model of ``kind`` trains on: the one place that decides it. Training, the bf16 path
    (vae.fast.precision) and the hand-written step (vae.fast.mlp_step, which mirrors :func:`vae_terms`) ask here."""
    try:
        return _LOSSES[kind]
    except KeyError:
        raise ValueError(f"no loss for model kind {kind!r}; expected one of {sorted(_LOSSES)}") from None


def model_loss(
    model: torch.nn.Module, x: torch.Tensor, beta: float = 1.0, labels: torch.Tensor | None = None
) -> LossTerms:
    """Run ``model`` on ``x`` and return its training loss terms (the classifier also needs ``labels``)."""
    outputs = model(x)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return loss_for(model.config.kind)(outputs, x, labels, model.config, beta)
