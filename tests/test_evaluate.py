"""Evaluation: the importance-sampled NLL bounds, metrics, and the CLI writing them back."""

from __future__ import annotations

import pytest
import torch

from vae.checkpoint import load, read_checkpoint
from vae.config import ModelConfig, TrainConfig
from vae.data import load_mnist
from vae.evaluate import evaluate, iwae_nll, main, per_image_scores
from vae.likelihood import binarize
from vae.models import build_model
from vae.training import fit


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_small):
    out = tmp_path_factory.mktemp("eval") / "vae"
    config = ModelConfig(kind="vae", latent_dim=4, hidden=(64,))
    fit(config, TrainConfig(epochs=3, batch_size=64), out, data=mnist_small, progress=False)
    return out


@pytest.fixture(scope="module")
def trained_binary(tmp_path_factory, mnist_small):
    """A VAE trained on fresh binarisations of its images (``--binarize dynamic``)."""
    out = tmp_path_factory.mktemp("eval") / "vae-binary"
    config = ModelConfig(kind="vae", latent_dim=4, hidden=(64,))
    fit(config, TrainConfig(epochs=2, batch_size=64, binarize="dynamic"), out, data=mnist_small, progress=False)
    return out


def test_iwae_nll_is_at_or_below_the_negative_elbo(trained, mnist_small):
    from vae.checkpoint import load

    model = load(trained)
    x = mnist_small[2][:64]
    with torch.inference_mode():
        elbo = torch.stack(
            [per_image_scores(model, x, torch.Generator().manual_seed(s))["neg_elbo"] for s in range(50)]
        )
        nll = iwae_nll(model, x, k=200, generator=torch.Generator().manual_seed(0))
    assert nll.shape == (64,)
    assert float(nll.mean()) <= float(elbo.mean())  # the bound tightens with k
    assert float(nll.mean()) > 0.8 * float(elbo.mean())  # and stays in the same range


def test_iwae_chunking_does_not_change_the_estimate(trained, mnist_small):
    from vae.checkpoint import load

    model = load(trained)
    x = mnist_small[2][:8]
    a = iwae_nll(model, x, k=100, generator=torch.Generator().manual_seed(1))
    b = iwae_nll(model, x, k=100, max_elements=784 * 8 * 7, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(a, b, atol=1e-4)


def test_iwae_refuses_an_autoencoder():
    from vae.models import build_model

    with pytest.raises(ValueError, match="plain autoencoder"):
        iwae_nll(build_model(ModelConfig(kind="ae", latent_dim=2, hidden=(8,))), torch.rand(2, 1, 28, 28), 5)


def test_evaluate_reports_terms_that_add_up(trained, mnist_small):
    from vae.checkpoint import load

    metrics = evaluate(load(trained), mnist_small[2][:100], k=20)
    assert metrics["test_neg_elbo"] == pytest.approx(metrics["test_reconstruction"] + metrics["test_kl"], rel=1e-5)
    assert metrics["test_nll_iwae"] < metrics["test_neg_elbo"]
    assert 0 <= metrics["active_units"] <= 4 and len(metrics["kl_per_dim"]) == 4
    assert sum(metrics["kl_per_dim"]) == pytest.approx(metrics["test_kl"], rel=0.05)


def test_cli_prints_a_table_and_stores_the_metrics(trained, capsys):
    assert main([str(trained), "--k", "10", "--limit", "200"]) == 0
    printed = capsys.readouterr().out
    assert "test_neg_elbo" in printed and "active_units" in printed
    stored = read_checkpoint(trained).metrics
    assert stored["iwae_k"] == 10 and stored["test_images"] == 200
    assert main([str(trained), "--k", "10", "--limit", "200", "--no-save"]) == 0
    assert f"{stored['test_neg_elbo']:.4f}" in capsys.readouterr().out  # same seed, same numbers


def test_cli_reports_a_missing_checkpoint(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 1
    assert "no such checkpoint folder" in capsys.readouterr().err


def _direct_scores(model, x, k):
    """What evaluate() must report, computed here step by step: the same generator, the same order of draws."""
    generator = torch.Generator().manual_seed(0)
    elbo = float(per_image_scores(model, x, generator)["neg_elbo"].mean())
    return elbo, float(iwae_nll(model, x, k, generator=generator).mean())


def test_a_model_trained_on_binarised_digits_is_scored_on_binarised_digits(trained_binary, mnist_small):
    model = load(trained_binary)
    grey = mnist_small[2][:100]
    metrics = evaluate(model, grey, k=20)
    on_binary, on_grey = _direct_scores(model, binarize(grey), 20), _direct_scores(model, grey, 20)
    assert (metrics["test_neg_elbo"], metrics["test_nll_iwae"]) == pytest.approx(on_binary, rel=1e-6)
    # On grey pixels the numbers are other ones (close on average: a grey cross-entropy is the mean over binarisations).
    assert metrics["test_neg_elbo"] != pytest.approx(on_grey[0], rel=1e-4)
    assert metrics["test_nll_iwae"] != pytest.approx(on_grey[1], rel=1e-4)
    assert metrics["test_binarized"] is True and metrics["binarization_seed"] == 0
    assert metrics["scores_are"] == "negative_log_likelihood" and "binarised" in metrics["likelihood_data"]
    with torch.inference_mode():
        recon = model.reconstruct(grey)  # the squared error stays the grey picture's
    assert metrics["test_squared_error"] == pytest.approx(float((recon - grey).pow(2).flatten(1).sum(1).mean()))


def test_a_model_trained_on_grey_levels_reports_cross_entropies(trained, mnist_small):
    model = load(trained)
    grey = mnist_small[2][:100]
    metrics = evaluate(model, grey, k=20)
    assert (metrics["test_neg_elbo"], metrics["test_nll_iwae"]) == pytest.approx(_direct_scores(model, grey, 20))
    assert metrics["scores_are"] == "cross_entropy" and metrics["test_binarized"] is False
    assert "not -log p(x)" in metrics["likelihood_data"]


def test_the_autoencoder_reports_squared_error_not_an_elbo(mnist_small):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", latent_dim=2, hidden=(16,))).eval()
    x = mnist_small[2][:50]
    metrics = evaluate(model, x, k=20)
    with torch.inference_mode():
        recon = model.reconstruct(x)
    assert metrics["test_squared_error"] == pytest.approx(float((recon - x).pow(2).flatten(1).sum(1).mean()))
    assert metrics["scores_are"] == "squared_error" and metrics["test_bce"] > 0
    assert not {"test_neg_elbo", "test_kl", "test_reconstruction", "test_nll_iwae"} & set(metrics)
    with pytest.raises(ValueError, match="squared error"):
        per_image_scores(model, x)


def test_cli_on_a_binarised_model_stores_what_x_was(trained_binary):
    assert main([str(trained_binary), "--k", "5", "--limit", "100"]) == 0
    stored = read_checkpoint(trained_binary).metrics
    assert stored["test_binarized"] is True and stored["scores_are"] == "negative_log_likelihood"
    model = load(trained_binary)
    x = binarize(load_mnist("test")[0][:100])
    assert stored["test_neg_elbo"] == pytest.approx(_direct_scores(model, x, 5)[0], rel=1e-6)
