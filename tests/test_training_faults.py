"""Killing a real training process never costs more than the unfinished epoch.

A `python -m vae.train`-style subprocess gets SIGTERM or SIGKILL in the middle of an epoch, while the
checkpoint's files are being staged, and between the two renames that swap the checkpoint folder. Afterwards
the last complete checkpoint loads, and `--resume` ends with exactly the weights of an uninterrupted run.

Hitting those moments is deterministic, not timed: in the middle of an epoch the child (tests/_blocking_train.py)
blocks inside one training step until the test has sent its signal; during a checkpoint write the test hook of
vae/checkpoint.py (VAE_SLOW_CHECKPOINT_WRITE_SECONDS) announces each stage on stderr and pauses there.
"""

from __future__ import annotations

import math
import os
import queue
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
from vae.config import TrainConfig
from vae.stopping import TrainingError
from vae.training import fit

REPO = Path(__file__).resolve().parent.parent
TRAIN_LIMIT, BATCH, EPOCHS = 2000, 128, 3
STEPS_PER_EPOCH = math.ceil(TRAIN_LIMIT / BATCH)
ARGS = ["--latent-dim", "2", "--hidden", "32", "--epochs", str(EPOCHS), "--train-limit", str(TRAIN_LIMIT)]
ARGS += ["--batch-size", str(BATCH), "--seed", "5", "--no-progress"]
WRITE_PAUSE_SECONDS = "1.5"

CHILD = REPO / "tests" / "_blocking_train.py"  # vae.train's main() with a step that can hold still


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAE_SLOW_", "TEST_"))}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=str(REPO), **extra)
    return env


def _state(out: Path) -> dict[str, torch.Tensor]:
    return load_file(out / "training_state.safetensors")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, torch.Tensor]:
    out = tmp_path_factory.mktemp("reference") / "run"
    subprocess.run(
        [sys.executable, "-m", "vae.train", *ARGS, "--out", str(out)], cwd=REPO, env=_env(), check=True, timeout=120
    )
    return _state(out)


class Child:
    """A training subprocess whose stderr lines the test can wait for."""

    def __init__(self, out: Path, **env: str) -> None:
        self.release = out.parent / "release"
        env.setdefault("TEST_RELEASE_FILE", str(self.release))
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), *ARGS, "--out", str(out)],
            cwd=REPO,
            env=_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout, False), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr, True), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, lines: list[str], announce: bool) -> None:
        for line in stream:
            lines.append(line)
            if announce:
                self._lines.put(line)

    def wait_for(self, text: str, occurrence: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None and self._lines.empty():
                    break
                continue
            seen += text in line
            if seen == occurrence:
                return
        self.process.kill()
        output = f"stdout:\n{''.join(self.stdout)}\nstderr:\n{''.join(self.stderr)}"
        pytest.fail(f"never saw {text!r} (occurrence {occurrence}); {output}")

    def finish(self, timeout: float = 60) -> int:
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code


def _resume_and_compare(out: Path, uninterrupted: dict[str, torch.Tensor]) -> None:
    subprocess.run(
        [sys.executable, "-m", "vae.train", "--resume", "--out", str(out), "--no-progress"],
        cwd=REPO,
        env=_env(),
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert [e["epoch"] for e in read_checkpoint(out).history] == list(range(1, EPOCHS + 1))
    resumed = _state(out)
    assert resumed.keys() == uninterrupted.keys()
    for key in resumed:
        assert torch.equal(resumed[key], uninterrupted[key]), key
    assert not list(out.parent.glob(f".{out.name}.*")), "no staging or .old folder may be left behind"


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_signal_in_the_middle_of_an_epoch(tmp_path, uninterrupted, sig):
    out = tmp_path / "run"
    step = STEPS_PER_EPOCH + 5  # the fifth batch of epoch 2
    child = Child(out, TEST_BLOCK_AT_STEP=str(step))
    child.wait_for(f"test-blocked-at-step {step}")
    child.process.send_signal(sig)
    child.release.touch()  # SIGTERM: the step finishes, the next batch sees the stop flag
    code = child.finish()
    stderr = "".join(child.stderr)
    if sig == signal.SIGTERM:
        assert code == 143, stderr
        assert (
            f"interrupted: stopped by SIGTERM during epoch 2; the checkpoint in {out} holds epoch 1 "
            "and continues with --resume"
        ) in stderr
    else:
        assert code == -signal.SIGKILL
    assert read_checkpoint(out).progress["epoch"] == 1
    assert load(out).config.latent_dim == 2
    _resume_and_compare(out, uninterrupted)


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("stage", ["staged-weights", "between-renames"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_signal_in_the_middle_of_a_checkpoint_write(tmp_path, uninterrupted, sig, stage):
    out = tmp_path / "run"
    child = Child(out, VAE_SLOW_CHECKPOINT_WRITE_SECONDS=WRITE_PAUSE_SECONDS)
    child.wait_for("checkpoint-write: started", occurrence=2)  # epoch 2's write (epoch 1's had no old folder)
    child.wait_for(f"checkpoint-write: {stage}")
    child.process.send_signal(sig)
    staging = tmp_path / f".run.tmp-{child.process.pid}"
    # The signal landed inside the write: the folder is away between the renames, half staged before them.
    assert not out.exists() if stage == "between-renames" else not (staging / "config.json").exists()
    code = child.finish()
    stderr = "".join(child.stderr)
    if sig == signal.SIGTERM:
        # The handler only sets the stop flag: the write completes, and the run stops at epoch 3's first batch.
        assert code == 143, stderr
        after_signal = stderr[stderr.rindex(f"checkpoint-write: {stage}") :]
        assert "checkpoint-write: finished" in after_signal
        assert f"stopped by SIGTERM during epoch 3; the checkpoint in {out} holds epoch 2" in stderr
        assert not list(tmp_path.glob(".run.*"))
        expected_epoch = 2
    else:
        assert code == -signal.SIGKILL
        assert (tmp_path / ".run.old" if stage == "between-renames" else staging).is_dir()
        assert (stage == "between-renames") != out.exists()  # between the renames the folder is gone ...
        expected_epoch = 1  # ... and reading restores the previous checkpoint from .run.old
    assert load(out).config.hidden == (32,)
    assert read_checkpoint(out).progress["epoch"] == expected_epoch
    _resume_and_compare(out, uninterrupted)


def test_nan_appearing_in_a_later_epoch_keeps_the_last_good_checkpoint(tmp_path, tiny_vae_config, mnist_small):
    train_x, train_y, valid_x, valid_y = (t.clone() for t in mnist_small)

    def poison_after_epoch_1(entry):
        if entry["epoch"] == 1:
            train_x[300, 0, 14, 14] = float("nan")  # fit batches from this very tensor (CPU: no copy)

    with pytest.raises(TrainingError) as caught:
        fit(
            tiny_vae_config,
            TrainConfig(epochs=3, batch_size=128),
            tmp_path / "run",
            data=(train_x, train_y, valid_x, valid_y),
            progress=False,
            on_epoch=poison_after_epoch_1,
        )
    message = str(caught.value)
    assert "the loss became nan at epoch 2" in message and f"epoch 1 is kept in {tmp_path / 'run'}" in message
    assert "NaN or infinite pixels (training image 300); fix the data" in message
    assert read_checkpoint(tmp_path / "run").progress["epoch"] == 1
    model = load(tmp_path / "run")
    assert all(torch.isfinite(p).all() for p in model.parameters())
