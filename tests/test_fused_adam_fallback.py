"""Training with ``fused_optimizer`` on still runs, as ``torch.optim.Adam``, when torch's private fused kernel is
missing or raises: vae.optim tries the kernel once and falls back (see vae/fast/fused_adam.py)."""

from __future__ import annotations

import pytest
import torch

from vae.config import ModelConfig, TrainConfig
from vae.fast.fused_adam import FusedAdam, fused_kernel_available
from vae.losses import model_loss
from vae.models import build_model
from vae.optim import make_optimizer
from vae.training import fit

CONFIG = ModelConfig(kind="vae", arch="mlp", latent_dim=4, hidden=(32,))


def _broken_kernel(calls: list[int]):
    def kernel(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("fused adam is not built for this CPU")

    return kernel


def _no_kernel(monkeypatch: pytest.MonkeyPatch, calls: list[int]) -> None:
    monkeypatch.delattr(torch, "_fused_adam_")


def _raising_kernel(monkeypatch: pytest.MonkeyPatch, calls: list[int]) -> None:
    monkeypatch.setattr(torch, "_fused_adam_", _broken_kernel(calls))


BREAKAGES = {"missing": _no_kernel, "raising": _raising_kernel}


def _one_step(make, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Weights after one optimiser step on the same gradients, from the same initial weights."""
    torch.manual_seed(0)
    model = build_model(CONFIG)
    optimizer = make(model)
    torch.manual_seed(1)
    model_loss(model, x).loss.backward()
    optimizer.step()
    return model.state_dict()


def test_the_kernel_works_here_so_the_fallback_tests_change_something():
    params = list(build_model(CONFIG).parameters())
    assert fused_kernel_available(params)
    assert isinstance(make_optimizer(build_model(CONFIG), TrainConfig(fused_optimizer=True)), FusedAdam)


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_missing_or_raising_kernel_falls_back_to_torch_adam(breakage, monkeypatch, mnist_small):
    calls: list[int] = []
    BREAKAGES[breakage](monkeypatch, calls)
    config = TrainConfig(lr=1e-3, fused_optimizer=True)
    optimizer = make_optimizer(build_model(CONFIG), config)
    assert type(optimizer) is torch.optim.Adam
    assert len(calls) == (1 if breakage == "raising" else 0)  # the trial step ran the kernel, which raised
    x = mnist_small[0][:64]
    fallback = _one_step(lambda model: make_optimizer(model, config), x)
    plain = _one_step(lambda model: torch.optim.Adam(model.parameters(), lr=1e-3), x)
    untouched = build_model(CONFIG).state_dict()
    assert all(torch.equal(fallback[k], plain[k]) for k in plain)  # torch.optim.Adam's update, bit for bit
    assert not all(torch.equal(fallback[k], untouched[k]) for k in plain)  # and it did move the weights


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_training_runs_without_the_kernel_and_matches_the_plain_optimizer(breakage, monkeypatch, tmp_path, mnist_small):
    BREAKAGES[breakage](monkeypatch, [])
    data = tuple(t[:256] for t in mnist_small[:2]) + tuple(t[:64] for t in mnist_small[2:])
    runs = {}
    for fused in (True, False):
        train = TrainConfig(epochs=2, batch_size=64, fused_optimizer=fused)
        record = fit(CONFIG, train, tmp_path / f"fused-{fused}", data=data, progress=False)
        assert record.progress["finished"] and len(record.history) == 2
        runs[fused] = [entry["train_loss"] for entry in record.history]
    assert runs[True] == runs[False]  # the fused flag changed nothing: both ran torch.optim.Adam
    assert runs[True][1] < runs[True][0]
