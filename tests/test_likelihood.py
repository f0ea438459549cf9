"""The pixel likelihoods are what they claim (probabilities of binary images, a density for the Gaussian), the
fixed binarisation is reproducible, and vae.likelihood names each kind of number truthfully."""

from __future__ import annotations

import itertools

import pytest
import torch

from vae.config import ModelConfig, TrainConfig
from vae.likelihood import (
    CROSS_ENTROPY,
    NEGATIVE_LOG_DENSITY,
    NEGATIVE_LOG_LIKELIHOOD,
    SQUARED_ERROR,
    binarize,
    metric_labels,
    score_meaning,
)
from vae.losses import reconstruction_nll

BERNOULLI = ModelConfig(kind="vae", latent_dim=2, hidden=(8,), likelihood="bernoulli")
# Every black-and-white 2x2 image, (16, 1, 2, 2).
ALL_BINARY_2X2 = torch.tensor(list(itertools.product((0.0, 1.0), repeat=4)), dtype=torch.float64).view(16, 1, 2, 2)


def test_the_bernoulli_likelihood_sums_to_one_over_all_binary_2x2_images():
    logits = torch.tensor([-3.1, 0.0, 0.7, 12.0], dtype=torch.float64).view(1, 1, 2, 2)
    log_p = -reconstruction_nll(logits.expand(16, 1, 2, 2), ALL_BINARY_2X2, BERNOULLI)  # (16,)
    assert float(log_p.exp().sum()) == pytest.approx(1.0, abs=1e-14)
    generator = torch.Generator().manual_seed(3)
    for _ in range(5):
        logits = (4 * torch.randn(1, 1, 2, 2, generator=generator)).double()
        total = (-reconstruction_nll(logits.expand(16, 1, 2, 2), ALL_BINARY_2X2, BERNOULLI)).exp().sum()
        assert float(total) == pytest.approx(1.0, abs=1e-14)


def test_each_pixel_gives_its_two_values_probabilities_that_add_to_one():
    logits = torch.tensor([-40.0, -8.0, -1e-3, 0.0, 0.3, 5.0, 40.0], dtype=torch.float64).view(-1, 1, 1, 1)
    p_zero = (-reconstruction_nll(logits, torch.zeros_like(logits), BERNOULLI)).exp()
    p_one = (-reconstruction_nll(logits, torch.ones_like(logits), BERNOULLI)).exp()
    assert torch.allclose(p_zero + p_one, torch.ones(len(logits), dtype=torch.float64), atol=1e-14, rtol=0)
    assert torch.allclose(p_one, torch.sigmoid(logits).flatten(), atol=1e-14, rtol=0)  # lambda is P(pixel = 1)
    p32 = sum(
        (-reconstruction_nll(logits.float(), torch.full_like(logits.float(), v), BERNOULLI)).exp() for v in (0, 1)
    )
    assert torch.allclose(p32, torch.ones(len(logits)), atol=1e-6)


def test_on_grey_pixels_the_bernoulli_number_is_the_mean_over_binarisations():
    # What vae.likelihood says a grey-level score is: E over x' ~ Bernoulli(grey) of -log p(x'|z), exactly.
    logits = torch.tensor([-2.0, 0.4, 1.5, 3.0], dtype=torch.float64).view(1, 1, 2, 2)
    grey = torch.tensor([0.1, 0.5, 0.8, 1.0], dtype=torch.float64).view(1, 1, 2, 2)
    chance = (grey * ALL_BINARY_2X2 + (1 - grey) * (1 - ALL_BINARY_2X2)).flatten(1).prod(1)  # (16,)
    per_image = reconstruction_nll(logits.expand(16, 1, 2, 2), ALL_BINARY_2X2, BERNOULLI)
    assert float((chance * per_image).sum()) == pytest.approx(float(reconstruction_nll(logits, grey, BERNOULLI)))


@pytest.mark.parametrize("std", [0.1, 1.0])
def test_the_gaussian_likelihood_integrates_to_one_per_pixel(std):
    config = ModelConfig(kind="vae", latent_dim=2, hidden=(8,), likelihood="gaussian", gaussian_std=std)
    x = torch.linspace(-12 * std, 1 + 12 * std, 200_001, dtype=torch.float64).view(-1, 1, 1, 1)
    for logit in (-3.0, 0.0, 2.0):
        logits = torch.full_like(x, logit)
        density = (-reconstruction_nll(logits, x, config)).exp().flatten()
        assert float(torch.trapezoid(density, x.flatten())) == pytest.approx(1.0, abs=1e-6)


def test_binarize_is_a_fixed_draw_with_the_grey_levels_as_chances():
    # (Not seed 0: grey levels drawn from binarize's own stream would meet the very same uniforms.)
    grey = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    once, again = binarize(grey), binarize(grey)
    assert torch.equal(once, again) and set(once.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(binarize(grey[:37]), once[:37])  # a slice is binarised as in the whole set
    assert not torch.equal(binarize(grey, seed=1), once)
    assert torch.equal(binarize(once), once)  # 0/1 images stay as they are
    assert float(once.mean()) == pytest.approx(float(grey.mean()), abs=0.005)
    half = binarize(torch.full((100_000,), 0.3))
    assert float(half.mean()) == pytest.approx(0.3, abs=0.005)


def test_score_meaning_follows_how_the_model_was_trained():
    dynamic, grey = TrainConfig(binarize="dynamic"), TrainConfig(binarize="none")
    assert score_meaning(BERNOULLI, dynamic).measure == NEGATIVE_LOG_LIKELIHOOD
    assert score_meaning(BERNOULLI, dynamic).binarized and score_meaning(BERNOULLI, dynamic).is_log_likelihood
    for training in (grey, None):  # None: a model built in memory, not loaded from a checkpoint
        meaning = score_meaning(BERNOULLI, training)
        assert meaning.measure == CROSS_ENTROPY and not meaning.binarized and not meaning.is_log_likelihood
        assert "not -log p(x)" in meaning.data
    gaussian = ModelConfig(kind="vae", latent_dim=2, hidden=(8,), likelihood="gaussian")
    assert score_meaning(gaussian, dynamic).measure == NEGATIVE_LOG_DENSITY
    ae = score_meaning(ModelConfig(kind="ae", latent_dim=2, hidden=(8,)), dynamic)
    assert (ae.measure, ae.binarized, ae.autoencoder, ae.unit) == (
        SQUARED_ERROR,
        False,
        True,
        "squared error per image",
    )
    with pytest.raises(ValueError, match="classifier"):
        score_meaning(ModelConfig(kind="classifier"), None)


def test_metric_labels_say_what_each_number_is():
    nll = metric_labels(score_meaning(BERNOULLI, TrainConfig(binarize="dynamic")))
    assert "−log p(x)" in nll["test_nll_iwae"] and "binarised" in nll["test_neg_elbo"]
    cross = metric_labels(score_meaning(BERNOULLI, TrainConfig()))
    assert "not an NLL" in cross["test_nll_iwae"] and "not a bound" in cross["test_neg_elbo"]
    assert all("cross-entropy" in cross[k].lower() for k in ("test_neg_elbo", "test_nll_iwae", "test_reconstruction"))
    ae = metric_labels(score_meaning(ModelConfig(kind="ae", latent_dim=2, hidden=(8,)), None))
    assert ae["test_reconstruction"] == "Squared error per image" and "nats" not in " ".join(ae.values()).lower()
    assert "test_nll_iwae" not in ae and "test_neg_elbo" not in ae
