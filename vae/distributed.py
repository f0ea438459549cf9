"""Data-parallel helpers for ``torchrun -m vae.train``: who am I, start/stop the process group, reductions.

torchrun starts one process per device and tells each its place through the environment (``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK``); :func:`detect` reads them. Without those variables (or with a world of one) every
helper here is a no-op, so a plain ``python -m vae.train`` run never touches ``torch.distributed``.

The training data sits in memory in every process. Each rank computes the same seeded permutation per epoch
and takes a strided share of every global batch (:func:`shard`), like ``DistributedSampler`` does per epoch;
``DistributedDataParallel`` averages the gradients. Processes talk over gloo on CPUs and NCCL on GPUs.

The training loop (vae.training) is written for one process and calls a few hooks at the points where ranks
must agree; :func:`hooks_for` gives :class:`SingleProcess` (each hook the identity, so the loop is the plain
loop) or :class:`DataParallel` (the same hooks for one rank of a torchrun job).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


class DistributedError(RuntimeError):
    """The distributed launch cannot work as configured (e.g. a device without a backend)."""


@dataclass(frozen=True)
class World:
    """This process's place in the job: ``rank`` of ``size`` processes, ``local_rank`` on this machine."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints and prints; the other ranks stay quiet."""
        return self.rank == 0


def detect() -> World:
    """The world torchrun describes in the environment, or a single process when it says nothing."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError as error:
        raise DistributedError(f"WORLD_SIZE, RANK and LOCAL_RANK must be integers ({error})") from None
    if size < 1 or not 0 <= rank < size:
        raise DistributedError(f"RANK {rank} does not fit WORLD_SIZE {size}")
    return World(rank=rank, size=size, local_rank=local_rank)


def current() -> World:
    """The world of an initialised process group (fit() asks this), else a single process."""
    if dist.is_available() and dist.is_initialized():
        size = dist.get_world_size()
        return World(rank=dist.get_rank(), size=size, local_rank=int(os.environ.get("LOCAL_RANK", "0")))
    return World()


def device_for(world: World, device: torch.device) -> torch.device:
    """One GPU per process: ``cuda`` becomes ``cuda:LOCAL_RANK``; CPUs are shared by all ranks."""
    if not world.distributed:
        return device
    if device.type == "cuda":
        if device.index is None:
            device = torch.device("cuda", world.local_rank % max(1, torch.cuda.device_count()))
        torch.cuda.set_device(device)
        return device
    if device.type != "cpu":
        raise DistributedError(f"distributed training runs on CPUs (gloo) or CUDA GPUs (NCCL), not on {device.type}")
    return device


def init(world: World, device: torch.device) -> None:
    """Join the process group torchrun set up (rendezvous through MASTER_ADDR/MASTER_PORT); no-op alone."""
    if not world.distributed or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    kwargs = {"device_id": device} if backend == "nccl" else {}
    dist.init_process_group(backend=backend, rank=world.rank, world_size=world.size, **kwargs)


def cleanup() -> None:
    """Leave the process group (safe to call when none was started, and after errors)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


@contextmanager
def main_rank_first(world: World) -> Iterator[None]:
    """Run the body on rank 0 before the other ranks, e.g. a read that may repair a checkpoint folder."""
    if world.distributed and not world.is_main:
        dist.barrier()
    try:
        yield
    finally:
        if world.distributed and world.is_main:
            dist.barrier()


def shard(indices: torch.Tensor, world: World) -> torch.Tensor:
    """This rank's strided share of one global batch: ``indices[rank::size]`` (sizes differ by at most one)."""
    return indices[world.rank :: world.size] if world.distributed else indices


def sum_all(values: Sequence[float], device: torch.device) -> list[float]:
    """Element-wise sum over all ranks (every rank gets the same numbers)."""
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def from_main(values: Sequence[float], device: torch.device) -> list[float]:
    """Rank 0's numbers on every rank, e.g. its clock, so time-based decisions agree everywhere."""
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.broadcast(tensor, src=0)
    return tensor.tolist()


# ------------------------------------------------------------------------------------ the training loop's hooks

ValidationTotals = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor, int], dict[str, Any]]
_VALIDATION_TOTALS = ("loss", "reconstruction", "kl", "errors")


@dataclass(frozen=True)
class StepShare:
    """What every rank knows after a training step: its loss terms summed over the images of the global batch,
    whether the loss was finite on every rank, and whether some rank was asked to stop."""

    sums: list[float]
    finite: bool
    stop: bool


