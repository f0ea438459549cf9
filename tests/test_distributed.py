"""Data-parallel training under torchrun: two CPU processes match one process with the same global batch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from vae.checkpoint import load, read_checkpoint
from vae.distributed import DistributedError, World, detect, shard
from vae.train import _my_share

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--latent-dim", "2", "--hidden", "32", "--epochs", "2", "--train-limit", "2048", "--batch-size", "128"]
TINY += ["--seed", "7", "--no-progress"]


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=REPO)  # two ranks on two cores: one thread each
    return env


def _run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=REPO, env=_child_env(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.mark.slow
def test_two_processes_match_one_process(tmp_path):
    single = _run([sys.executable, "-m", "vae.train", *TINY, "--out", str(tmp_path / "one")])
    # --standalone: torchrun's own rendezvous on a free local port, so parallel test runs cannot collide.
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    double = _run([*launcher, "-m", "vae.train", *TINY, "--out", str(tmp_path / "two")])

    one, two = read_checkpoint(tmp_path / "one"), read_checkpoint(tmp_path / "two")
    assert [e["epoch"] for e in two.history] == [1, 2]
    assert two.dataset["train_size"] == 2048  # the history counts the images of all ranks
    for a, b in zip(one.history, two.history, strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=0.01)
        assert b["valid_loss"] == pytest.approx(a["valid_loss"], rel=0.01)
    assert two.info["command"].startswith("torchrun --nproc_per_node=2 -m vae.train")
    assert load(tmp_path / "two").config == load(tmp_path / "one").config
    # Only rank 0 reports: one line per epoch, one "saved" line, as in the single-process run.
    assert double.stdout.count("epoch   1") == 1 and double.stdout.count("saved ") == 1
    assert single.stdout.count("epoch   1") == 1


def test_detect_reads_torchrun_environment(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert detect() == World() and not detect().distributed
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    world = detect()
    assert (world.rank, world.size, world.local_rank, world.distributed, world.is_main) == (3, 4, 1, True, False)
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(DistributedError, match="RANK 4 does not fit WORLD_SIZE 4"):
        detect()


@pytest.mark.parametrize("batch", [128, 99, 3, 1])
def test_shares_cover_each_global_batch_once_with_exact_weights(batch):
    world_size = 2
    index = torch.randperm(1000)[:batch]
    shares = [_my_share(index, World(rank=r, size=world_size)) for r in range(world_size)]
    real = [mine for mine, weight in shares if weight > 0]
    assert sorted(torch.cat(real).tolist()) == sorted(index.tolist())
    # DDP averages the ranks' gradients: the weights must make that the mean over the whole batch.
    assert sum(weight for _, weight in shares) / world_size == pytest.approx(1.0)
    assert all(len(mine) >= 1 for mine, _ in shares)  # an empty rank still joins the step
    assert torch.equal(shard(index, World()), index)
