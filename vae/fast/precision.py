"""The bf16 speed path: a forward pass under autocast with the loss kept in fp32, and when to turn it on.

It mirrors the fp32 step of vae.training (the same model, the same :func:`vae.losses.loss_for` loss), with the
forward pass's matrix multiplies in bf16. tests/test_fast_path.py
(``test_bf16_forward_agrees_with_fp32_on_a_small_batch``) checks loss and gradients against fp32.
"""

from __future__ import annotations

import contextlib

import torch

from vae.losses import LossTerms, loss_for


def precision_context(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """Where a training step runs: bf16 autocast for "bf16" (see :func:`mixed_batch_terms`), else nothing."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def mixed_batch_terms(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, beta: float) -> LossTerms:
    """The forward pass under the caller's autocast; the loss and the KL in fp32 from its fp32-cast outputs,
    because sums over 784 pixels and 20 dimensions in bf16 (8 bits of mantissa) would lose the small
    differences Adam follows."""
    outputs = model(x)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    with torch.autocast(x.device.type, enabled=False):
        outputs = tuple(t.float() for t in outputs)
        return loss_for(model.config.kind)(outputs, x, y, model.config, beta)


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


def resolve_precision(precision: str, device: torch.device, arch: str) -> str:
    """The arithmetic a run uses: "auto" becomes "bf16" for a conv model where :func:`has_native_bf16`, else
    "fp32". An MLP stays in fp32 everywhere: on an AMX CPU its hand-written fp32 step (vae.fast.mlp_step) trained
    as fast as or faster than bf16 autocast (45k against 42k images/s for the 784-400-20 VAE, equal for
    784-512-256-16), its layers being too small for the tiles to beat the casts, while the conv VAE ran 1.65x
    faster in bf16 (measured 2026-12-03 on a 2-core Xeon with AMX; BENCHMARKS.md, training throughput)."""
    if precision == "auto":
        return "bf16" if arch != "mlp" and has_native_bf16(device) else "fp32"
    return precision
