"""How a training step does its arithmetic: the precision (fp32, or a bf16 forward pass under autocast), the
optimizer (Adam, fused where the kernel runs) and the optimizer state as flat tensors for checkpoints."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from vae.config import ModelConfig, TrainConfig
from vae.fused_adam import FusedAdam, fused_kernel_available
from vae.losses import LossTerms, autoencoder_loss, negative_elbo

Optimizer = torch.optim.Optimizer | FusedAdam  # both keep torch.optim's state-dict format


def precision_context(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """Where a training step runs: bf16 autocast for "bf16" (see :func:`mixed_batch_terms`), else nothing."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def mixed_batch_terms(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, beta: float) -> LossTerms:
    """The forward pass under the caller's autocast; the loss and the KL in fp32 from its fp32-cast outputs,
    because sums over 784 pixels and 20 dimensions in bf16 (8 bits of mantissa) would lose the small
    differences Adam follows."""
    outputs = _as_tuple(model(x))
    with torch.autocast(x.device.type, enabled=False):
        outputs = tuple(t.float() for t in outputs)
        config: ModelConfig = model.config
        zero = torch.zeros((), device=x.device)
        if config.kind == "classifier":
            loss = F.cross_entropy(outputs[0], y)
            return LossTerms(loss, loss, zero, loss)
        if config.kind == "vae":
            logits, mu, logvar = outputs
            return negative_elbo(logits, x, mu, logvar, config, beta)
        reconstruction = autoencoder_loss(outputs[0], x, config).mean()
        return LossTerms(reconstruction, reconstruction, zero, reconstruction)


def _as_tuple(output: torch.Tensor | tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    return output if isinstance(output, tuple) else (output,)


def has_native_bf16(device: torch.device) -> bool:
    """True on CPUs with AMX-BF16 tiles, where bf16 matrix multiplies run several times faster than fp32.

    AVX-512-BF16 alone is not enough to turn bf16 on by default: the casts autocast adds around every layer
    were never measured to pay for themselves there, and on a CPU without either (AVX2 only) one bf16 step
    of the 784-400-20 VAE costs about 5x an fp32 step (bench/train_throughput.py, see BENCHMARKS.md).
    """
    if device.type != "cpu":
        return False
    try:
        return bool(torch._C._cpu._get_cpu_capability().get("amx_bf16"))
    except (AttributeError, RuntimeError):  # a private API: an older or newer torch may not have it
        return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """The arithmetic a run uses: "auto" becomes "bf16" where :func:`has_native_bf16`, else "fp32"."""
    if precision == "auto":
        return "bf16" if has_native_bf16(device) else "fp32"
    return precision


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> Optimizer:
    """Adam. With ``config.fused_optimizer`` (where the kernel runs: CPU, CUDA) one fused call per step updates
    every tensor, instead of about ten small ops per parameter tensor, which were a quarter of a CPU training
    step; :class:`~vae.fused_adam.FusedAdam` also spares the process torch.optim's ~1.7 s import of
    torch._dynamo. Otherwise the plain ``torch.optim.Adam`` of earlier runs."""
    params = list(model.parameters())
    if config.fused_optimizer and fused_kernel_available(params):
        return FusedAdam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def optimizer_tensors(optimizer: Optimizer) -> dict[str, torch.Tensor]:
    out = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            out[f"optim.{index}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return out


def restore_optimizer(optimizer: Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    state_dict = optimizer.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    state_dict["state"] = state
    optimizer.load_state_dict(state_dict)
