"""The fast training path (fused Adam, the hand-written MLP-VAE backward, optional bf16 forward) agrees with
the plain one, and its flags turn it off.

The plain path (``--precision fp32 --no-fused-optimizer --no-manual-backward``) must be the loop of earlier runs
bit for bit, so old checkpoints resume exactly; the fast path may differ by rounding only, within the tolerances
stated below.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from vae.config import ConfigError, ModelConfig, TrainConfig
from vae.fast.fused_adam import FusedAdam
from vae.fast.precision import precision_context, resolve_precision
from vae.losses import model_loss
from vae.models import build_model
from vae.optim import make_optimizer
from vae.train import build_parser, configs_from_args
from vae.training import _batch_terms, fit

REPO = Path(__file__).resolve().parent.parent
CPU = torch.device("cpu")
PLAIN = {"precision": "fp32", "fused_optimizer": False, "manual_backward": False}


def _old_loop(config: ModelConfig, train: TrainConfig, images: torch.Tensor) -> dict[str, torch.Tensor]:
    """The training loop as it was before the fast path, written out: same seeds, order and Adam."""
    torch.manual_seed(train.seed)
    model = build_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=train.lr)
    for epoch in range(1, train.epochs + 1):
        epoch_seed = train.seed * 1_000_003 + epoch
        torch.manual_seed(epoch_seed)
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(epoch_seed))
        model.train()
        for index in order.split(train.batch_size):
            loss = model_loss(model, images[index]).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return model.state_dict()


def _latest_weights(folder) -> dict[str, torch.Tensor]:
    state = load_file(folder / "training_state.safetensors")
    return {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}


def test_plain_flags_reproduce_the_old_loop_bit_for_bit(tmp_path, tiny_vae_config, mnist_small):
    train = TrainConfig(epochs=2, batch_size=128, lr=1e-3, **PLAIN)
    record = fit(tiny_vae_config, train, tmp_path / "plain", data=mnist_small, progress=False)
    expected = _old_loop(tiny_vae_config, train, mnist_small[0])
    got = _latest_weights(tmp_path / "plain")
    assert record.training.precision == "fp32" and record.training.fused_optimizer is False
    assert all(torch.equal(got[name], expected[name]) for name in expected)


def test_default_fast_path_tracks_the_plain_path(tmp_path, tiny_vae_config, mnist_small):
    # Fused Adam and the hand-written backward pass compute the same update in another order: after 16 steps
    # the weights may differ by rounding (observed 3e-8), never by more than 1e-5; the training losses agree
    # to 1e-4 relative.
    fast = fit(tiny_vae_config, TrainConfig(epochs=2, lr=1e-3), tmp_path / "fast", data=mnist_small, progress=False)
    plain = fit(
        tiny_vae_config, TrainConfig(epochs=2, lr=1e-3, **PLAIN), tmp_path / "plain", data=mnist_small, progress=False
    )
    assert fast.training.fused_optimizer is True and fast.training.manual_backward is True
    assert fast.training.precision == resolve_precision("auto", CPU, tiny_vae_config.arch)  # resolved, never "auto"
    if fast.training.precision != "fp32":
        pytest.skip("this CPU trains in bf16 by default; the bf16 tolerance is checked below")
    a, b = _latest_weights(tmp_path / "fast"), _latest_weights(tmp_path / "plain")
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-5
    for x, y in zip(fast.history, plain.history, strict=True):
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-4)


def test_fused_adam_step_matches_plain_adam(mnist_small):
    x = mnist_small[0][:64]
    weights = []
    for fused in (True, False):
        torch.manual_seed(0)
        model = build_model(ModelConfig())
        optimizer = make_optimizer(model, TrainConfig(lr=1e-3, fused_optimizer=fused))
        assert bool(optimizer.defaults.get("fused")) is fused
        for _ in range(3):
            torch.manual_seed(1)
            loss = model_loss(model, x).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        weights.append(model.state_dict())
    assert max(float((weights[0][k] - weights[1][k]).abs().max()) for k in weights[0]) < 1e-6


def _adam_run(make, x: torch.Tensor, steps: int = 3, resume_at: int = 0) -> dict[str, torch.Tensor]:
    """Weights after ``steps`` Adam steps; with ``resume_at`` the optimizer is rebuilt from its state dict there."""
    torch.manual_seed(0)
    model = build_model(ModelConfig())
    optimizer = make(model.parameters())
    for step in range(steps):
        if resume_at and step == resume_at:
            saved = optimizer.state_dict()
            optimizer = make(model.parameters())
            optimizer.load_state_dict(saved)
        torch.manual_seed(1)
        model_loss(model, x).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return model.state_dict()


def test_our_fused_adam_is_torchs_fused_adam_bit_for_bit(mnist_small):
    x = mnist_small[0][:64]
    ours = _adam_run(lambda p: FusedAdam(p, lr=1e-3, weight_decay=1e-4), x)
    torchs = _adam_run(lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-4, fused=True), x)
    assert all(torch.equal(ours[k], torchs[k]) for k in torchs)
    resumed = _adam_run(lambda p: FusedAdam(p, lr=1e-3, weight_decay=1e-4), x, resume_at=2)  # state round trip
    assert all(torch.equal(ours[k], resumed[k]) for k in ours)


def test_training_does_not_import_torch_dynamo(tmp_path):
    # torch.optim imports torch._dynamo (~1.7 s per process); the default path must not pull it in.
    code = (
        "import sys, torch\n"
        "from vae.config import ModelConfig, TrainConfig\n"
        "from vae.training import fit\n"
        "x = torch.rand(64, 1, 28, 28)\n"
        "data = (x, torch.zeros(64, dtype=torch.long), x[:16], torch.zeros(16, dtype=torch.long))\n"
        "fit(ModelConfig(latent_dim=2, hidden=(8,)), TrainConfig(epochs=2, batch_size=32), sys.argv[1],"
        " data=data, progress=False)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "run")], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def _loss_and_grads(model: torch.nn.Module, x: torch.Tensor, precision: str) -> tuple[float, list[torch.Tensor]]:
    torch.manual_seed(7)  # the same reparameterisation noise for both precisions
    model.zero_grad()
    with precision_context(precision, CPU):
        terms = _batch_terms(model, x, torch.zeros(len(x), dtype=torch.long), 1.0)
    assert terms.loss.dtype == torch.float32 and terms.kl.dtype == torch.float32  # the loss stays fp32
    terms.loss.backward()
    return float(terms.loss.detach()), [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_bf16_forward_agrees_with_fp32_on_a_small_batch(kind, mnist_small):
    # bf16 keeps 8 bits of mantissa. Observed: loss within 1e-5 relative, every gradient's cosine >= 0.999
    # and norm within 0.5%. Asserted with margin: loss to 1e-3, cosine > 0.995, norm within 2%.
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, latent_dim=20, hidden=(400,)))
    x = mnist_small[0][:32]
    loss32, grads32 = _loss_and_grads(model, x, "fp32")
    loss16, grads16 = _loss_and_grads(model, x, "bf16")
    assert loss16 != loss32  # the forward pass really ran in bf16
    assert loss16 == pytest.approx(loss32, rel=1e-3)
    for g32, g16 in zip(grads32, grads16, strict=True):
        cosine = torch.nn.functional.cosine_similarity(g32.flatten(), g16.flatten(), dim=0)
        assert float(cosine) > 0.995
        assert float(g16.norm()) == pytest.approx(float(g32.norm()), rel=2e-2)


def test_cli_defaults_to_the_fast_path_and_the_flags_turn_it_off():
    _, fast = configs_from_args(build_parser().parse_args([]))
    assert (fast.precision, fast.fused_optimizer, fast.manual_backward) == ("auto", True, True)
    flags = ["--precision", "fp32", "--no-fused-optimizer", "--no-manual-backward"]
    _, plain = configs_from_args(build_parser().parse_args(flags))
    assert (plain.precision, plain.fused_optimizer, plain.manual_backward) == ("fp32", False, False)
    assert resolve_precision("fp32", CPU, "conv") == "fp32" and resolve_precision("bf16", CPU, "mlp") == "bf16"


def test_auto_precision_is_bf16_only_for_conv_models_on_cpus_with_amx(monkeypatch):
    from vae.fast import precision

    for native in (True, False):
        monkeypatch.setattr(precision, "has_native_bf16", lambda device, native=native: native)
        assert resolve_precision("auto", CPU, "mlp") == "fp32"  # the hand-written fp32 step is as fast there
        assert resolve_precision("auto", CPU, "conv") == ("bf16" if native else "fp32")


def test_configs_saved_before_the_fast_path_load_as_the_plain_path():
    old = TrainConfig.from_dict({"epochs": 3, "lr": 1e-3})  # a config.json written before these fields
    assert (old.precision, old.fused_optimizer, old.manual_backward) == ("fp32", False, False)
    assert TrainConfig.from_dict(TrainConfig(precision="bf16").to_dict()).precision == "bf16"
    with pytest.raises(ConfigError, match="precision"):
        TrainConfig(precision="fp16")
