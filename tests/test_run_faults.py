"""Faults around a training job: the worker killed outright, a start that fails half-way, a lock held by a
live process that is no worker, and two trainers aimed at one folder.

The jobs are real (explorer.train.runs.start -> explorer.train.run_worker -> tests/_blocking_train.py), on tiny
models; the blocking trainer holds still inside a known step, so each signal lands at a known point.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer.train import run_lock, run_records, runs
from explorer.train.run_records import RunSpec
from vae.checkpoint import read_checkpoint, writer_lock_path

REPO = Path(__file__).resolve().parent.parent
LIMIT = 512  # 4 training steps of 128 per epoch
SPEC = RunSpec("vae", "mlp", 2, beta=1.0, epochs=1, max_minutes=0.0, train_limit=LIMIT, hidden=(16,), seed=3)
BLOCKING = (str(REPO / "tests" / "_blocking_train.py"),)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for key in [k for k in os.environ if k.startswith(("TEST_", "VAE_SLOW_"))]:
        monkeypatch.delenv(key)


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (nobody may reap a re-parented child in a container)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _blocked_pid(root: Path, name: str, timeout: float = 90) -> int:
    """The trainer's pid, once it prints that it is holding still inside its blocking step."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"test-blocked-at-step \d+ rank \d+ pid (\d+)", run_records.log_tail(root, name, 200))
        if found:
            return int(found.group(1))
        time.sleep(0.05)
    pytest.fail(f"the trainer never blocked:\n{run_records.log_tail(root, name, 40)}")


def test_a_killed_worker_takes_its_trainer_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_BLOCK_AT_STEP", "2")
    monkeypatch.setenv("TEST_RELEASE_FILE", str(tmp_path / "release"))
    spec = RunSpec(**{**SPEC.__dict__, "epochs": 40})
    (first,) = runs.start([spec], tmp_path, evaluate=False, trainer=BLOCKING)
    trainer = _blocked_pid(tmp_path, first)
    worker = runs.read_lock(tmp_path).pid
    assert worker != trainer and not _gone(trainer)

    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 10  # the kernel signals the trainer once the worker has exited, not at the kill:
    while not _gone(worker) and time.monotonic() < deadline:  # on a busy machine that may take a while
        time.sleep(0.005)
    (tmp_path / "release").touch()  # an orphan would now train on into the folder
    deadline = time.monotonic() + 10
    while not _gone(trainer) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(trainer), "the trainer outlived its worker"
    assert runs.read_lock(tmp_path) is None
    status = runs.scan(tmp_path).status(first)
    assert status.state == "failed" and "without a report" in status.reason
    assert not (tmp_path / first).exists(), "the killed trainer wrote an epoch after its worker died"

    (second,) = runs.start([SPEC], tmp_path, evaluate=False)
    assert runs.wait(tmp_path, 120)
    assert run_records.read_status(tmp_path, second).state == "finished"
    status = run_records.read_status(tmp_path, first)  # written down by the second start
    assert status.state == "failed" and "without a report" in status.reason
    assert len(read_checkpoint(tmp_path / second).history) == 1
    assert not (tmp_path / first).exists()  # still nobody writing the first run's folder


def test_leftovers_of_a_dead_workers_group_are_killed_when_its_lock_is_cleared(tmp_path):
    # Without the parent-death signal (another OS, an older kernel) a trainer could outlive its worker;
    # settling the dead job (a person's Stop or Start) then kills what is left of the worker's process group.
    leader = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen(['sleep', '60']); print(1, flush=True)"],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    leader.stdout.readline()
    leader.wait()
    members = [
        int(p) for p in subprocess.run(["pgrep", "-g", str(leader.pid)], capture_output=True, text=True).stdout.split()
    ]
    assert members, "the orphaned sleep should still be in the dead leader's group"
    (tmp_path / runs.LOCK).write_text(json.dumps({"pid": leader.pid, "runs": [], "started": 1.0}))
    assert runs.read_lock(tmp_path) is None
    assert not all(_gone(p) for p in members), "reading must not kill anything"
    assert runs.stop(tmp_path) is False  # nothing was running; the dead job is settled
    deadline = time.monotonic() + 5
    while not all(_gone(p) for p in members) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(p) for p in members)


