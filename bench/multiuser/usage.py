"""The server's resident memory and CPU time, its child processes included, read from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------------------
# The server's memory and CPU


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MB (VmRSS from /proc/PID/status)."""
    total_kb = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def cpu_seconds(pid: int, without: int | None = None) -> float:
    """User + system CPU time of ``pid`` and its descendants so far (leaving out the subtree of ``without``)."""
    ticks = 0
    skip = set(process_tree(without)) if without else set()
    for member in set(process_tree(pid)) - skip:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class MemoryLog:
    pid: int
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    started: float = field(default_factory=time.monotonic)

    def sample(self) -> float:
        value = rss_mb(self.pid)
        self.samples.append((time.monotonic() - self.started, value))
        return value

    async def run(self, stop: asyncio.Event, every: float = 1.0) -> None:
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
