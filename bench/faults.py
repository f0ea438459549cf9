"""Fault benchmark for the Train page's jobs: random SIGKILLs of the worker, the trainer or the evaluator.

    python bench/faults.py --kills 20

Each trial starts a tiny run exactly as the Train page does (explorer.train.runs.start: a worker process running
``python -m vae.train``, then ``python -m vae.evaluate``), picks a phase at random, training or evaluation, waits
a random moment into it, SIGKILLs either the worker or its child in that phase (trainer or evaluator, chosen at
random), and then starts the next trial's run at once. Counted afterwards:

- orphaned processes: members of a killed job's process group still alive 5 s after the kill;
- stuck locks: a new run refused (RunBusy) once the job is dead, or a lock still held 30 s after the kill;
- runs left training or evaluating: status files that still say so once the last run has ended;
- marker files left: a writer's ``.<run>.writer``, half-written checkpoints or statuses (run_settle.markers);
- checkpoints that fail to load: run folders with a config.json that ``vae.load`` refuses (a folder with no
  complete epoch has no checkpoint and is counted apart).

A last run after the final kill must finish normally. Results go to BENCHMARKS.md (section ``faults``).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from _report import command_line, publish  # noqa: E402

from explorer.train import run_lock, run_records, run_settle, runs  # noqa: E402
from vae.checkpoint import CONFIG_FILE, CheckpointError, load  # noqa: E402

SPEC = run_records.RunSpec("vae", "mlp", 2, epochs=200, max_minutes=0.0, train_limit=1024, hidden=(32,), batch_size=128)
EVALUATED = run_records.RunSpec(**{**SPEC.__dict__, "epochs": 1})  # one quick epoch, then the evaluation


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _group(pgid: int) -> list[int]:
    """Live processes whose process group is ``pgid``."""
    out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out if _alive(int(p))]


def _child(worker: int, module: str, timeout: float = 30) -> int | None:
    """The worker's `python -m <module>` child (vae.train, vae.evaluate), once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = subprocess.run(["pgrep", "-P", str(worker)], capture_output=True, text=True).stdout.split()
        for pid in map(int, children):
            try:
                if module.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                continue
        time.sleep(0.05)
    return None


def _evaluating(root: Path, name: str, timeout: float = 120) -> bool:
    """Wait until the run's evaluation has started (its status says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = run_records.read_status(root, name)
        if status is not None and status.evaluation == "running":
            return True
        if (status is not None and status.evaluation) or not run_lock.held(root):
            return False
        time.sleep(0.02)
    return False


def trial(root: Path, rng: random.Random) -> dict:
    """Start a run, kill the worker or its child at a random moment of training or evaluation, and see what
    is left behind."""
    phase = rng.choice(["training", "evaluation"])
    try:
        (name,) = runs.start([SPEC if phase == "training" else EVALUATED], root, evaluate=phase == "evaluation")
    except runs.RunBusy:
        return {"refused": True}
    worker = _worker(root)
    if worker is None or (phase == "evaluation" and not _evaluating(root, name)):
        return {"refused": False, "vanished": True, "status": str(run_records.read_status(root, name))}
    child = _child(worker, "vae.train" if phase == "training" else "vae.evaluate")
    time.sleep(rng.uniform(0.5, 4.0) if phase == "training" else rng.uniform(0.0, 2.5))
    target = rng.choice(["worker", "child"])
    if not run_lock.held(root):  # the job ended before the moment came: nothing to kill
        return {"refused": False, "vanished": True, "status": str(run_records.read_status(root, name))}
    os.kill(worker if target == "worker" or child is None else child, signal.SIGKILL)
    killed = time.monotonic()
    while runs.read_lock(root) is not None and time.monotonic() - killed < 30:
        time.sleep(0.05)
    stuck = runs.read_lock(root) is not None
    time.sleep(max(0.0, 5 - (time.monotonic() - killed)))
    return {
        "refused": False,
        "vanished": False,
        "phase": phase,
        "target": target,
        "orphans": len(_group(worker)),
        "stuck": stuck,
        "name": name,
    }


def _worker(root: Path, timeout: float = 30) -> int | None:
    """The job's worker pid, once the worker has described itself in the lock (None if the job ended first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lock = runs.read_lock(root)
        if lock is None:
            return None
        if lock.pid:
            return lock.pid
        time.sleep(0.02)
    return None


