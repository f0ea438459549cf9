"""vae.density: densities fitted to a model's codes, their samplers, attribute vectors; and the shipped models'
conditional samples judged by the shipped classifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "checkpoints"


@pytest.fixture(scope="module")
def tiny(tiny_vae_config, mnist_small):
    """An untrained tiny VAE and its density on 1,024 real MNIST images (codes are arbitrary but fixed)."""
    from vae.density import fit_latent_density
    from vae.models import build_model

    torch.manual_seed(0)
    model = build_model(tiny_vae_config).eval()
    x, y = mnist_small[0], mnist_small[1]
    return model, x, y, fit_latent_density(model, x, y, components=3)


@pytest.fixture(scope="module")
def tiny_vae_config():  # module-scoped twin of conftest's fixture, for the module-scoped model above
    from vae.config import ModelConfig

    return ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,))


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_every_sampler_repeats_its_codes_from_the_same_seed(tiny):
    from vae.latent import sample_prior

    _, _, _, density = tiny
    draws = {
        "mixture": lambda g: density.sample(50, g),
        "tempered mixture": lambda g: density.sample(50, g, temperature=0.7),
        "digit 7": lambda g: density.sample(50, g, digit=7),
        "prior": lambda g: sample_prior(50, 4, g),
        "tempered prior": lambda g: sample_prior(50, 4, g, temperature=1.3),
    }
    for name, draw in draws.items():
        first, again, other = draw(seeded(5)), draw(seeded(5)), draw(seeded(6))
        assert first.shape == (50, 4) and first.dtype == torch.float32, name
        assert torch.equal(first, again), f"{name}: the same seed gave different codes"
        assert not torch.equal(first, other), f"{name}: another seed gave the same codes"


def test_temperature_scales_the_noise_around_the_same_draws(tiny):
    from vae.latent import sample_prior

    _, _, _, density = tiny
    assert torch.allclose(sample_prior(20, 4, seeded(1), temperature=0.5), 0.5 * sample_prior(20, 4, seeded(1)))
    # One Gaussian per class: the code is mean + T * L @ eps with the same eps, so the offsets scale by T.
    mean = density.classes[3].means[0]
    hot, cold = density.sample(20, seeded(2), digit=3), density.sample(20, seeded(2), digit=3, temperature=0.5)
    assert torch.allclose(cold - mean, 0.5 * (hot - mean), atol=1e-5)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            density.sample(3, temperature=bad)
        with pytest.raises(ValueError, match="temperature"):
            sample_prior(3, 4, temperature=bad)


def test_class_gaussians_match_the_class_codes_and_log_prob_matches_scikit_learn(tiny):
    from sklearn.mixture import GaussianMixture

    from vae.latent import embed_batched

    model, x, y, density = tiny
    codes = embed_batched(model, x)
    for digit in range(10):
        members = codes[y == digit]
        assert torch.allclose(density.classes[digit].means[0], members.mean(0), atol=1e-5)
        covariance = density.classes[digit].cholesky[0] @ density.classes[digit].cholesky[0].T
        assert torch.allclose(covariance, torch.cov(members.T), rtol=1e-2, atol=1e-4)
    # The mixture held as torch tensors gives the same log density as an sklearn mixture with its parameters.
    reference = GaussianMixture(3, covariance_type="full")
    reference.weights_ = density.mixture.weights.double().numpy()
    reference.means_ = density.mixture.means.double().numpy()
    lower = density.mixture.cholesky.double().numpy()  # (K, D, D)
    reference.covariances_ = lower @ lower.transpose(0, 2, 1)
    reference.precisions_cholesky_ = np.linalg.inv(lower).transpose(0, 2, 1)  # sklearn's convention: L^-T
    z = density.sample(64, seeded(0))
    log_prob = density.log_prob(z)
    assert log_prob.shape == (64,)
    np.testing.assert_allclose(log_prob.numpy(), reference.score_samples(z.double().numpy()), rtol=1e-4, atol=1e-3)
    assert density.log_prob(z, digit=2).shape == (64,)


def test_digit_without_labels_raises_a_clear_error(tiny):
    from vae.density import fit_latent_density

    model, x, _, density = tiny
    unlabelled = fit_latent_density(model, x, components=2)
    with pytest.raises(ValueError, match="labels"):
        unlabelled.sample(4, digit=7)
    with pytest.raises(ValueError, match="class 11"):
        density.sample(4, digit=11)
    with pytest.raises(ValueError, match="labels"):
        fit_latent_density(model, x, torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="components"):
        fit_latent_density(model, x, components=0)


def test_bic_picks_the_size_with_the_lowest_criterion(tiny):
    from vae.density import BIC_COMPONENTS, fit_latent_density

    model, x, _, _ = tiny
    density = fit_latent_density(model, x[:400], components="bic")
    assert sorted(density.bic) == sorted(BIC_COMPONENTS)
    assert density.mixture.components == min(density.bic, key=density.bic.get)


def test_attribute_vector_of_identical_groups_is_zero_and_of_two_digits_their_mean_difference(tiny):
    from vae.density import attribute_vector
    from vae.latent import embed_batched

    model, x, y, _ = tiny
    same = attribute_vector(model, x[:100], x[:100].clone())
    assert same.shape == (4,)
    assert same.abs().max() < 1e-6
    codes = embed_batched(model, x)
    expected = codes[y == 8].mean(0) - codes[y == 3].mean(0)
    assert torch.allclose(attribute_vector(model, x[y == 3], x[y == 8]), expected, atol=1e-5)
    with pytest.raises(ValueError, match="at least one image"):
        attribute_vector(model, x[:0], x[:5])


# --------------------------------------------------------------------------------------------------------
# The shipped models

needs_shipped = pytest.mark.skipif(
    not all((SHIPPED / name / "model.safetensors").exists() for name in ("vae-z16", "ae-z16", "classifier")),
    reason="needs the shipped vae-z16, ae-z16 and classifier checkpoints",
)


@pytest.fixture(scope="module")
def shipped():
    import vae

    classifier = vae.load(SHIPPED / "classifier")
    x, y = vae.load_mnist("train")
    models = {name: vae.load(SHIPPED / name) for name in ("vae-z16", "ae-z16")}
    return classifier, {name: (m, vae.fit_latent_density(m, x, y, components=10)) for name, m in models.items()}


@needs_shipped
def test_conditional_samples_of_vae_z16_are_the_requested_digit(shipped):
    """At the default conditional temperature (0.6), 1,000 samples per digit were classified as the requested
    digit 98.0-100% of the time (worst: 9). On 200 per digit the standard error is ~1 point, so 95% (the
    issue's target) leaves a 3-point margin below the worst measured digit."""
    from explorer.sampling.generation import CONDITIONAL_TEMPERATURE, agreement, conditional_images

    classifier, fitted = shipped
    model, density = fitted["vae-z16"]
    shares = {
        digit: agreement(
            classifier, conditional_images(model, density, digit, 200, 100 + digit, CONDITIONAL_TEMPERATURE), digit
        )
        for digit in range(10)
    }
    assert min(shares.values()) >= 0.95, shares


@needs_shipped
def test_the_fitted_mixture_samples_the_autoencoder_better_than_the_prior(shipped):
    from explorer.sampling.generation import sampler_images
    from vae.metrics import RECOGNISABLE_THRESHOLD, classify

    classifier, fitted = shipped
    model, density = fitted["ae-z16"]
    share = {}
    for sampler in ("prior", "mixture"):
        images = torch.from_numpy(sampler_images(model, density, sampler, 1000, seed=3)).unsqueeze(1)
        share[sampler] = float((classify(classifier, images)[1] >= RECOGNISABLE_THRESHOLD).float().mean())
    # Measured on 1,000 draws: prior ~13%, mixture ~80%; the margin asked for here is far inside that gap.
    assert share["mixture"] > share["prior"] + 0.3, share
