"""What the server and browser benchmarks and the e2e tests share: Debian's Chromium, its launch flags, a free
loopback port, and stopping a server that was started in its own process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never a browser that playwright downloads
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (loopback only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop_process_group(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM the group started with start_new_session=True, then SIGKILL it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
