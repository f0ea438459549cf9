"""The hand-written MLP-VAE training step (vae.fast.mlp_step) gives autograd's loss and gradients, training uses it
only where it applies, and the fast dynamic binariser (vae.data.Binarizer) draws Bernoulli pixels."""

from __future__ import annotations

import pytest
import torch

from vae.config import ModelConfig, TrainConfig
from vae.data import Binarizer
from vae.fast.mlp_step import MLPVAEStep, step_for, supports
from vae.losses import model_loss
from vae.models import build_model
from vae.training import fit

SHAPES = [((200, 200), 50), ((400,), 20), ((64, 32, 16), 3)]


def _autograd(model, x, beta, seed):
    torch.manual_seed(seed)  # the posterior sample is drawn from the global generator in both paths
    terms = model_loss(model, x, beta)
    model.zero_grad(set_to_none=True)
    terms.loss.backward()
    return terms, {name: p.grad.clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize(("hidden", "latent_dim"), SHAPES)
@pytest.mark.parametrize("beta", [1.0, 0.25])
def test_gradients_match_autograd(hidden, latent_dim, beta, mnist_small):
    config = ModelConfig(kind="vae", arch="mlp", latent_dim=latent_dim, hidden=hidden)
    torch.manual_seed(0)
    model = build_model(config)
    x = torch.bernoulli(mnist_small[0][:48], generator=torch.Generator().manual_seed(1))
    expected, grads = _autograd(model, x, beta, seed=7)
    torch.manual_seed(7)
    got = MLPVAEStep(model)(x, beta)
    assert float(got.loss) == pytest.approx(float(expected.loss.detach()), rel=1e-6)
    assert float(got.reconstruction) == pytest.approx(float(expected.reconstruction.detach()), rel=1e-6)
    assert float(got.kl) == pytest.approx(float(expected.kl.detach()), rel=1e-5, abs=1e-6)
    for name, p in model.named_parameters():
        scale = float(grads[name].abs().max())
        assert scale > 0, name  # every parameter gets a gradient, or the comparison below proves nothing
        assert float((p.grad - grads[name]).abs().max()) <= 1e-5 * scale, name


def test_grey_level_targets_and_repeated_calls_overwrite_the_gradients(mnist_small):
    # Grey levels use the same BCE formula; a second call must not add to the first call's gradients.
    model = build_model(ModelConfig(kind="vae", arch="mlp", latent_dim=8, hidden=(64,)))
    x = mnist_small[0][:32]
    step = MLPVAEStep(model)
    torch.manual_seed(3)
    step(x)
    _, grads = _autograd(model, x, 1.0, seed=3)
    torch.manual_seed(3)
    step(x)
    for name, p in model.named_parameters():
        assert torch.allclose(p.grad, grads[name], rtol=1e-5, atol=1e-7), name


@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(kind="vae", arch="conv", latent_dim=4),
        ModelConfig(kind="ae", arch="mlp", latent_dim=4, hidden=(32,)),
        ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,), likelihood="gaussian"),
    ],
)
def test_other_models_are_refused(config):
    model = build_model(config)
    assert not supports(model)
    with pytest.raises(ValueError, match="mlp"):
        MLPVAEStep(model)
    assert not supports(build_model(ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,))).double())


def test_step_for_applies_only_to_single_process_fp32_runs_with_the_flag_on():
    model = build_model(ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,)))
    assert isinstance(step_for(model, TrainConfig(precision="fp32")), MLPVAEStep)
    assert step_for(model, TrainConfig(precision="fp32", manual_backward=False)) is None
    assert step_for(model, TrainConfig(precision="bf16")) is None
    assert step_for(model, TrainConfig(precision="fp32"), distributed=True) is None
    assert step_for(build_model(ModelConfig(kind="ae", arch="mlp", latent_dim=4, hidden=(32,))), TrainConfig()) is None


def _count_steps(monkeypatch) -> list[int]:
    calls = [0]
    original = MLPVAEStep.__call__

    def counting(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MLPVAEStep, "__call__", counting)
    return calls


def test_training_uses_the_step_by_default_and_the_flag_turns_it_off(tmp_path, mnist_small, monkeypatch):
    config = ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,))
    calls = _count_steps(monkeypatch)
    fast = fit(config, TrainConfig(epochs=1, precision="fp32"), tmp_path / "fast", data=mnist_small, progress=False)
    assert calls[0] == 1024 // 128 and fast.training.manual_backward is True
    plain = TrainConfig(epochs=1, precision="fp32", manual_backward=False)
    fit(config, plain, tmp_path / "plain", data=mnist_small, progress=False)
    assert calls[0] == 1024 // 128  # no further calls
    fit(
        ModelConfig(kind="ae", arch="mlp", latent_dim=4, hidden=(32,)),
        TrainConfig(epochs=1),
        tmp_path / "ae",
        data=mnist_small,
        progress=False,
    )
    assert calls[0] == 1024 // 128  # the autoencoder trains with autograd


def test_dynamic_binarisation_training_matches_with_and_without_the_step(tmp_path, mnist_small):
    # Same seeds, same binarised batches, same posterior draws: the two runs differ by float rounding only.
    config = ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,))
    runs = {}
    for manual in (True, False):
        train = TrainConfig(epochs=2, precision="fp32", binarize="dynamic", manual_backward=manual)
        runs[manual] = fit(config, train, tmp_path / str(manual), data=mnist_small, progress=False)
    for a, b in zip(runs[True].history, runs[False].history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
        assert a["valid_loss"] == pytest.approx(b["valid_loss"], rel=1e-4)


def test_binarizer_draws_bernoulli_pixels_repeatably():
    p = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).repeat(200_000, 1)  # (200000, 5)
    x = Binarizer(0)(p)
    assert x.dtype == torch.float32 and x.shape == p.shape
    assert set(torch.unique(x).tolist()) <= {0.0, 1.0}
    means = x.mean(0)
    assert means[0] == 0.0 and means[4] == 1.0  # certain pixels stay certain
    # 200k draws: the standard error of a mean is at most 0.0011, so 0.005 is over four of them.
    assert torch.allclose(means[1:4], torch.tensor([0.1, 0.5, 0.9]), atol=5e-3)
    assert torch.equal(Binarizer(0)(p[:1000]), Binarizer(0)(p[:1000]))
    assert not torch.equal(Binarizer(0)(p[:1000]), Binarizer(1)(p[:1000]))
    first = Binarizer(5)
    assert not torch.equal(first(p[:1000]), first(p[:1000]))  # fresh pixels on every call
