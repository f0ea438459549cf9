"""Data-parallel helpers for ``torchrun -m vae.train``: who am I, start/stop the process group, reductions.

torchrun starts one process per device and tells each its place through the environment (``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK``); :func:`detect` reads them. Without those variables (or with a world of one) every
helper here is a no-op, so a plain ``python -m vae.train`` run never touches ``torch.distributed``.

The training data sits in memory in every process. Each rank computes the same seeded permutation per epoch
and takes a strided share of every global batch (:func:`shard`), like ``DistributedSampler`` does per epoch;
``DistributedDataParallel`` averages the gradients. Processes talk over gloo on CPUs and NCCL on GPUs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

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
