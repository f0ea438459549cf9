"""Reading the runs folder for the pages: :func:`scan`, one pass over the lock, every status file and the
checkpoint folders that returns a frozen :class:`RunsView` and changes nothing on disk.

A dead job's runs are shown as they really are (failed; an evaluation that was running failed too) without
writing it down: only a person's action (explorer.train.runs.start or stop) settles them on disk. Every file
that cannot be read is listed with its reason and its path relative to the runs root; the rest stays whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from explorer.train import run_lock, run_settle
from explorer.train.run_lock import Lock
from explorer.train.run_records import STATUS, RunFileError, RunStatus, after_dead_job, parse_status, runs_root
from vae.json_files import read_json_file


@dataclass(frozen=True)
class Damaged:
    """A run-state file that cannot be used: its path relative to the runs root, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class RunsView:
    """The runs folder at one moment."""

    root: Path
    job: Lock | None  # the live job (its flock is held), or None; pid 0 while start() is still launching it
    statuses: tuple[RunStatus, ...]  # newest first, as they really are: a dead job's runs read as failed
    damaged: tuple[Damaged, ...]  # status files (and a dead job's lock) that cannot be read, with the reason
    folders: tuple[Path, ...]  # checkpoint folders pages may use: every folder but runs still queued or training
    unsettled: bool  # a dead job left states, its description or marker files: start() or stop() settles them

    @property
    def active(self) -> RunStatus | None:
        """The run the live job is working on (training or evaluating), else its first queued one, else None."""
        if self.job is None:
            return None
        found = [s for name in self.job.runs if (s := self.status(name)) is not None]  # in the job's order
        working = [s for s in found if s.state == "running" or s.evaluation == "running"]
        queued = [s for s in found if s.state == "queued"]
        return (working or queued or found or [None])[0]

    def status(self, name: str) -> RunStatus | None:
        return next((s for s in self.statuses if s.name == name), None)


def scan(root: Path | None = None) -> RunsView:
    """Read the lock, every status and the checkpoint folders once. Never kills, deletes or writes anything.

    The lock is probed before and after the statuses are read, and the read repeated if a job started or
    ended in between, so a run is never shown failed because its job started during the read."""
    root = Path(root or runs_root())
    for _ in range(3):
        before = run_lock.held(root)
        found, damaged = _statuses(root)
        if run_lock.held(root) == before:
            break
    job, lock_damage, described = _job(root, before)
    seen = [_as_seen(status, job) for status in found]
    unsettled = any(shown is not status for shown, status in zip(seen, found, strict=True))
    seen.sort(key=lambda s: (s.created, s.name), reverse=True)
    return RunsView(
        root=root,
        job=job,
        statuses=tuple(seen),
        damaged=tuple(damaged + lock_damage),
        folders=tuple(_usable(root, seen, job, damaged)),
        unsettled=job is None and (unsettled or described or bool(run_settle.markers(root))),
    )


def _job(root: Path, alive: bool) -> tuple[Lock | None, list[Damaged], bool]:
    """The live job; when no job is alive, the lock file's damage; and whether the file describes a job at all.
    (A live job's description may be mid-write: it is then shown as a job starting, not as damage.)"""
    try:
        lock = run_lock.read_content(root)
    except RunFileError as error:
        return (Lock(0, (), 0.0), [], True) if alive else (None, [_damaged(root, error)], True)
    if not alive:
        return None, [], lock is not None
    return lock or Lock(0, (), 0.0), [], True


def _statuses(root: Path) -> tuple[list[RunStatus], list[Damaged]]:
    found, damaged = [], []
    try:
        files = sorted(p for p in (root / STATUS).iterdir() if p.name.endswith(".json"))
    except FileNotFoundError:
        return [], []
    except OSError as error:
        return [], [Damaged(STATUS, f"cannot be read ({error.strerror or type(error).__name__})")]
    for path in files:
        try:
            found.append(parse_status(path.name[: -len(".json")], read_json_file(path, RunFileError), path))
        except FileNotFoundError:  # removed since the listing
            continue
        except RunFileError as error:
            damaged.append(_damaged(root, error))
    return found, damaged


def _damaged(root: Path, error: Exception) -> Damaged:
    """The error's file relative to ``root`` and its reason (the message is "<path>: <reason>")."""
    text = str(error)
    path, _, reason = text.partition(": ")
    with contextlib.suppress(ValueError):
        path = str(Path(path).relative_to(root))
    return Damaged(path, reason)


def _as_seen(status: RunStatus, job: Lock | None) -> RunStatus:
    """The status as it really is: a run of a dead job (no live job, or not one of the live job's runs)
    reads as failed, its evaluation too. A job still launching (runs unknown) leaves statuses as written."""
    if job is not None and (not job.runs or status.name in job.runs):
        return status
    changes = after_dead_job(status)
    return dataclasses.replace(status, **changes) if changes else status


def _usable(root: Path, seen: list[RunStatus], job: Lock | None, damaged: list[Damaged]) -> list[Path]:
    busy = {s.name for s in seen if s.active}
    if job is not None:  # a live job's run whose status cannot be read may be training: not offered
        busy |= {n for n in job.runs if f"{STATUS}/{n}.json" in {d.path for d in damaged}}
    try:
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in busy)
    except OSError:
        return []
