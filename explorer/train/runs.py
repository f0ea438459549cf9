"""Training runs started from the app: one job at a time per runs folder, each job in its own process group.

A job is one run or a queue of runs (the beta sweep). The server only takes the lock and starts the worker
(``python -m explorer.train.run_worker``), which trains each run with the CLI itself (``python -m vae.train``),
then evaluates it. Everything the pages show is read back from files, so a reload, a second tab or a
restarted server finds the same run:

    <root>/<name>/             the checkpoint vae.train rewrites after every epoch (an atomic folder swap,
                               so nothing else may live inside it)
    <root>/.status/<name>.json the run's settings, state, exit code and reason
    <root>/.status/<name>.log  the trainer's and the evaluators' output
    <root>/.lock               flocked by the job's worker for its whole life (explorer.train.run_lock);
                               its content describes the job: {"pid", "runs", "started"}

Pages read the folder only through :func:`scan`, one pass that changes nothing: it shows a dead job's runs as
failed without writing it down. A person's action, :func:`start` or :func:`stop`, settles it on disk
(explorer.train.run_settle). The root is $VAE_RUNS, else runs/ in the repository (git-ignored); never the
shipped checkpoints/. No Streamlit here: the tests drive these functions directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from explorer.train import run_lock, run_settle
from explorer.train.run_lock import LOCK, Lock, busy_message
from explorer.train.run_records import (
    REPO,
    STATUS,
    RunFileError,
    RunSpec,
    RunStatus,
    run_name,
    runs_root,
    status_path,
    update_status,
    write_json,
)
from explorer.train.run_scan import Damaged, RunsView, scan

# scan and the lock's names are re-exported: pages and tests reach everything as runs.<name>
__all__ = ["LOCK", "TRAINER", "Damaged", "Lock", "RunBusy", "RunFileError", "RunStatus", "RunsView", "busy_message"]
__all__ += ["active_run", "read_lock", "scan", "start", "statuses", "stop", "usable_folders", "wait"]
TRAINER = ("-m", "vae.train")  # what the worker runs after `python`; tests swap in a fault-injecting copy
_children: list[subprocess.Popen] = []  # workers this process started; polled so none stays a zombie


class RunBusy(RuntimeError):
    """Another job holds the lock; the message says which."""


# --------------------------------------------------------------------------------------------------------
# Thin views over scan, for scripts and tests


def read_lock(root: Path | None = None) -> Lock | None:
    """The live job's lock, or None."""
    return scan(root).job


def active_run(root: Path | None = None) -> RunStatus | None:
    return scan(root).active


def statuses(root: Path | None = None) -> list[RunStatus]:
    """Every run the app started under ``root``, newest first, as they really are."""
    return list(scan(root).statuses)


def usable_folders(root: Path | None = None) -> list[Path]:
    return list(scan(root).folders)


# --------------------------------------------------------------------------------------------------------
# Starting and stopping (a person's actions: the only places that settle a dead job on disk)


def _child_env() -> dict[str, str]:
    # One thread per library: the server's sessions need the other core. The worker lowers its own priority
    # (os.nice) rather than a preexec_fn here, which is unsafe in a threaded server; the worker, which has one
    # thread, ties its children's lives to its own (explorer.train.run_worker.die_with_parent).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return env


def _reap() -> None:
    for child in list(_children):  # our finished workers, or they linger as zombies
        if child.poll() is not None:
            _children.remove(child)


def _settle_taken(root: Path, descriptor: int, claim: Lock | None) -> Lock | None:
    """Holding the lock: settle what a dead job left, then describe the new job (``claim``); returns the dead
    job's description."""
    left = _description(root)
    if claim is not None:  # first, so a page reading meanwhile sees the new job and the old one's runs as ended
        run_lock.write_content(descriptor, claim)
    run_settle.settle(root, descriptor, left, then=claim)
    return left


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
    root = Path(root or runs_root())
    problems = [p for spec in specs for p in spec.problems()]
    if not specs or problems:
        raise ValueError("; ".join(problems) or "nothing to train")
    _reap()
    descriptor = run_lock.claim(root)
    if descriptor is None:
        raise RunBusy(busy_message(_description(root)))
    try:
        now = time.time()
        taken = {p.name for p in root.iterdir()} | set(run_settle.status_names(root))
        names: list[str] = []
        for spec in specs:
            names.append(run_name(spec, now, taken | set(names)))
        _settle_taken(root, descriptor, Lock(0, tuple(names), now))
        try:
            _launch(root, descriptor, specs, names, now, classifier, evaluate, trainer)
        except BaseException as error:  # whatever failed, the runs say why and the lock is released below
            _abandon(root, descriptor, names, error)
            raise
    finally:
        os.close(descriptor)  # the worker holds its own copy: the lock stays held while it lives
    return names


def _description(root: Path) -> Lock | None:
    with contextlib.suppress(RunFileError):
        return run_lock.read_content(root)
    return None


def _launch(
    root: Path,
    descriptor: int,
    specs: Sequence[RunSpec],
    names: list[str],
    now: float,
    classifier: Path | None,
    evaluate: bool,
    trainer: Sequence[str],
) -> None:
    """Write the runs' status files and start the worker, handing it the lock's descriptor."""
    sweep = names[0] if len(names) > 1 else ""
    for name, spec in zip(names, specs, strict=True):
        write_json(
            status_path(root, name),
            {"name": name, "spec": dataclasses.asdict(spec), "state": "queued", "created": now, "sweep": sweep},
        )
    command = [sys.executable, "-m", "explorer.train.run_worker", "--root", str(root), "--lock-fd", str(descriptor)]
    command += ["--started", repr(now), "--trainer", json.dumps(list(trainer))]
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
            pass_fds=(descriptor,),
        )
    _children.append(worker)


def _abandon(root: Path, descriptor: int, names: list[str], error: BaseException) -> None:
    """After a failed start: mark the runs failed where their status can still be written, clear the lock's
    description (the caller closes the descriptor, which releases the lock)."""
    for name in names:
        with contextlib.suppress(OSError):
            update_status(root, name, state="failed", reason=f"could not start the worker: {error}")
    with contextlib.suppress(OSError):
        run_lock.write_content(descriptor, None)


def stop(root: Path | None = None) -> bool:
    """SIGTERM to the job's process group: the trainer stops at its next batch and keeps the last complete
    epoch; queued runs are cancelled. False when nothing was running; then what a dead job left is settled."""
    root = Path(root or runs_root())
    view = scan(root)
    job = view.job
    if job is None:
        descriptor = run_lock.claim(root, wait=0.0) if view.unsettled else None
        if descriptor is not None:
            try:
                _settle_taken(root, descriptor, None)
            finally:
                os.close(descriptor)
        return False
    if job.pid <= 0 or not run_lock.is_worker(job.pid):  # still launching, or a description that names no worker
        return False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(job.pid, signal.SIGTERM)
    return True


def wait(root: Path | None = None, timeout: float = 120.0) -> bool:
    """Block until no job holds the lock (for tests and scripts); True if it ended within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap()
        if not run_lock.held(Path(root or runs_root())):
            return True
        time.sleep(0.1)
    return False
