"""Settling what a dead job left in the runs folder, on disk: its runs' states, its process group, the lock's
description and the marker files of its writers.

Reading never changes anything (explorer.train.runs.scan shows a dead job's runs as they really are); this
is written only by a person's action, start() or stop(), while it holds the lock, so no job is alive and no
other settler runs. The worker settles its own runs at its normal end.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from pathlib import Path

from explorer.train import run_lock
from explorer.train.run_records import STATUS, RunFileError, after_dead_job, read_status, update_status
from vae.checkpoint import recover, writer_lock_path

WRITER, STAGING, OLD, TEMPORARY = ".writer", ".tmp-", ".old", ".tmp"


def settle(root: Path, descriptor: int, left: run_lock.Lock | None, then: run_lock.Lock | None = None) -> None:
    """Write down what the dead job ``left`` (the lock's last description, if readable) ended as: runs still
    queued, training or evaluating failed; kill what is left of its process group; replace the lock's
    description (``descriptor`` holds the lock) by ``then``, the new job's or none; remove the markers its
    killed writers left. The new job's runs have no status yet, so none of them is touched."""
    now = time.time()
    for name in status_names(root):
        try:
            status = read_status(root, name)
        except RunFileError:  # damaged: left as it is, and named on the Train page
            continue
        changes = after_dead_job(status, now) if status is not None else {}
        if changes:
            with contextlib.suppress(OSError):  # an unwritable status must not block a new start
                update_status(root, name, **changes)
    if left is not None:
        run_lock.kill_leftovers(left.pid)
    run_lock.write_content(descriptor, then)
    remove_markers(root)


def status_names(root: Path) -> list[str]:
    """The names of the runs with a status file (``.status/<name>.json``), or none if the folder is unreadable."""
    try:
        return sorted(p.name[: -len(".json")] for p in (root / STATUS).iterdir() if p.name.endswith(".json"))
    except OSError:
        return []


def markers(root: Path) -> list[Path]:
    """Files and folders that writers killed mid-write left, whose writer is gone: beside the run folders
    ``.NAME.writer`` (a trainer's flock file), ``.NAME.tmp-PID`` (a half-written checkpoint) and ``.NAME.old``
    (the previous checkpoint of a swap cut short); anywhere, ``.FILE.PID.tmp`` (a half-written status,
    config.json or prepared set). A live writer's (a `python -m vae.train` started by hand into this folder,
    the server preparing a set) are not listed."""
    found = []
    for folder in _folders(root):
        with contextlib.suppress(OSError):
            for path in folder.iterdir():
                name = path.name
                beside_runs = folder == root and (name.endswith((WRITER, OLD)) or STAGING in name)
                if name.startswith(".") and (beside_runs or name.endswith(TEMPORARY)) and not _writing(path):
                    found.append(path)
    return sorted(found)


def _folders(root: Path) -> list[Path]:
    """The runs root, its status folder and every folder in it (run folders, datasets/)."""
    try:
        inside = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]
    except OSError:
        return []
    return [root, root / STATUS, *inside]


def _writing(path: Path) -> bool:
    """Whether the process that left marker ``path`` may still be writing: it holds the run's writer flock, or
    the pid in the marker's name (``.NAME.tmp-PID``, ``.FILE.PID.tmp``) is alive."""
    name = path.name
    if (name.endswith((WRITER, OLD)) or STAGING in name) and _writer_busy(path.parent / _run_of(name)):
        return True
    if STAGING in name:
        digits = name.rsplit(STAGING, 1)[1]
    else:
        parts = name.rsplit(".", 2)
        digits = parts[1] if name.endswith(TEMPORARY) and len(parts) == 3 else ""
    return digits.isdigit() and run_lock.alive(int(digits))


def remove_markers(root: Path) -> None:
    """Remove (or, for a lone ``.NAME.old``, restore) every marker whose writer is gone."""
    for path in markers(root):
        run = path.parent / _run_of(path.name)
        with contextlib.suppress(OSError):
            if path.name.endswith(WRITER):
                _remove_writer_file(path)
            elif path.name.endswith(OLD) and not run.exists():
                recover(run)  # the only copy of the checkpoint: put back in place
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def _run_of(marker: str) -> str:
    """The run folder's name in a marker's name: ``.NAME.writer``, ``.NAME.old``, ``.NAME.tmp-PID``."""
    name = marker[1:]
    for ending in (WRITER, OLD):
        if name.endswith(ending):
            return name[: -len(ending)]
    return name.split(STAGING, 1)[0]


def _writer_busy(run: Path) -> bool:
    """Whether a live trainer holds the writer flock of the checkpoint folder ``run``."""
    return run_lock.flocked(writer_lock_path(run))


def _remove_writer_file(path: Path) -> None:
    """Remove a trainer's flock file as vae.checkpoint.writer_lock releases one: locked, still the file at the
    path, then unlinked, so a trainer that opened it meanwhile retries on a new file."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(descriptor).st_ino == os.stat(path, follow_symlinks=False).st_ino:
            path.unlink()
    finally:
        os.close(descriptor)
