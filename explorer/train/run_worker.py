"""The child process behind a training job: ``python -m explorer.train.run_worker --root R NAME...``.

Started by :func:`explorer.train.runs.start` in a new session (it leads its own process group), it lowers its CPU
priority, then for each queued run: trains it with the CLI (``python -m vae.train``, the exact code a person
would run), records how that ended, and evaluates the checkpoint (``python -m vae.evaluate`` and, given a
classifier, ``python -m vae.metrics``). SIGTERM to the group stops the trainer at its next batch (it keeps
the last complete epoch); the worker then evaluates what was kept, cancels the runs still queued, and
releases the lock. Nothing here imports torch: the children do the work.

The children die with the worker: each asks the kernel (prctl PR_SET_PDEATHSIG, Linux) for SIGKILL when its
parent goes, so a worker killed outright (SIGKILL, the OOM killer) leaves no trainer writing on into a run
folder that the server has meanwhile marked failed. Checkpoints are swapped in atomically, so a trainer killed
at any moment leaves the last complete epoch. (The next Start or Stop also kills what is left of a dead worker's
process group when it settles the dead job, for systems without the prctl.)
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import fcntl
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from explorer.train import run_lock, run_records, run_settle, runs

NICE = 10  # below the server's sessions; training only gets what they leave
EVAL_LIMIT = 2000  # test images for vae.evaluate (all 10k with k=100 took ~50 s on the busy machine)
EVAL_K = 100
METRIC_SAMPLES = 1000


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """A child's preexec_fn: SIGKILL this process when its parent dies; exit at once if it already has.

    Runs between fork and exec, so only async-signal-safe work: the worker has a single thread, which makes
    the ctypes call safe here (never use it from the threaded server)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: explorer.train.runs kills the leftovers of the group instead
        return
    if os.getppid() != parent:  # the worker died before the prctl took effect
        os._exit(1)


class Worker:
    def __init__(self, root: Path, trainer: list[str], classifier: str | None, evaluate: bool) -> None:
        self.root, self.trainer, self.classifier, self.evaluate = root, trainer, classifier, evaluate
        self.stopping = False

    def on_signal(self, signum: int, _frame: object) -> None:
        # The whole group got the signal: the trainer (or evaluator) handles its own copy.
        self.stopping = True

    def child(self, name: str, command: list[str]) -> int:
        with open(run_records.log_path(self.root, name), "ab") as log:
            log.write(f"$ {' '.join(command[1:])}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=functools.partial(die_with_parent, os.getpid()),
            )
            if self.stopping:  # Stop reached the group before this child was in it: pass it on
                process.terminate()
            return process.wait()

    def train(self, name: str, spec: run_records.RunSpec) -> None:
        run_records.update_status(self.root, name, state="running", started=time.time())
        code = self.child(name, [sys.executable, *self.trainer, *spec.argv(self.root / name)])
        state, reason = outcome(code, run_records.log_tail(self.root, name, 40), self.stopping)
        run_records.update_status(self.root, name, state=state, reason=reason, returncode=code, ended=time.time())

    def evaluate_run(self, name: str) -> None:
        folder = self.root / name
        if not self.evaluate or not (folder / "config.json").is_file():
            run_records.update_status(self.root, name, evaluation="skipped")
            return
        run_records.update_status(self.root, name, evaluation="running")
        steps = [[sys.executable, "-m", "vae.evaluate", str(folder), "--k", str(EVAL_K), "--limit", str(EVAL_LIMIT)]]
        if self.classifier:
            steps.append([sys.executable, "-m", "vae.metrics", str(folder), "--classifier", self.classifier])
            steps[-1] += ["--samples", str(METRIC_SAMPLES)]
        for command in steps:
            code = self.child(name, command)
            if code != 0:
                last = run_records.log_tail(self.root, name, 1) or f"exit code {code}"
                result = "stopped" if self.stopping else f"failed: {last}"
                run_records.update_status(self.root, name, evaluation=result)
                return
        run_records.update_status(self.root, name, evaluation="done")

    def run(self, names: list[str]) -> None:
        for name in names:
            try:
                status = run_records.read_status(self.root, name)
            except run_records.RunFileError:  # damaged since start() wrote it: nothing to train from
                status = None
            if status is None:
                continue
            if self.stopping:
                run_records.update_status(self.root, name, state="cancelled", reason="stopped before it began")
                continue
            self.train(name, status.spec)
            self.evaluate_run(name)


def outcome(code: int, log: str, stopping: bool) -> tuple[str, str]:
    """(state, reason) of a finished `python -m vae.train` from its exit code and the end of its output."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    said = next((line for line in reversed(lines) if line.startswith(("error:", "interrupted:", "saved "))), "")
    if code == 0:
        return "finished", said.rsplit("(", 1)[-1].split(")")[0] if "(" in said else "finished"
    if code in (130, 143) or (stopping and code < 0):
        return "stopped", said.removeprefix("interrupted: ") or "stopped on request"
    if said.startswith("error:"):
        return "failed", said.removeprefix("error: ")
    if code < 0:
        return "failed", f"the training process was killed by {signal.Signals(-code).name}"
    last = lines[-1] if lines else "no output"
    return "failed", f"the training process crashed (exit code {code}): {last}"


def hold_lock(root: Path, descriptor: int | None, names: list[str], started: float) -> int:
    """The descriptor holding the runs folder's lock for this worker's whole life, now describing this job.

    start() hands over its own (``--lock-fd``), taken before the statuses were written, so no second job can
    slip in between; run by hand without one, the worker takes the lock itself or refuses."""
    if descriptor is None:
        descriptor = run_lock.claim(root, wait=0.0)
        if descriptor is None:
            raise SystemExit(f"another job holds {root / run_lock.LOCK}")
    else:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # already ours (the same open file): a check
    os.set_inheritable(descriptor, False)  # the trainer and evaluators must not keep the lock alive
    run_lock.write_content(descriptor, run_lock.Lock(os.getpid(), tuple(names), started))
    return descriptor


def finish(root: Path, descriptor: int, names: list[str], error: BaseException | None) -> None:
    """The worker's normal end: no run of its own left queued, training or evaluating, no marker file of its
    writers left, the lock's description cleared (the kernel releases the lock itself when the process ends)."""
    for name in names:
        try:
            status = run_records.read_status(root, name)
        except run_records.RunFileError:
            continue
        changes = run_records.after_dead_job(status, time.time()) if status is not None else {}
        if changes and error is not None:
            changes["reason"] = f"the training worker failed ({type(error).__name__}: {error})"
        if changes:
            run_records.update_status(root, name, **changes)
    run_settle.remove_markers(root)
    run_lock.write_content(descriptor, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.train.run_worker", description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--lock-fd", type=int, default=None, help="the runs lock, taken by explorer.train.runs")
    parser.add_argument("--started", type=float, default=None, help="when the job was started (seconds)")
    parser.add_argument("--trainer", default=json.dumps(list(runs.TRAINER)), help="JSON list after `python`")
    parser.add_argument("--classifier", default=None)
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    descriptor = hold_lock(args.root, args.lock_fd, args.names, args.started or time.time())
    os.nice(NICE)
    worker = Worker(args.root, json.loads(args.trainer), args.classifier, not args.no_eval)
    signal.signal(signal.SIGTERM, worker.on_signal)
    signal.signal(signal.SIGINT, worker.on_signal)
    failure: BaseException | None = None
    try:
        worker.run(args.names)
    except Exception as error:  # reported on the page instead of leaving a run "running" forever
        failure = error
        raise
    finally:
        finish(args.root, descriptor, args.names, failure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