class SingleProcess:
    """The loop's hooks in a plain one-process run: each returns its input, or this process's own answer."""

    def __init__(self, world: World | None = None) -> None:
        self.world = world or World()

    def rank_seed(self, epoch_seed: int) -> int:
        """The seed of this rank's own noise (reparameterisation, binarisation) in an epoch."""
        return epoch_seed

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """What a training step calls: the model itself."""
        return model

    def share(self, index: torch.Tensor) -> tuple[torch.Tensor, float]:
        """This rank's images of a global batch, and the weight of its loss: the whole batch, at 1."""
        return index, 1.0

    def stops_before_step(self, stop_set: bool) -> bool:
        """Whether to stop before the step: alone, a stop request is obeyed at once."""
        return stop_set

    def reduce_step(self, values: list[float], images: int, weight: float, stop_set: bool) -> StepShare:
        """The step's batch-mean loss terms ``values`` (loss first) summed over its ``images``."""
        return StepShare([value * images for value in values], math.isfinite(values[0]), False)

    def scale_loss(self, loss: torch.Tensor, weight: float) -> torch.Tensor:
        """The loss to back-propagate: alone, the batch mean itself."""
        return loss

    def validation_totals(
        self, totals: ValidationTotals, model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor
    ) -> dict[str, Any]:
        """``totals`` (vae.training's validation sums) over all validation images."""
        return totals(model, images, labels, 1000)

    def main_value(self, value: float) -> float:
        """A number every rank must agree on (a clock reading): this process's own."""
        return value


class DataParallel(SingleProcess):
    """The loop's hooks for one rank of a torchrun job: shares of each batch, all-reduces, rank 0's clock."""

    def __init__(self, world: World, device: torch.device) -> None:
        super().__init__(world)
        self.device = device

    def rank_seed(self, epoch_seed: int) -> int:
        """Each rank draws its own noise; the shuffle (seeded by the caller) stays the same on every rank."""
        return epoch_seed + (self.world.rank << 40)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model in DistributedDataParallel, which averages the ranks' gradients during backward()."""
        from torch.nn.parallel import DistributedDataParallel

        device = self.device
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        net.config = model.config  # the loss reads the config from the module it calls
        return net

    def share(self, index: torch.Tensor) -> tuple[torch.Tensor, float]:
        """This rank's images of a global batch and the weight that makes DDP's gradient average exact.

        DDP averages the ranks' gradients; scaling each rank's mean loss by (its images x ranks / batch images)
        turns that average into the gradient of the whole batch's mean loss, even when the shares differ by one.
        A rank left without images (a last batch smaller than the world) still runs one image at weight 0,
        because every rank has to join every gradient all-reduce.
        """
        mine = shard(index, self.world)
        if len(mine) == 0:
            return index[:1], 0.0
        return mine, len(mine) * self.world.size / len(index)

    def stops_before_step(self, stop_set: bool) -> bool:
        """Never alone: a stop is shared through :meth:`reduce_step`, so all ranks stop at the same step."""
        return False

    def reduce_step(self, values: list[float], images: int, weight: float, stop_set: bool) -> StepShare:
        """One small all-reduce per batch: the loss sums, "any rank diverged", "any rank was asked to stop". All
        ranks then take the same branch, so none is left waiting in DDP's backward."""
        local = [value * images if weight else 0.0 for value in values]
        shared = sum_all([*local, float(not math.isfinite(values[0])), float(stop_set)], self.device)
        return StepShare(shared[: len(values)], shared[-2] == 0, bool(shared[-1]))

    def scale_loss(self, loss: torch.Tensor, weight: float) -> torch.Tensor:
        return loss * weight

    def validation_totals(
        self, totals: ValidationTotals, model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor
    ) -> dict[str, Any]:
        """``totals`` with each rank taking a strided share of the images and the sums added over the ranks."""
        for buffer in model.buffers():  # BatchNorm statistics: every rank validates (and saves) rank 0's
            dist.broadcast(buffer, src=0)
        mine = totals(model, shard(images, self.world), shard(labels, self.world), 1000)
        per_dim: list[float] = []
        if model.config.kind == "vae":  # a rank without validation images still adds its zeros
            kl_dims = mine["kl_per_dim"]
            per_dim = kl_dims.tolist() if kl_dims is not None else [0.0] * model.config.latent_dim
        summed = sum_all([float(mine[k]) for k in _VALIDATION_TOTALS] + per_dim, images.device)
        shared: dict[str, Any] = dict(zip(_VALIDATION_TOTALS, summed, strict=False))
        shared["kl_per_dim"] = summed[len(_VALIDATION_TOTALS) :] or None
        return shared

    def main_value(self, value: float) -> float:
        """Rank 0's number on every rank, so decisions based on it (the time budget) agree everywhere."""
        return from_main([value], self.device)[0]


def hooks_for(world: World, device: torch.device) -> SingleProcess:
    """The hooks of a training run in ``world``: :class:`DataParallel` under torchrun, else :class:`SingleProcess`."""
    return DataParallel(world, device) if world.distributed else SingleProcess(world)
