"""The runs folder's lock: an flock on ``<root>/.lock`` that the job's worker holds for its whole life.

The kernel releases an flock when the last descriptor of its open file goes, so a worker that dies in any
way (SIGKILL, the OOM killer, a machine restart) leaves no lock behind: whether a job is alive is whether
the flock is held, never a pid that may have been reused. start() takes the lock (LOCK_EX) in the server and
hands the very descriptor to the worker it spawns (pass_fds), so there is no moment in between when a second
Start could win. The file's JSON content ({"pid", "runs", "started"}) only describes the job, for the page and
for Stop; it is written while the lock is held and cleared when the job is settled.

Readers probe with a shared, non-blocking flock on their own open file, released at once: probes never
block each other, and a start that meets one retries for a moment (CLAIM_WAIT) instead of refusing.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.train.run_records import RUN_NAME, RunFileError
from vae.json_files import parse_json_bytes

LOCK = ".lock"
MAX_LOCK_BYTES = 64 * 1024
MAX_PID = 2**22  # Linux's PID_MAX_LIMIT
CLAIM_WAIT = 0.5  # seconds a start retries a lock held for a reader's probe (microseconds) before it refuses


@dataclass(frozen=True)
class Lock:
    """What the lock file says about the job. ``pid`` is the worker, leader of the job's process group; 0 while
    start() is still launching it."""

    pid: int
    runs: tuple[str, ...]
    started: float


def lock_path(root: Path) -> Path:
    return root / LOCK


def held(root: Path) -> bool:
    """Whether a live process holds the lock (see flocked)."""
    return flocked(lock_path(root))


def flocked(path: Path) -> bool:
    """Whether a live process holds an exclusive flock on ``path``. Side-effect free: a shared probe on a fresh
    open file, released before returning (closing the only descriptor of an open file drops its flock)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:  # missing or unreadable: no process could have opened it either
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)
    return False


def read_content(root: Path) -> Lock | None:
    """The job the lock file describes; None when it is missing or empty, RunFileError when it is damaged."""
    path = lock_path(root)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_LOCK_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RunFileError(f"{path}: cannot be read ({error.strerror or type(error).__name__})") from None
    if len(data) > MAX_LOCK_BYTES:
        raise RunFileError(f"{path}: larger than {MAX_LOCK_BYTES:,} bytes, more than a lock ever holds")
    if not data.strip():
        return None
    return parse_content(parse_json_bytes(data, path, RunFileError), path)


def parse_content(data: Any, path: Path) -> Lock:
    """The lock file's JSON value as a Lock, every field checked (the reasons name fields, never values)."""
    if not isinstance(data, dict):
        raise RunFileError(f"{path}: not a JSON object")
    pid, runs, started = data.get("pid", 0), data.get("runs", []), data.get("started", 0.0)
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 <= pid < MAX_PID:
        raise RunFileError(f"{path}: pid must be a process id")
    if (
        not isinstance(runs, list)
        or len(runs) > 100
        or not all(isinstance(n, str) and RUN_NAME.fullmatch(n) for n in runs)
    ):
        raise RunFileError(f"{path}: runs must be a list of run names")
    if not isinstance(started, int | float) or isinstance(started, bool) or not 0 <= started <= 1e11:
        raise RunFileError(f"{path}: started must be a time in seconds")
    return Lock(pid, tuple(runs), float(started))


def claim(root: Path, wait: float = CLAIM_WAIT) -> int | None:
    """A descriptor holding the lock exclusively, or None when a live job holds it. The caller closes it (or
    hands it to the worker); the lock is released when the last copy closes."""
    root.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path(root), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                return None
            time.sleep(0.005)
        except BaseException:
            os.close(descriptor)
            raise


def write_content(descriptor: int, lock: Lock | None) -> None:
    """Describe the job in the lock file (None clears it); only a holder of the lock writes."""
    data = b"" if lock is None else json.dumps({"pid": lock.pid, "runs": list(lock.runs), "started": lock.started})
    data = data.encode() if isinstance(data, str) else data
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, data, 0)


def busy_message(lock: Lock | None) -> str:
    """Why Start is refused, in words."""
    if lock is None or not lock.runs:
        return "A training job is starting on this server; one run at a time. Start yours when it has ended."
    when = _dt.datetime.fromtimestamp(lock.started).strftime("%H:%M:%S")
    what = "a beta sweep" if len(lock.runs) > 1 else "a training run"
    return (
        f"{what.capitalize()} started at {when} is in progress on this server; one run at a time, so the two "
        "cores stay shared fairly with everyone exploring. You can watch it here and start yours when it ends."
    )


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    return True


def is_worker(pid: int) -> bool:
    """Whether ``pid`` is a live explorer.train.run_worker leading its own process group: the only process Stop
    may signal (the lock's pid is only a description; a hand-edited file must not aim Stop at anything else)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc to ask (not Linux): trust the group check alone
        command = b"explorer.train.run_worker"
    try:
        return b"explorer.train.run_worker" in command and os.getpgid(pid) == pid and alive(pid)
    except (ProcessLookupError, PermissionError):
        return False


def kill_leftovers(pid: int, wait: float = 5.0) -> None:
    """SIGKILL what is left of a dead worker's process group (a trainer or evaluator it started, on a system
    without the parent-death signal). Called only while holding the lock, so the job is surely dead.

    Safe against pid reuse: while any member of group ``pid`` lives, the kernel does not hand out ``pid`` again,
    so with the leader gone the group holds only the old job's processes. Waits (up to ``wait`` seconds) until
    they are gone, so the markers they held locked can be removed."""
    if pid <= 1 or pid == os.getpid() or pid == os.getpgrp() or alive(pid):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    while group_members(pid) and time.monotonic() < deadline:  # dying, they still hold their files' flocks
        time.sleep(0.01)


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``, from /proc (empty where there is none)."""
    members = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                    members.append(int(entry.name))
    return members
