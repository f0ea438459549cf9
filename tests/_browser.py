"""The browser harness of the e2e tests, which the browser benchmarks reuse (tests never import bench code):
Debian's Chromium and its flags, a Streamlit server on a free loopback port (started, health-checked, stopped
with its process group), the console messages that say nothing about the app, and the script that waits for a
page to finish drawing."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only; nothing here ever talks to another address
CHROMIUM = "/usr/bin/chromium"  # Debian's package; never a browser that playwright downloads
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Console errors that say nothing about the app, matched against the failing resource's URL, with reasons:
BENIGN_CONSOLE = [
    # The page icon is a Material Symbol, which Streamlit fetches as a favicon from Google's font CDN; the
    # test machines (and CI) have no internet, so that one request fails. Nothing on the page depends on it.
    re.compile(r"^https://fonts\.gstatic\.com/"),
    # Opened at /<page>, Streamlit's frontend first probes /<page>/_stcore/{health,host-config} to find the
    # app's base path, gets 404 and then uses /. Only deep links (never sidebar navigation) trigger it.
    re.compile(r"^http://127\.0\.0\.1:\d+/[^_][^/]*/_stcore/(health|host-config)$"),
]

# Resolves once the page has looked idle for `quiet` ms in a row. Busy: Streamlit's marks of a run in progress
# (stale elements, skeletons before the first paint, spinners); with `settled` also the running-script icon and
# any picture still loading, i.e. the page has finished drawing. Pass it to page.wait_for_function.
IDLE_JS = """([quiet, settled]) => new Promise(resolve => {
  let busySelector = '[data-stale="true"], [data-testid="stSkeleton"], [data-testid="stSpinner"]';
  if (settled) busySelector += ', [data-testid="stStatusWidgetRunningIcon"]';
  let calm = performance.now();
  const tick = () => {
    const busy = document.querySelector(busySelector) || (settled && ![...document.images].every(i => i.complete));
    if (busy) calm = performance.now();
    if (performance.now() - calm >= quiet) resolve(true); else requestAnimationFrame(tick);
  };
  tick();
})"""


def is_benign(url: str) -> bool:
    """True when a console error about `url` is one of BENIGN_CONSOLE."""
    return any(pattern.search(url) for pattern in BENIGN_CONSOLE)


def wait_idle(page, quiet_ms: int, timeout_ms: float, settled: bool = False):
    """page.wait_for_function(IDLE_JS): a result with Playwright's sync API, an awaitable with its async one."""
    return page.wait_for_function(IDLE_JS, arg=[quiet_ms, settled], timeout=timeout_ms)


def free_port(host: str = HOST) -> int:
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


class ServerError(RuntimeError):
    """The server exited or did not answer its health check; the message ends with its log's tail."""


@dataclass
class StreamlitServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self, tail: int = 80) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-tail:])

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (load-independent cost)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_healthy(server: StreamlitServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise ServerError(
                f"streamlit exited with code {server.process.returncode} before answering:\n{server.log()}"
            )
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as reply:
            if reply.read().strip() == b"ok":
                return
        if time.monotonic() > deadline:
            raise ServerError(f"streamlit did not answer /_stcore/health within {timeout:.0f} s:\n{server.log()}")
        time.sleep(0.25)


@contextlib.contextmanager
def streamlit_server(
    script: str,
    log_path: Path,
    *,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    health_timeout: float = 60.0,
    stop_timeout: float = 10.0,
    cwd: Path = REPO,
    warm_start: bool = False,
) -> Iterator[StreamlitServer]:
    """`python -m streamlit run <script>` from the repository root (or `cwd`, another checkout) on a free loopback
    port; with `warm_start`, the app as ./scripts/run.sh starts it (`python -m explorer.serve`, which loads the
    models before the server listens). Yields once /_stcore/health answers (ServerError if it never does), stops
    its process group at exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if warm_start and script != "app.py":
        raise ValueError("warm_start runs the explorer's app.py; pass script='app.py'")
    start = ["-m", "explorer.serve"] if warm_start else ["-m", "streamlit", "run", script]
    command = [sys.executable, *start, "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", HOST, "--browser.gatherUsageStats", "false"]
    command += list(extra_args)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = StreamlitServer(f"http://{HOST}:{port}", process, log_path)
    try:
        _wait_healthy(server, health_timeout)
        yield server
    finally:
        stop_process_group(process, timeout=stop_timeout)


@contextlib.contextmanager
def chromium_page(**page_options: Any) -> Iterator[Any]:
    """A page in Debian's headless Chromium (sync Playwright), closed with its browser on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(**page_options)
        finally:
            browser.close()
