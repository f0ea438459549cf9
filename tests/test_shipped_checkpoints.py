"""The shipped checkpoints load, still score what their config.json records, and tell the product's story:
the VAE's prior samples are recognisable digits far more often than its autoencoder twin's."""

from __future__ import annotations

import pytest
import torch
from conftest import REPO

from vae.checkpoint import load
from vae.data import load_mnist
from vae.evaluate import SLICE, slice_metrics
from vae.metrics import prior_samples, sample_quality

CHECKPOINTS = REPO / "checkpoints"
PAIRS = [("ae-z2", "vae-z2"), ("ae-z16", "vae-z16")]
NAMES = ["classifier", *[name for pair in PAIRS for name in pair]]


@pytest.fixture(scope="module")
def test_slice():
    x, y = load_mnist("test")
    return x[:SLICE], y[:SLICE]


@pytest.fixture(scope="module")
def classifier():
    return load(CHECKPOINTS / "classifier")


def test_every_checkpoint_is_shipped_and_small():
    for name in NAMES:
        assert (CHECKPOINTS / name / "config.json").is_file(), name
        assert (CHECKPOINTS / name / "model.safetensors").is_file(), name
    size = sum(p.stat().st_size for p in CHECKPOINTS.rglob("*") if p.is_file())
    assert size < 30 * 2**20


# What earlier evaluations stored an autoencoder's squared error as (its loss, with a KL term of zero); it is
# now stored under its own name only.
OLD_AE_NAMES = {"test_neg_elbo": "test_squared_error", "test_reconstruction": "test_squared_error"}


@pytest.mark.parametrize("name", NAMES)
def test_recorded_metrics_reproduce_on_the_fixed_slice(name, test_slice):
    model = load(CHECKPOINTS / name)
    recorded = model.checkpoint.metrics["first_1000"]
    measured = slice_metrics(model, *test_slice, seed=recorded["seed"])
    autoencoder = model.config.kind == "ae"
    for key, value in recorded.items():
        if autoencoder and key == "test_kl":
            assert value == 0
        elif key.startswith("test_"):
            measured_key = OLD_AE_NAMES.get(key, key) if autoencoder else key
            assert measured[measured_key] == pytest.approx(value, rel=0.005), key


@pytest.mark.parametrize("name", [n for n in NAMES if n != "classifier"])
def test_recorded_full_test_metrics_are_consistent(name):
    metrics = load(CHECKPOINTS / name).checkpoint.metrics
    assert metrics["test_images"] == 10_000
    assert metrics["test_neg_elbo"] == pytest.approx(metrics["first_1000"]["test_neg_elbo"], rel=0.05)
    if name.startswith("vae"):
        assert metrics["iwae_k"] == 5000  # the CLI default
        assert metrics["test_nll_iwae"] < metrics["test_neg_elbo"]
        assert metrics["active_units"] >= 2


def test_the_classifier_is_good_enough_to_judge(test_slice):
    metrics = load(CHECKPOINTS / "classifier").checkpoint.metrics
    assert metrics["test_accuracy"] >= 0.99
    assert metrics["first_1000"]["test_accuracy"] >= 0.98


@pytest.mark.parametrize("ae_name, vae_name", PAIRS)
def test_the_vae_beats_its_autoencoder_twin_on_prior_samples(ae_name, vae_name, classifier):
    ae, vae_model = load(CHECKPOINTS / ae_name), load(CHECKPOINTS / vae_name)
    assert ae.checkpoint.model.hidden == vae_model.checkpoint.model.hidden  # a fair pair
    with torch.inference_mode():
        ae_quality = sample_quality(prior_samples(ae, 2000, seed=1), classifier)
        vae_quality = sample_quality(prior_samples(vae_model, 2000, seed=1), classifier)
    assert vae_quality["recognisable_share"] > ae_quality["recognisable_share"]
    recorded_ae = ae.checkpoint.metrics["prior_samples"]
    recorded_vae = vae_model.checkpoint.metrics["prior_samples"]
    assert recorded_vae["recognisable_share"] > recorded_ae["recognisable_share"]
    assert recorded_vae["frechet_distance"] < recorded_ae["frechet_distance"]
