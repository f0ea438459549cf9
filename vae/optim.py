"""The optimiser of a training run: Adam (torch's, or the fused fast path where its kernel works) and its state
as flat tensors for checkpoints."""

from __future__ import annotations

import torch

from vae.config import TrainConfig
from vae.fast.fused_adam import FusedAdam, fused_kernel_available

Optimizer = torch.optim.Optimizer | FusedAdam  # both keep torch.optim's state-dict format


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> Optimizer:
    """Adam: ``torch.optim.Adam``, or with ``config.fused_optimizer`` :class:`~vae.fast.fused_adam.FusedAdam`
    (one fused kernel call per step; see vae/fast/__init__.py). The fused one is used only where its private
    kernel exists and a trial step of it runs on these parameters; anywhere else (an older or newer torch,
    another device) the run falls back to ``torch.optim.Adam``, which takes the same steps up to rounding."""
    params = list(model.parameters())
    if config.fused_optimizer and fused_kernel_available(params):
        return FusedAdam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def optimizer_tensors(optimizer: Optimizer) -> dict[str, torch.Tensor]:
    """The optimiser's per-parameter state as ``optim.<index>.<key>`` tensors, for training_state.safetensors."""
    out = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            out[f"optim.{index}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return out


def restore_optimizer(optimizer: Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    """Load the state :func:`optimizer_tensors` saved back into ``optimizer`` (torch's Adam or FusedAdam)."""
    state_dict = optimizer.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    state_dict["state"] = state
    optimizer.load_state_dict(state_dict)
