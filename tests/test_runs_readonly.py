"""Reading the runs folder has no side effects; a person's Start settles what a dead job left.

A real job (explorer.train.runs.start -> explorer.train.run_worker -> tests/_blocking_train.py) is SIGKILLed in the
middle of an epoch, which leaves what a killed job leaves: the lock's description of a dead worker, a status
saying "running" and the trainer's ``.<run>.writer`` file. A second status says its evaluation is running. Then
every read helper runs many times with os.kill and os.killpg booby-trapped, and the folder (every file's bytes,
size and mtime) must be exactly as before; the reads must still show the truth (the runs failed). Start then
writes it down and works.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import time
from pathlib import Path

import pytest

from explorer.train import run_lock, run_records, run_settle, runs
from explorer.train.run_records import RunSpec

REPO = Path(__file__).resolve().parent.parent
SPEC = RunSpec("vae", "mlp", 2, beta=1.0, epochs=40, max_minutes=0.0, train_limit=512, hidden=(16,), seed=3)
BLOCKING = (str(REPO / "tests" / "_blocking_train.py"),)
EVALUATING = "20250101-000000-vae-z2-b1"  # a run of an earlier job, "evaluating" when the machine went down


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for key in [k for k in os.environ if k.startswith(("TEST_", "VAE_SLOW_"))]:
        monkeypatch.delenv(key)


def folder_state(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under ``root``: (mtime in ns, size, sha256 of a file's bytes)."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        state[str(path.relative_to(root))] = (info.st_mtime_ns, info.st_size, digest)
    return state


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def kill_a_job_mid_epoch(root: Path, monkeypatch) -> str:
    """Start a real job, SIGKILL its worker while the trainer holds still at step 2; returns the run's name."""
    monkeypatch.setenv("TEST_BLOCK_AT_STEP", "2")
    monkeypatch.setenv("TEST_RELEASE_FILE", str(root / "release"))
    (name,) = runs.start([SPEC], root, evaluate=False, trainer=BLOCKING)
    deadline = time.monotonic() + 90
    while not re.search(r"test-blocked-at-step 2", run_records.log_tail(root, name, 200)):
        assert time.monotonic() < deadline, run_records.log_tail(root, name, 40)
        time.sleep(0.05)
    worker = runs.read_lock(root).pid
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not (_gone(worker) and not run_lock.held(root)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return name


def test_reads_change_nothing_and_a_start_settles_the_dead_job(tmp_path, monkeypatch):
    killed = kill_a_job_mid_epoch(tmp_path, monkeypatch)
    finished = {"state": "finished", "reason": "completed", "created": 1.0}
    run_records.update_status(tmp_path, EVALUATING, spec=SPEC.__dict__, evaluation="running", **finished)
    assert (tmp_path / f".{killed}.writer").exists(), "the killed trainer should have left its flock file"
    assert run_lock.read_content(tmp_path).pid > 0, "the dead worker's description should still be there"
    before = folder_state(tmp_path)

    def forbidden(*args):
        raise AssertionError(f"a read sent a signal {args}")

    with monkeypatch.context() as trap:
        trap.setattr(os, "kill", forbidden)
        trap.setattr(os, "killpg", forbidden)
        for _ in range(25):
            view = runs.scan(tmp_path)
            assert runs.read_lock(tmp_path) is None and runs.active_run(tmp_path) is None
            assert [s.name for s in runs.statuses(tmp_path)] == [killed, EVALUATING]
            assert runs.usable_folders(tmp_path) == []
            assert runs.wait(tmp_path, 0.5)
    assert folder_state(tmp_path) == before, "reading the runs folder changed it"

    # What the reads showed: the truth, without writing it down.
    assert view.job is None and view.unsettled and not view.damaged
    shown = view.status(killed)
    assert (shown.state, shown.reason) == ("failed", run_records.ENDED_UNREPORTED)
    assert view.status(EVALUATING).evaluation.startswith("failed: the evaluation ended without a report")
    assert run_records.read_status(tmp_path, killed).state == "running"  # on disk, until someone acts

    (name,) = runs.start([RunSpec(**{**SPEC.__dict__, "epochs": 1})], tmp_path, evaluate=False, trainer=("-c", "pass"))
    assert runs.wait(tmp_path, 60)
    settled = run_records.read_status(tmp_path, killed)
    assert (settled.state, settled.reason) == ("failed", run_records.ENDED_UNREPORTED) and settled.ended
    assert run_records.read_status(tmp_path, EVALUATING).evaluation.startswith("failed: the evaluation ended")
    assert run_records.read_status(tmp_path, name).state == "finished"
    assert run_settle.markers(tmp_path) == [], "a marker file of the dead job was left"
    assert (tmp_path / runs.LOCK).read_text() == ""
    view = runs.scan(tmp_path)
    assert not view.unsettled and view.job is None


def test_stop_settles_a_dead_job_and_signals_nothing_alive(tmp_path, monkeypatch):
    killed = kill_a_job_mid_epoch(tmp_path, monkeypatch)
    assert runs.stop(tmp_path) is False  # nothing was running: the dead job is written down instead
    assert run_records.read_status(tmp_path, killed).state == "failed"
    assert run_settle.markers(tmp_path) == [] and (tmp_path / runs.LOCK).read_text() == ""
    before = folder_state(tmp_path)
    assert runs.stop(tmp_path) is False
    assert folder_state(tmp_path) == before, "a second Stop had nothing to settle"


def test_two_starts_at_once_start_exactly_one_job(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("TEST_BLOCK_AT_STEP", "1")
    monkeypatch.setenv("TEST_RELEASE_FILE", str(tmp_path / "release"))
    results: list[object] = []
    barrier = threading.Barrier(2)

    def press_start() -> None:
        barrier.wait()
        try:
            results.append(runs.start([SPEC], tmp_path, evaluate=False, trainer=BLOCKING))
        except runs.RunBusy as error:
            results.append(error)

    tabs = [threading.Thread(target=press_start) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    started = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, runs.RunBusy)]
    assert len(started) == 1 and len(refused) == 1, results
    assert "one run at a time" in str(refused[0]) or "starting" in str(refused[0])
    assert len(run_settle.status_names(tmp_path)) == 1  # the refused start wrote nothing
    deadline = time.monotonic() + 90
    while "test-blocked-at-step 1" not in run_records.log_tail(tmp_path, started[0][0], 200):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert runs.stop(tmp_path)
    (tmp_path / "release").touch()
    assert runs.wait(tmp_path, 60)
    assert run_records.read_status(tmp_path, started[0][0]).state == "stopped"
