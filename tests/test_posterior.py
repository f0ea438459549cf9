"""The posterior objects ``encode`` returns: sampling statistics, KL and log-density against independent
references (the closed form, vae.losses, torch.distributions), and the autoencoder's point mass."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae.config import ModelConfig
from vae.losses import kl_divergence as losses_kl
from vae.losses import kl_per_dimension as losses_kl_per_dimension
from vae.models import build_model
from vae.posterior import DiagonalGaussian, PointMass, prior_log_prob


def _posterior(batch: int = 6, dim: int = 3, seed: int = 0) -> DiagonalGaussian:
    generator = torch.Generator().manual_seed(seed)
    return DiagonalGaussian(torch.randn(batch, dim, generator=generator), torch.randn(batch, dim, generator=generator))


def test_samples_have_the_posterior_mean_and_variance():
    mean = torch.tensor([[2.0, -1.0, 0.0]])
    logvar = torch.log(torch.tensor([[0.25, 4.0, 1.0]]))
    z = DiagonalGaussian(mean, logvar).sample(torch.Generator().manual_seed(0), sample_shape=(40_000,))
    assert z.shape == (40_000, 1, 3)
    # 40k draws: the standard error of the mean is at most 2/200 = 0.01, of the variance about 4 * 0.007.
    assert torch.allclose(z.mean(0), mean, atol=0.04)
    assert torch.allclose(z.var(0), logvar.exp(), rtol=0.05)


def test_a_seeded_generator_repeats_the_draw_and_another_seed_does_not():
    posterior = _posterior()
    first = posterior.sample(torch.Generator().manual_seed(5))
    assert torch.equal(first, posterior.sample(torch.Generator().manual_seed(5)))
    assert not torch.equal(first, posterior.sample(torch.Generator().manual_seed(6)))
    assert torch.equal(posterior.mode(), posterior.mean)
    assert torch.allclose(posterior.std, (0.5 * posterior.logvar).exp())


def test_sampling_is_differentiable_in_mean_and_logvar():
    mean = torch.zeros(4, 2, requires_grad=True)
    logvar = torch.zeros(4, 2, requires_grad=True)
    DiagonalGaussian(mean, logvar).sample(torch.Generator().manual_seed(0)).sum().backward()
    assert torch.equal(mean.grad, torch.ones(4, 2)) and float(logvar.grad.abs().sum()) > 0


def test_kl_matches_the_closed_form_torch_distributions_and_vae_losses():
    posterior = _posterior()
    mean, logvar = posterior.mean, posterior.logvar
    closed_form = -0.5 * (1 + logvar - mean.pow(2) - logvar.exp())  # Kingma & Welling 2014, appendix B
    reference = kl_divergence(Normal(mean, posterior.std), Normal(0.0, 1.0))
    assert posterior.kl(per_dimension=True).shape == (6, 3) and posterior.kl().shape == (6,)
    assert torch.allclose(posterior.kl(per_dimension=True), closed_form, atol=1e-6)
    assert torch.allclose(posterior.kl(per_dimension=True), reference, atol=1e-5)
    assert torch.allclose(posterior.kl(), reference.sum(-1), atol=1e-5)
    assert torch.allclose(posterior.kl(), losses_kl(mean, logvar), atol=1e-6)
    assert torch.allclose(posterior.kl(per_dimension=True), losses_kl_per_dimension(mean, logvar), atol=1e-6)
    assert torch.allclose(DiagonalGaussian(torch.zeros(2, 3), torch.zeros(2, 3)).kl(), torch.zeros(2))


def test_log_prob_matches_torch_distributions():
    posterior = _posterior()
    z = torch.randn(5, 6, 3, generator=torch.Generator().manual_seed(1))  # 5 codes for each of 6 items
    reference = Normal(posterior.mean, posterior.std).log_prob(z).sum(-1)
    assert posterior.log_prob(z).shape == (5, 6)
    assert torch.allclose(posterior.log_prob(z), reference, atol=1e-5)
    assert torch.allclose(prior_log_prob(z), Normal(0.0, 1.0).log_prob(z).sum(-1), atol=1e-5)
    assert float(prior_log_prob(torch.zeros(3))) == pytest.approx(-1.5 * math.log(2 * math.pi))


def test_the_posterior_is_an_object_not_a_pair():
    posterior = _posterior()
    with pytest.raises(TypeError):  # the old tuple API is gone: callers read .mean and .logvar
        iter(posterior)
    assert posterior.mean.shape == posterior.logvar.shape == (6, 3)
    with pytest.raises(ValueError, match="same shape"):
        DiagonalGaussian(torch.zeros(2, 3), torch.zeros(2, 4))


def test_expand_and_cat_keep_the_items():
    one = _posterior(batch=1)
    many = one.expand(4)
    assert many.mean.shape == (4, 3) and torch.equal(many.mean[3], one.mean[0])
    joined = DiagonalGaussian.cat([_posterior(batch=2), _posterior(batch=3, seed=1)])
    assert joined.mean.shape == joined.logvar.shape == (5, 3)
    assert torch.equal(joined.logvar[2:], _posterior(batch=3, seed=1).logvar)


def test_the_point_mass_is_the_code_with_no_kl_and_no_density():
    code = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    point = PointMass(code)
    assert torch.equal(point.mode(), code) and torch.equal(point.sample(), code)
    assert torch.equal(point.sample(torch.Generator().manual_seed(1)), code)  # no noise, whatever the seed
    assert point.sample(sample_shape=(3,)).shape == (3, 4, 2) and torch.equal(point.sample(sample_shape=(3,))[2], code)
    assert torch.equal(point.kl(), torch.zeros(4)) and torch.equal(point.kl(per_dimension=True), torch.zeros(4, 2))
    assert torch.equal(point.std, torch.zeros(4, 2))
    with pytest.raises(ValueError, match="no log-density"):
        point.log_prob(code)
    assert torch.equal(PointMass.cat([point, PointMass(code[:1])]).mean[4], code[0])


@pytest.mark.parametrize("kind, posterior_type", [("vae", DiagonalGaussian), ("ae", PointMass)])
def test_encode_returns_the_posterior_and_embed_is_its_mode(kind, posterior_type):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, latent_dim=3, hidden=(16,))).eval()
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        posterior = model.encode(x)
        assert isinstance(posterior, posterior_type) and posterior.mean.shape == (5, 3)
        assert torch.equal(model.embed(x), posterior.mode())
        assert torch.equal(model.reconstruct(x), model.decode(posterior.mode()))