def test_a_failed_start_releases_the_lock(tmp_path, monkeypatch):
    real = run_records.write_json

    def refuse_status(path, data):
        if run_records.STATUS in Path(path).parts:
            raise PermissionError(1, "Operation not permitted", str(path))
        real(path, data)

    monkeypatch.setattr(runs, "write_json", refuse_status)
    with pytest.raises(PermissionError, match="Operation not permitted"):
        runs.start([SPEC], tmp_path, evaluate=False)
    assert not run_lock.held(tmp_path) and (tmp_path / runs.LOCK).read_text() == ""
    assert runs.read_lock(tmp_path) is None
    monkeypatch.setattr(runs, "write_json", real)  # the folder is writable again: the next start works
    (name,) = runs.start([SPEC], tmp_path, evaluate=False, trainer=("-c", "pass"))
    assert runs.wait(tmp_path, 60)
    assert run_records.read_status(tmp_path, name).state == "finished"


def test_a_lock_held_by_a_live_process_that_is_no_worker_is_stale(tmp_path):
    (tmp_path / run_records.STATUS).mkdir()
    run_records.update_status(tmp_path, "old", spec=SPEC.__dict__, state="queued", created=1.0)
    # The server's own pid, left by a start that failed before this fix: the server is alive but holds no flock.
    (tmp_path / runs.LOCK).write_text(json.dumps({"pid": os.getpid(), "runs": ["old"], "started": 1.0}))
    assert runs.read_lock(tmp_path) is None
    assert runs.scan(tmp_path).status("old").state == "failed"
    assert runs.stop(tmp_path) is False  # must not signal the server's own group
    assert run_records.read_status(tmp_path, "old").state == "failed" and (tmp_path / runs.LOCK).read_text() == ""
    # Any other live program that got the pid of a dead worker.
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / runs.LOCK).write_text(json.dumps({"pid": sleeper.pid, "runs": [], "started": time.time()}))
        assert runs.read_lock(tmp_path) is None
        assert runs.stop(tmp_path) is False
        assert sleeper.poll() is None, "a live process that is not ours must be left alone"
    finally:
        sleeper.kill()
        sleeper.wait()
    # Another server process between its claim and its worker's start holds the flock itself: the job is
    # alive for every reader and a start is refused, until that process ends (however it ends).
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / runs.LOCK)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert runs.read_lock(tmp_path) is not None
        with pytest.raises(runs.RunBusy, match="starting"):
            runs.start([SPEC], tmp_path, evaluate=False)
    finally:
        holder.kill()
        holder.wait()
    assert runs.read_lock(tmp_path) is None


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
print("holding", flush=True)
time.sleep(60)
"""


def test_a_second_trainer_refuses_a_folder_another_is_writing(tmp_path):
    out = tmp_path / "run"
    args = ["--latent-dim", "2", "--hidden", "16", "--epochs", "1", "--train-limit", str(LIMIT), "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "TEST_BLOCK_AT_STEP": "1"}
    env["TEST_RELEASE_FILE"] = str(tmp_path / "release")
    first = subprocess.Popen(
        [sys.executable, *BLOCKING, *args, "--out", str(out)], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert "test-blocked-at-step 1" in first.stderr.readline()
        assert writer_lock_path(out).read_text().strip() == str(first.pid)
        second = subprocess.run(
            [sys.executable, "-m", "vae.train", *args, "--out", str(out)],
            cwd=REPO,
            env={k: v for k, v in env.items() if not k.startswith("TEST_")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1
        assert f"another training process (pid {first.pid}) is writing this checkpoint" in second.stderr
        (tmp_path / "release").touch()
        assert first.wait(120) == 0
    finally:
        first.kill()
        first.wait()
    assert len(read_checkpoint(out).history) == 1
    assert not writer_lock_path(out).exists()  # released with its holder
