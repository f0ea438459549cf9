"""Training runs started from the app: one job at a time per runs folder, each job in its own process group.

A job is one run or a queue of runs (the beta sweep). The server only claims the lock and starts the worker
(``python -m explorer.train.run_worker``), which trains each run with the CLI itself (``python -m vae.train``),
then evaluates it. Everything the pages show is read back from files, so a reload, a second tab or a
restarted server finds the same run:

    <root>/<name>/             the checkpoint vae.train rewrites after every epoch (an atomic folder swap,
                               so nothing else may live inside it)
    <root>/.status/<name>.json the run's settings, state, exit code and reason
    <root>/.status/<name>.log  the trainer's and the evaluators' output
    <root>/.lock               {"pid": the worker, leader of the job's process group, "runs": [...]}

The root is $VAE_RUNS, else runs/ in the repository (git-ignored); never the shipped checkpoints/.
A run's settings, name and status file live in explorer.train.run_records. No Streamlit here: the tests
drive these functions directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.train.run_records import (
    REPO,
    STATUS,
    RunSpec,
    RunStatus,
    read_status,
    run_name,
    runs_root,
    status_path,
    update_status,
    write_json,
)

LOCK = ".lock"
TRAINER = ("-m", "vae.train")  # what the worker runs after `python`; tests swap in a fault-injecting copy
_children: list[subprocess.Popen] = []  # workers this process started; polled so none stays a zombie
_claiming: Counter[str] = Counter()  # roots where this process is inside start(), maybe holding the lock with its pid
_claiming_guard = threading.Lock()  # sessions run in threads of one server process
CLAIM_SECONDS = 30.0  # how long another process's claim (its pid, before its worker's) counts as held


class RunBusy(RuntimeError):
    """Another job holds the lock; the message says which."""


# --------------------------------------------------------------------------------------------------------
# The lock


@dataclass(frozen=True)
class Lock:
    pid: int  # the worker: leader of the job's process group
    runs: tuple[str, ...]
    started: float


def _alive(pid: int) -> bool:
    for child in list(_children):  # reap our own finished workers, or they linger as zombies that look alive
        if child.poll() is not None:
            _children.remove(child)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # a zombie someone else has not reaped yet is dead too
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _is_worker(pid: int) -> bool:
    """Whether ``pid`` runs explorer.train.run_worker. A live process that is something else (the server that failed
    to start a job, an unrelated program that got a dead worker's pid) holds no job."""
    try:
        return b"explorer.train.run_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc to ask (not Linux) or not allowed to read it: trust the pid
        return True


def _holds(root: Path, lock: Lock, claim: bool) -> bool:
    """Whether the process named in a lock still holds the job."""
    if lock.pid <= 0 or not _alive(lock.pid):
        return False
    if lock.pid == os.getpid():  # our own claim counts only while start() is still inside it
        return _claiming[str(root)] > 0
    if claim:  # another server process between its claim and its worker's start
        return time.time() - lock.started < CLAIM_SECONDS
    if any(child.pid == lock.pid for child in _children):  # our own worker, maybe not yet past its exec (whose
        return True  # /proc cmdline would still be this server's, so _is_worker would call it a stranger)
    return _is_worker(lock.pid)


def _kill_leftovers(pid: int) -> None:
    """SIGKILL what is left of a dead worker's process group (a trainer or evaluator it started).

    Safe against pid reuse: while any member of group ``pid`` lives, the kernel does not hand out ``pid`` again,
    so with the leader gone the group holds only the old job's processes."""
    if pid <= 0 or pid == os.getpid() or _alive(pid):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def read_lock(root: Path | None = None) -> Lock | None:
    """The job holding the lock, or None. A stale lock (its process gone, or alive but not a worker) is removed,
    what is left of its process group killed and its unfinished runs marked failed, so a killed worker or a
    failed start never blocks the server."""
    root = root or runs_root()
    path = root / LOCK
    try:
        text = path.read_text()
        data = json.loads(text)
        lock = Lock(int(data["pid"]), tuple(data.get("runs", ())), float(data.get("started", 0)))
        claim = bool(data.get("claim"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        lock, claim = Lock(-1, (), 0.0), False  # unreadable: treat as stale
        text = None
    if _holds(root, lock, claim):
        return lock
    if not claim:
        _kill_leftovers(lock.pid)
    with contextlib.suppress(OSError):
        if text is None or path.read_text() == text:  # not replaced by a new job meanwhile
            path.unlink()
    for name in lock.runs:
        status = read_status(root, name)
        if status is not None and status.active:
            reason = "the training process ended without a report (killed, or the machine restarted)"
            with contextlib.suppress(OSError):  # an unwritable status folder must not block the server
                update_status(root, name, state="failed", reason=reason, ended=time.time())
    return None


def _claim(root: Path, data: dict[str, Any]) -> None:
    """Create the lock with its content in one step (link fails if it exists), so no one reads half a lock."""
    temporary = root / f".lock.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(data))
    try:
        os.link(temporary, root / LOCK)
    except FileExistsError:
        raise RunBusy("another run holds the lock") from None
    finally:
        temporary.unlink()


def busy_message(lock: Lock) -> str:
    when = _dt.datetime.fromtimestamp(lock.started).strftime("%H:%M:%S")
    what = "a beta sweep" if len(lock.runs) > 1 else "a training run"
    return (
        f"{what.capitalize()} started at {when} is in progress on this server; one run at a time, so the two "
        "cores stay shared fairly with everyone exploring. You can watch it here and start yours when it ends."
    )


def active_run(root: Path | None = None) -> RunStatus | None:
    """The run the current job is working on (training or evaluating), or None when no job runs."""
    root = root or runs_root()
    lock = read_lock(root)
    if lock is None:
        return None
    found = [s for s in (read_status(root, n) for n in lock.runs) if s is not None]
    working = [s for s in found if s.state == "running" or s.evaluation == "running"]
    queued = [s for s in found if s.state == "queued"]
    return (working or queued or found or [None])[0]


def statuses(root: Path | None = None) -> list[RunStatus]:
    """Every run the app started under ``root``, newest first (stale locks are cleared first)."""
    root = root or runs_root()
    read_lock(root)
    found = [read_status(root, p.stem) for p in (root / STATUS).glob("*.json")] if (root / STATUS).is_dir() else []
    return sorted((s for s in found if s is not None), key=lambda s: (s.created, s.name), reverse=True)


# --------------------------------------------------------------------------------------------------------
# Starting and stopping


def _child_env() -> dict[str, str]:
    # One thread per library: the server's sessions need the other core. The worker lowers its own priority
    # (os.nice) rather than a preexec_fn here, which is unsafe in a threaded server; the worker, which has one
    # thread, ties its children's lives to its own (explorer.train.run_worker.die_with_parent).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return env


def start(
    specs: Sequence[RunSpec],
    root: Path | None = None,
    *,
    classifier: Path | None = None,
    evaluate: bool = True,
    trainer: Sequence[str] = TRAINER,
) -> list[str]:
    """Queue ``specs`` as one job and start its worker; returns the run names. Raises RunBusy when a job
    runs already, ValueError on bad settings. ``classifier`` (a checkpoint) enables sample-quality metrics."""
    root = root or runs_root()
    problems = [p for spec in specs for p in spec.problems()]
    if not specs or problems:
        raise ValueError("; ".join(problems) or "nothing to train")
    root.mkdir(parents=True, exist_ok=True)
    lock = read_lock(root)  # also clears a stale one
    if lock is not None:
        raise RunBusy(busy_message(lock))
    now = time.time()
    taken = {p.name for p in root.iterdir()} | {p.stem for p in (root / STATUS).glob("*.json")}
    names: list[str] = []
    for spec in specs:
        names.append(run_name(spec, now, taken | set(names)))
    with _claiming_guard:
        _claiming[str(root)] += 1
    try:
        _claim(root, {"pid": os.getpid(), "runs": names, "started": now, "claim": True})  # ours until the worker's
        try:
            _launch(root, specs, names, now, classifier, evaluate, trainer)
        except BaseException as error:  # whatever failed, the lock is released and the runs say why
            _abandon(root, names, error)
            raise
    finally:
        with _claiming_guard:
            _claiming[str(root)] -= 1
    return names


def _launch(
    root: Path,
    specs: Sequence[RunSpec],
    names: list[str],
    now: float,
    classifier: Path | None,
    evaluate: bool,
    trainer: Sequence[str],
) -> None:
    """Write the runs' status files, start the worker and hand it the lock."""
    sweep = names[0] if len(names) > 1 else ""
    for name, spec in zip(names, specs, strict=True):
        write_json(
            status_path(root, name),
            {"name": name, "spec": dataclasses.asdict(spec), "state": "queued", "created": now, "sweep": sweep},
        )
    command = [
        sys.executable,
        "-m",
        "explorer.train.run_worker",
        "--root",
        str(root),
        "--trainer",
        json.dumps(list(trainer)),
    ]
    if classifier is not None:
        command += ["--classifier", str(classifier)]
    command += [*([] if evaluate else ["--no-eval"]), *names]
    with open(root / STATUS / "worker.log", "ab") as log:
        worker = subprocess.Popen(
            command,
            cwd=REPO,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    _children.append(worker)
    try:
        write_json(root / LOCK, {"pid": worker.pid, "runs": names, "started": now})
    except BaseException:  # a worker nobody can see or stop must not train on
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        raise


def _abandon(root: Path, names: list[str], error: BaseException) -> None:
    """After a failed start: mark the runs failed where their status can still be written, drop our lock."""
    for name in names:
        with contextlib.suppress(OSError):
            update_status(root, name, state="failed", reason=f"could not start the worker: {error}")
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if json.loads((root / LOCK).read_text())["pid"] == os.getpid():
            (root / LOCK).unlink()


def stop(root: Path | None = None) -> bool:
    """SIGTERM to the job's process group: the trainer stops at its next batch and keeps the last complete
    epoch; queued runs are cancelled. False when nothing was running."""
    lock = read_lock(root or runs_root())
    if lock is None or lock.pid == os.getpid():
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(lock.pid, signal.SIGTERM)
    return True


def wait(root: Path | None = None, timeout: float = 120.0) -> bool:
    """Block until no job holds the lock (for tests and scripts); True if it ended within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_lock(root or runs_root()) is None:
            return True
        time.sleep(0.1)
    return False


def usable_folders(root: Path | None = None) -> list[Path]:
    """Checkpoint folders under ``root`` that pages may use: every folder except runs still queued or
    training (a CLI run written to runs/ counts too)."""
    root = root or runs_root()
    if not root.is_dir():
        return []
    busy = {s.name for s in statuses(root) if s.active}
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in busy)
