"""Model shapes, config validation and JSON round trips, for every kind and architecture."""

from __future__ import annotations

import pytest
import torch

from vae.config import ConfigError, ModelConfig, TrainConfig
from vae.models import VAE, Autoencoder, Classifier, build_model
from vae.posterior import DiagonalGaussian


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_shapes_and_ranges(kind, arch):
    config = ModelConfig(kind=kind, arch=arch, latent_dim=3, hidden=(16,), channels=(4, 8))
    model = build_model(config).eval()
    x = torch.rand(5, 1, 28, 28)
    z = model.embed(x)
    assert z.shape == (5, 3)
    images = model.decode(z).detach()
    assert images.shape == (5, 1, 28, 28)
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    assert model.reconstruct(x).shape == (5, 1, 28, 28)
    if kind == "vae":
        posterior = model.encode(x)
        mu, logvar = posterior.mean, posterior.logvar
        assert mu.shape == logvar.shape == (5, 3)
        assert torch.equal(model.embed(x), mu)  # embed is the posterior mean
        logits, mu2, _ = model(x)
        assert logits.shape == (5, 1, 28, 28) and torch.equal(mu, mu2)
    else:
        assert torch.equal(model.encode(x).mode(), z)


def test_ae_and_vae_share_bodies():
    vae = VAE(ModelConfig(kind="vae", latent_dim=2, hidden=(8, 4)))
    ae = Autoencoder(ModelConfig(kind="ae", latent_dim=2, hidden=(8, 4)))
    vae_decoder = {k: v.shape for k, v in vae.decoder.state_dict().items()}
    ae_decoder = {k: v.shape for k, v in ae.decoder.state_dict().items()}
    assert vae_decoder == ae_decoder
    assert [p.shape for p in vae.encoder.parameters()] == [p.shape for p in ae.encoder[0].parameters()]


def test_reparameterization_uses_mu_and_sigma():
    mu = torch.full((20000, 1), 2.0)
    logvar = torch.full((20000, 1), 2 * torch.log(torch.tensor(0.5)))
    z = DiagonalGaussian(mu, logvar).sample(torch.Generator().manual_seed(0))
    assert abs(float(z.mean()) - 2.0) < 0.02 and abs(float(z.std()) - 0.5) < 0.02


def test_classifier_shapes():
    model = Classifier(ModelConfig(kind="classifier", hidden=(16,), channels=(4, 8))).eval()
    x = torch.rand(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
    assert model.penultimate(x).shape == (3, 16)


def test_default_likelihoods_follow_the_kind():
    assert ModelConfig(kind="ae").likelihood == "gaussian"  # the plain L2 autoencoder
    assert ModelConfig(kind="vae").likelihood == "bernoulli"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"kind": "gan"}, "kind"),
        ({"arch": "transformer"}, "architecture"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"hidden": ()}, "hidden"),
        ({"likelihood": "poisson"}, "likelihood"),
        ({"arch": "conv", "channels": (8,)}, "channels"),
    ],
)
def test_config_errors_are_readable(kwargs, words):
    with pytest.raises(ConfigError, match=words):
        ModelConfig(**kwargs)


def test_configs_round_trip_through_json():
    import json

    config = ModelConfig(kind="vae", arch="conv", latent_dim=7, hidden=(64,), channels=(8, 16))
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    train = TrainConfig(epochs=3, warmup_epochs=2, beta=0.5)
    assert TrainConfig.from_dict(json.loads(json.dumps(train.to_dict()))) == train
    with pytest.raises(ConfigError, match="unknown field"):
        ModelConfig.from_dict({**config.to_dict(), "depth": 3})


def test_warmup_ramps_beta_linearly():
    config = TrainConfig(beta=2.0, warmup_epochs=4)
    assert [config.beta_at(e) for e in (1, 2, 4, 9)] == [0.5, 1.0, 2.0, 2.0]
    assert TrainConfig(beta=0.7).beta_at(1) == 0.7
