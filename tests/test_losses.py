"""The closed-form KL against Monte Carlo, the ELBO's parts, and a loss that goes down when trained."""

from __future__ import annotations

import math

import pytest
import torch

from vae.config import ModelConfig
from vae.losses import kl_divergence, kl_per_dimension, model_loss, negative_elbo, reconstruction_nll
from vae.models import build_model


def test_kl_matches_a_monte_carlo_estimate():
    generator = torch.Generator().manual_seed(0)
    mu = torch.tensor([[0.5, -1.0, 2.0]])
    logvar = torch.tensor([[0.2, -1.5, 0.7]])
    std = (0.5 * logvar).exp()
    z = mu + std * torch.randn(400_000, 3, generator=generator)
    log_q = (-0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 / logvar.exp())).sum(1)
    log_p = (-0.5 * (math.log(2 * math.pi) + z**2)).sum(1)
    monte_carlo = float((log_q - log_p).mean())
    assert float(kl_divergence(mu, logvar)) == pytest.approx(monte_carlo, rel=0.01)


def test_kl_is_zero_at_the_prior_and_sums_its_dimensions():
    zeros = torch.zeros(2, 5)
    assert torch.allclose(kl_divergence(zeros, zeros), torch.zeros(2))
    mu, logvar = torch.randn(4, 5), torch.randn(4, 5)
    assert torch.allclose(kl_per_dimension(mu, logvar).sum(1), kl_divergence(mu, logvar))
    assert bool((kl_per_dimension(mu, logvar) >= 0).all())


def test_bernoulli_reconstruction_is_summed_bce():
    config = ModelConfig(kind="vae")
    x = torch.tensor([[[[1.0, 0.0]]]]).expand(1, 1, 1, 2)
    logits = torch.zeros(1, 1, 1, 2)  # p = 0.5 per pixel -> log 2 nats each
    assert float(reconstruction_nll(logits, x, config)) == pytest.approx(2 * math.log(2))


def test_gaussian_reconstruction_is_a_proper_density():
    config = ModelConfig(kind="vae", likelihood="gaussian", gaussian_std=0.5)
    x = torch.full((1, 1, 1, 1), 0.5)
    logits = torch.zeros(1, 1, 1, 1)  # mean 0.5: zero error, only the normaliser remains
    expected = math.log(0.5) + 0.5 * math.log(2 * math.pi)
    assert float(reconstruction_nll(logits, x, config)) == pytest.approx(expected, abs=1e-6)


def test_negative_elbo_weights_the_kl_by_beta():
    # float64 and a fixed seed: the check subtracts two ~500-nat losses to recover a few nats of KL.
    config = ModelConfig(kind="vae")
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 28, 28, generator=g, dtype=torch.float64)
    logits = torch.randn(3, 1, 28, 28, generator=g, dtype=torch.float64)
    mu, logvar = (
        torch.randn(3, 4, generator=g, dtype=torch.float64),
        torch.randn(3, 4, generator=g, dtype=torch.float64),
    )
    full = negative_elbo(logits, x, mu, logvar, config, beta=1.0)
    half = negative_elbo(logits, x, mu, logvar, config, beta=0.5)
    assert float(full.loss - half.loss) == pytest.approx(0.5 * float(full.kl), rel=1e-5)
    assert float(half.elbo_loss) == pytest.approx(float(full.loss), rel=1e-6)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_loss_decreases_over_a_few_steps(kind, mnist_small):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, latent_dim=4, hidden=(64,)))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    x = mnist_small[0][:256]
    losses = []
    for _ in range(30):
        terms = model_loss(model, x)
        optimizer.zero_grad()
        terms.loss.backward()
        optimizer.step()
        losses.append(float(terms.loss.detach()))
    assert losses[-1] < 0.7 * losses[0]