def checkpoints(root: Path) -> tuple[int, int, int]:
    """(loadable, failing to load, without a checkpoint) among the runs the jobs started."""
    good = bad = empty = 0
    for status in runs.statuses(root):
        folder = root / status.name
        if not (folder / CONFIG_FILE).exists():  # killed before its first epoch was saved: no checkpoint
            empty += 1
            continue
        try:
            load(folder)
            good += 1
        except CheckpointError:
            bad += 1
    return good, bad, empty


def left_working(root: Path) -> int:
    """Status files (as written, not as a read shows them) that still say training, queued or evaluating."""
    count = 0
    for name in run_settle.status_names(root):
        try:
            status = run_records.read_status(root, name)
        except run_records.RunFileError:
            continue
        count += status is not None and (status.active or status.evaluation == "running")
    return count


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    before, started = _load(), time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        results = [trial(root, rng) for _ in range(args.kills)]
        (last,) = runs.start([run_records.RunSpec(**{**SPEC.__dict__, "epochs": 2})], root, evaluate=False)
        runs.wait(root, 300)
        final = run_records.read_status(root, last).state
        working, markers = left_working(root), [p.name for p in run_settle.markers(root)]
        good, bad, empty = checkpoints(root)
    after, minutes = _load(), (time.monotonic() - started) / 60
    vanished = [r["status"] for r in results if r.get("vanished")]
    done = [r for r in results if not r["refused"] and not r.get("vanished")]
    kills = {
        (phase, target): sum(r["phase"] == phase and r["target"] == target for r in done)
        for phase in ("training", "evaluation")
        for target in ("worker", "child")
    }
    body = f"""## Faults: random SIGKILLs of the Train page's jobs

Command: `{command_line()}` (seed {args.seed}) · {minutes:.1f} min · load average (1 min) {before} before, {after} \
after; other engineers were using the two cores at the same time.

Each of {args.kills} trials starts a run as the Train page does (a worker running `python -m vae.train`, a
784-32-2 VAE on 1,024 images, then `python -m vae.evaluate` on it), picks training or evaluation at random,
SIGKILLs the worker or its child in that phase (trainer or evaluator) at a random moment (0.5-4 s into
training: start-up, an epoch or a checkpoint write; 0-2.5 s into the evaluation) and starts the next trial's
run straight away; a last run must then finish.

| what | count |
|---|---:|
| kills in training: of the worker / of the trainer | {kills["training", "worker"]} / {kills["training", "child"]} |
| kills in evaluation: of the worker / of the evaluator | \
{kills["evaluation", "worker"]} / {kills["evaluation", "child"]} |
| orphaned processes (a killed job's group, 5 s after the kill) | {sum(r["orphans"] for r in done)} |
| stuck locks (a new run refused, or the lock held 30 s after the kill) | \
{sum(r["refused"] for r in results) + sum(r["stuck"] for r in done)} |
| runs left training or evaluating (status files, after the last run) | {working} |
| marker files left (writer flocks, half-written checkpoints or statuses) | {len(markers)} |
| checkpoints that fail to load | {bad} |
| runs with a checkpoint that loads / with none yet (killed before their first epoch was saved) | {good} / {empty} |
| trials whose job ended before the kill (not killed) | {len(vanished)} |
| the run after the last kill | {final} |

As issue 28 reported it, before these fixes a SIGKILLed worker left its trainer training on as an orphan
(re-parented to PID 1, unreachable by Stop) while the next run started beside it. Now the trainer and the
evaluator die with their worker (PR_SET_PDEATHSIG), the worker holds the runs folder's flock for its whole life
(the kernel releases it however the worker dies), the next Start settles what a dead job left (its runs,
evaluation included, its process group, its writers' marker files), and an flock beside the run folder keeps
a second trainer out of it.
"""
    for name in markers:
        print("marker left:", name)
    for status in vanished:
        print("gone before the kill:", status)
    publish("faults", body, write=not args.no_write)


if __name__ == "__main__":
    main()
