"""Adam as one call of torch's fused kernel per step, without importing ``torch._dynamo``.

``torch.optim.Adam(fused=True)`` runs the same kernel (``torch._fused_adam_``), but every ``torch.optim``
optimizer imports ``torch._dynamo`` when it is built and on every step (to mark graph breaks for
``torch.compile``); that import costs about 1.7 s of CPU, a fifth of a whole 3-epoch training process of the
784-400-20 VAE. This class keeps the update, the state layout and the state-dict format of ``torch.optim.Adam``
(so checkpoints and ``vae.optim.restore_optimizer`` treat both alike) and gives the same weights bit for bit
as ``torch.optim.Adam(fused=True)`` (tests/test_fast_path.py). It supports what training here uses: one
parameter group of same-device, same-dtype tensors, no AMSGrad, no learning-rate schedule.

``torch._fused_adam_`` is private: a torch release may drop or change it. :func:`fused_kernel_available` is
False when it is missing or when one trial step of it on a scratch tensor raises, and ``vae.optim`` then
builds ``torch.optim.Adam`` instead (tests/test_fused_adam_fallback.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

# Keyword arguments of the kernel's trial step: the ones FusedAdam.step passes, at their defaults.
_HYPERPARAMETERS = {
    "lr": 1e-3,
    "beta1": 0.9,
    "beta2": 0.999,
    "weight_decay": 0.0,
    "eps": 1e-8,
    "amsgrad": False,
    "maximize": False,
}


def fused_kernel_available(params: list[torch.Tensor]) -> bool:
    """True when the fused kernel exists in this torch and runs on these parameters (CPU or CUDA, one device and
    one floating dtype): a trial step on a one-element scratch tensor of that device and dtype must succeed."""
    if not params:
        return False
    devices, dtypes = {p.device for p in params}, {p.dtype for p in params}
    if len(devices) != 1 or len(dtypes) != 1:
        return False
    device, dtype = next(iter(devices)), next(iter(dtypes))
    if device.type not in ("cpu", "cuda") or not dtype.is_floating_point:
        return False
    return _trial_step(device, dtype)


def _trial_step(device: torch.device, dtype: torch.dtype) -> bool:
    """One step of ``torch._fused_adam_`` on scratch tensors; False if the kernel is missing or raises."""
    kernel = getattr(torch, "_fused_adam_", None)
    if kernel is None:
        return False
    param, grad = torch.zeros(1, device=device, dtype=dtype), torch.ones(1, device=device, dtype=dtype)
    moments = [torch.zeros_like(param)], [torch.zeros_like(param)]
    step = [torch.ones((), dtype=torch.float32, device=device)]
    try:
        kernel([param], [grad], *moments, [], step, **_HYPERPARAMETERS)
    except Exception:  # a private kernel may fail in any way (changed signature, unsupported build): use torch's
        return False
    return bool(torch.isfinite(param).all())


class FusedAdam:
    """Adam (Kingma & Ba 2015, with torch's L2 ``weight_decay``), stepped by ``torch._fused_adam_``."""

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = list(params)
        if not fused_kernel_available(self.params):
            raise ValueError("FusedAdam needs CPU or CUDA floating-point parameters on one device, in one dtype")
        self.defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "fused": True}
        self.state: dict[int, dict[str, torch.Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def _state(self, index: int, p: torch.Tensor) -> dict[str, torch.Tensor]:
        if index not in self.state:  # as torch.optim.Adam(fused=True): the step counter lives on the device
            zeros = torch.zeros_like(p, memory_format=torch.preserve_format)
            step = torch.zeros((), dtype=torch.float32, device=p.device)
            self.state[index] = {"step": step, "exp_avg": zeros, "exp_avg_sq": zeros.clone()}
        return self.state[index]

    @torch.no_grad()
    def step(self) -> None:
        live = [(i, p) for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        states = [self._state(i, p) for i, p in live]
        steps = [s["step"] for s in states]
        torch._foreach_add_(steps, 1)
        beta1, beta2 = self.defaults["betas"]
        torch._fused_adam_(
            [p for _, p in live],
            [p.grad for _, p in live],
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [],
            steps,
            lr=self.defaults["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=self.defaults["weight_decay"],
            eps=self.defaults["eps"],
            amsgrad=False,
            maximize=False,
        )

    def state_dict(self) -> dict[str, Any]:
        """In ``torch.optim``'s format: per-parameter state by index, and one parameter group."""
        group = {**self.defaults, "params": list(range(len(self.params)))}
        return {"state": {i: dict(s) for i, s in self.state.items()}, "param_groups": [group]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = {}
        for index, values in state_dict["state"].items():
            p = self.params[int(index)]
            state[int(index)] = {
                "step": torch.as_tensor(values["step"], dtype=torch.float32).to(p.device).reshape(()),
                "exp_avg": values["exp_avg"].to(p.device, p.dtype).clone(),
                "exp_avg_sq": values["exp_avg_sq"].to(p.device, p.dtype).clone(),
            }
        self.state = state
