"""Data-parallel training under torchrun: two CPU processes match one process with the same global batch,
a signal to one rank stops both at the same batch, and a resumed two-process run repeats an uninterrupted one."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from vae.checkpoint import load, read_checkpoint
from vae.distributed import DataParallel, DistributedError, World, detect, shard

REPO = Path(__file__).resolve().parent.parent
TINY = ["--latent-dim", "2", "--hidden", "32", "--epochs", "2", "--train-limit", "2048", "--batch-size", "128"]
TINY += ["--seed", "7", "--no-progress"]
# --standalone: torchrun's own rendezvous on a free local port, so parallel test runs cannot collide.
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))  # two ranks on two cores: one thread each
    return env


def _run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=REPO, env=_child_env(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("ddp")
    single = _run([sys.executable, "-m", "vae.train", *TINY, "--out", str(root / "one")])
    double = _run([*TORCHRUN, "-m", "vae.train", *TINY, "--out", str(root / "two")])
    return {"one": root / "one", "two": root / "two", "single": single, "double": double}


@pytest.mark.slow
def test_two_processes_match_one_process(runs):
    one, two = read_checkpoint(runs["one"]), read_checkpoint(runs["two"])
    assert [e["epoch"] for e in two.history] == [1, 2]
    assert two.dataset["train_size"] == 2048
    for a, b in zip(one.history, two.history, strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=0.01)
        assert b["valid_loss"] == pytest.approx(a["valid_loss"], rel=0.01)
    assert two.info["command"].startswith("torchrun --nproc_per_node=2 -m vae.train")
    assert load(runs["two"]).config == load(runs["one"]).config
    # Only rank 0 reports: one line per epoch, one "saved" line, as in the single-process run.
    assert runs["double"].stdout.count("epoch   1") == 1 and runs["double"].stdout.count("saved ") == 1
    assert runs["single"].stdout.count("epoch   1") == 1


def _stop_rank_one_when_blocked(child: subprocess.Popen, block_at: int, release: Path) -> tuple[str, str]:
    """Waits for rank 1 to say it is blocked at step `block_at`, sends SIGTERM to rank 1 alone, releases both
    ranks and waits for torchrun to end; returns its stdout and stderr."""
    lines: queue.Queue[str] = queue.Queue()
    stderr: list[str] = []

    def read() -> None:
        for line in child.stderr:
            stderr.append(line)
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline, "".join(stderr)
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                assert child.poll() is None, "".join(stderr)
                continue
            blocked = re.search(rf"test-blocked-at-step {block_at} rank 1 pid (\d+)$", line.strip())
            if blocked:
                break
        os.kill(int(blocked.group(1)), signal.SIGTERM)  # rank 1 alone; rank 0 must learn it at the next batch
        release.touch()
        stdout = child.stdout.read()  # stderr belongs to the reader thread (communicate() would race it)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    reader.join(timeout=5)
    return stdout, "".join(stderr)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigterm_to_one_rank_stops_all_and_resume_is_exact(runs, tmp_path):
    out, release = tmp_path / "run", tmp_path / "release"
    block_at = 16 + 3  # 2048 / 128 = 16 batches per epoch: the third batch of epoch 2
    child = subprocess.Popen(
        [*TORCHRUN, str(REPO / "tests" / "_blocking_train.py"), *TINY, "--out", str(out)],
        cwd=REPO,
        # Rank 0 blocks SIGTERM (see _blocking_train.py): torchrun's own SIGTERM, sent once rank 1 has exited,
        # cannot reach it, so the only way rank 0 can stop is by learning of rank 1's stop at the next batch.
        env={
            **_child_env(),
            "TEST_BLOCK_AT_STEP": str(block_at),
            "TEST_RELEASE_FILE": str(release),
            "TEST_BLOCK_SIGTERM_ON_RANK": "0",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, text = _stop_rank_one_when_blocked(child, block_at, release)
    assert child.returncode != 0, f"stdout:\n{stdout}\nstderr:\n{text}"  # torchrun reports stopped workers as failed
    assert re.search(r"exitcode\s*:\s*143", text), text  # our exit code for a stop by SIGTERM
    # Rank 0 never saw a signal: it stopped in epoch 2 because rank 1's stop reached it through the all-reduce.
    stopped = rf"stopped by a stop request on another rank during epoch 2; the checkpoint in {re.escape(str(out))}"
    assert re.search(stopped + " holds epoch 1", text), text  # rank 0 speaks for both
    assert "stopped by SIGTERM" not in text
    assert "epoch   2" not in stdout
    saved = read_checkpoint(out)
    assert saved.progress["epoch"] == 1 and [e["epoch"] for e in saved.history] == [1]
    # After one epoch the best weights are that epoch's weights: load() returns exactly the saved state.
    model, state = load(out), load_file(out / "training_state.safetensors")
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[f"model.{key}"]), key
    assert model.decode(torch.zeros(3, 2)).shape == (3, 1, 28, 28)

    _run([*TORCHRUN, "-m", "vae.train", "--resume", "--out", str(out), "--no-progress"])
    resumed, straight = (load_file(path / "training_state.safetensors") for path in (out, runs["two"]))
    assert resumed.keys() == straight.keys()
    for key in resumed:
        assert torch.equal(resumed[key], straight[key]), key


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


def _my_share(index: torch.Tensor, world: World) -> tuple[torch.Tensor, float]:
    """A rank's share of a global batch, as the training loop asks the hooks for it."""
    return DataParallel(world, torch.device("cpu")).share(index)


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


def test_a_launch_without_a_rendezvous_fails_with_a_clear_message(monkeypatch, capsys, tmp_path):
    from vae.train import main

    for name in ("MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert main([*TINY, "--device", "cpu", "--out", str(tmp_path / "run")]) == 2
    assert "rank 0 could not join the process group" in capsys.readouterr().err
    assert not torch.distributed.is_initialized()
