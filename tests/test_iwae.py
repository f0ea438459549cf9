"""The importance-weighted objective: k = 1 is the ELBO's loss to the bit, k > 1 is the IWAE bound, and runs
trained on it (python -m vae.train --iwae-k K) save, load and leave old configs unchanged."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
import torch

from vae.checkpoint import load, read_checkpoint
from vae.config import ConfigError, ModelConfig, TrainConfig
from vae.fast.mlp_step import MLPVAEStep, step_for
from vae.losses import importance_weighted_terms, model_loss
from vae.models import build_model
from vae.posterior import prior_log_prob
from vae.train import main
from vae.training import _check_objective, fit

MODELS = {
    "mlp-bernoulli": ModelConfig(kind="vae", latent_dim=3, hidden=(32,)),
    "mlp-gaussian": ModelConfig(kind="vae", latent_dim=3, hidden=(32,), likelihood="gaussian"),
    "conv": ModelConfig(kind="vae", arch="conv", latent_dim=3, hidden=(32,), channels=(4, 8)),
}
FIELDS = ("loss", "reconstruction", "kl", "elbo_loss", "kl_per_dimension")


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_one_sample_is_the_elbo_loss_to_the_bit(name, beta, mnist_small):
    torch.manual_seed(0)
    model, x = build_model(MODELS[name]), mnist_small[0][:32]
    torch.manual_seed(7)
    elbo = model_loss(model, x, beta)
    torch.manual_seed(7)  # the same noise: one code per image, drawn as VAE.forward draws it
    iwae = importance_weighted_terms(model, x, 1, beta)
    for field in FIELDS:
        assert torch.equal(getattr(elbo, field), getattr(iwae, field)), field


def test_k_samples_average_the_weights_inside_the_log(mnist_small):
    """The loss is -log (1/k) sum_i w_i with the sampled KL swapped for the closed form, written out here."""
    torch.manual_seed(0)
    model, x, k, beta = build_model(MODELS["mlp-bernoulli"]), mnist_small[0][:16], 6, 0.7
    torch.manual_seed(3)
    terms = importance_weighted_terms(model, x, k, beta)
    torch.manual_seed(3)
    with torch.no_grad():
        q = model.encode(x)
        z = q.mean + q.std * torch.randn(k, *q.mean.shape)  # (k, B, D)
        log_px_z = (
            -torch.nn.functional.binary_cross_entropy_with_logits(
                model.decode_logits(z.reshape(-1, 3)), x.repeat(k, 1, 1, 1), reduction="none"
            )
            .view(k, 16, -1)
            .sum(2)
        )
        log_w = log_px_z + beta * (prior_log_prob(z) - q.log_prob(z))
        bound = torch.logsumexp(log_w, 0) - math.log(k)  # (B,) the plain k-sample estimate
        sampled_kl = (q.log_prob(z) - prior_log_prob(z)).mean(0)
        expected = -(bound + beta * (sampled_kl - q.kl())).mean()
    assert terms.loss.item() == pytest.approx(float(expected), abs=1e-4)
    assert terms.loss.item() < (terms.reconstruction + beta * terms.kl).item()  # the gain is positive


def test_the_bound_tightens_with_k_on_average():
    """E[L_k] grows with k (Burda et al. 2016, theorem 1): on the shipped z = 2 VAE, averaged over draws."""
    from vae.data import load_dataset

    model = load(Path(__file__).resolve().parent.parent / "checkpoints" / "vae-z2")
    x = torch.bernoulli(load_dataset("mnist", "test")[0][:32], generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    with torch.no_grad():
        bounds = [-sum(importance_weighted_terms(model, x, k).loss.item() for _ in range(10)) / 10 for k in (1, 4, 16)]
    assert bounds[0] + 0.3 < bounds[1] < bounds[2]


def test_training_steps_on_the_bound_lower_it(mnist_small):
    torch.manual_seed(0)
    model, x = build_model(MODELS["mlp-bernoulli"]), mnist_small[0][:64]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(20):
        terms = importance_weighted_terms(model, x, 5)
        optimizer.zero_grad()
        terms.loss.backward()
        optimizer.step()
        losses.append(terms.loss.item())
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 20


def test_old_configs_load_as_the_elbo_on_the_fast_path():
    """A config.json written before iwae_k existed reads as k = 1, and keeps the hand-written step."""
    root = Path(__file__).resolve().parent.parent / "checkpoints"
    saved = json.loads((root / "vae-z2" / "config.json").read_text())["training"]
    assert "iwae_k" not in saved
    config = TrainConfig.from_dict(saved)
    assert config.iwae_k == 1
    assert config.to_dict() == {**saved, "iwae_k": 1, "extra": config.extra}
    model, fp32 = load(root / "vae-z2"), dataclasses.replace(config, precision="fp32")  # it was trained in bf16
    assert isinstance(step_for(model, fp32), MLPVAEStep)
    assert step_for(model, dataclasses.replace(fp32, iwae_k=5)) is None


def test_k_one_trains_exactly_as_before(tmp_path, tiny_vae_config, mnist_small):
    from safetensors.torch import load_file

    data = tuple(t[:256] for t in mnist_small[:2]) + tuple(t[:64] for t in mnist_small[2:])
    fit(tiny_vae_config, TrainConfig(epochs=1), tmp_path / "default", data=data, progress=False, timeline=False)
    fit(tiny_vae_config, TrainConfig(epochs=1, iwae_k=1), tmp_path / "k1", data=data, progress=False, timeline=False)
    a, b = load_file(tmp_path / "default" / "model.safetensors"), load_file(tmp_path / "k1" / "model.safetensors")
    assert all(torch.equal(a[key], b[key]) for key in a)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"iwae_k": 0}, "iwae_k must be a whole number"),
        ({"iwae_k": 2.5}, "iwae_k must be a whole number"),
        ({"iwae_k": True}, "iwae_k must be a whole number"),
        ({"iwae_k": 5, "precision": "bf16"}, "trains in fp32"),
    ],
)
def test_bad_iwae_settings_are_refused(values, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**values)


def test_the_bound_needs_a_vae_and_one_process(tiny_ae_config, tiny_vae_config):
    with pytest.raises(ConfigError, match="needs a VAE"):
        _check_objective(tiny_ae_config, TrainConfig(iwae_k=5), distributed=False)
    with pytest.raises(ConfigError, match="one process"):
        _check_objective(tiny_vae_config, TrainConfig(iwae_k=5), distributed=True)
    _check_objective(tiny_ae_config, TrainConfig(), distributed=True)  # the ELBO: nothing to refuse


def test_cli_trains_on_the_bound_and_the_run_loads(tmp_path, capsys):
    out = tmp_path / "iwae"
    args = ["--latent-dim", "2", "--hidden", "32", "--epochs", "1", "--train-limit", "512", "--batch-size", "64"]
    code = main([*args, "--iwae-k", "5", "--out", str(out), "--no-progress", "--no-timeline"])
    assert code == 0, capsys.readouterr().err
    record = read_checkpoint(out)
    assert record.training.iwae_k == 5 and record.training.precision == "fp32"
    assert "--iwae-k 5" in record.info["command"]
    entry = record.history[0]
    assert entry["train_loss"] < entry["train_neg_elbo"]  # it minimised the tighter bound, below the ELBO's loss
    model = load(out)
    assert model.config.latent_dim == 2
    with torch.inference_mode():
        assert model.decode(torch.zeros(1, 2)).shape == (1, 1, 28, 28)


def test_cli_refuses_the_bound_for_an_autoencoder(tmp_path, capsys):
    args = ["--kind", "ae", "--latent-dim", "2", "--hidden", "16", "--epochs", "1", "--train-limit", "128"]
    assert main([*args, "--iwae-k", "3", "--out", str(tmp_path / "ae"), "--no-progress"]) == 2
    assert "needs a VAE" in capsys.readouterr().err
