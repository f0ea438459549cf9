"""The load benchmark's run: one server, a warm-up session, the sessions opened a few at a time, and the measured
window, with the server's memory sampled throughout."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

from bench.multiuser.common import FIRST_LOAD_TIMEOUT_MS, HEALTH_TIMEOUT_S, OUTPUT
from bench.multiuser.session import Digits, Results, Session
from bench.multiuser.usage import MemoryLog, cpu_seconds
from tests._browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

# --------------------------------------------------------------------------------------------------------
# The run


def server_log_errors(log_path: Path) -> list[str]:
    lines = log_path.read_text(errors="replace").splitlines() if log_path.exists() else []
    return [line for line in lines if "Traceback" in line or " ERROR " in line or "page failed" in line]


async def warm_up(browser, base: str, results: Results, digits: Digits, args, info: dict) -> None:
    """One session fills every cache the measured sessions use (cold loads are slow). Its errors count like any
    other; its latencies (cold caches) are left out."""
    session = Session(-1, browser, base, results, digits, args, timeout_s=FIRST_LOAD_TIMEOUT_MS / 1000)
    try:
        await session.open()
        await session.loop(time.monotonic() + args.warmup, max_cycles=args.warmup_cycles)
    finally:
        await session.close()
    info["warmup_first_load"] = results.first_load_ms[0] if results.first_load_ms else float("nan")
    for series in (results.slider_ms, results.upload_ms, results.switch_ms, results.first_load_ms):
        series.clear()


async def open_sessions(sessions: list[Session], results: Results, concurrency: int) -> None:
    """Open the sessions a few page loads at a time (sixteen Streamlit front ends starting at once on two
    cores take minutes), until every one shows Latent sliders."""
    gate = asyncio.Semaphore(concurrency)

    async def start(session: Session) -> None:
        async with gate:
            try:
                await session.open()
            except Exception as error:
                results.error("session failure", f"session {session.number}, opening: {error}")

    await asyncio.gather(*(start(s) for s in sessions))  # each open() is bounded by its timeouts


async def measured_window(sessions: list[Session], results: Results, args, info: dict, server_pid: int) -> None:
    """Every open session loops until the deadline; CPU of the server and of this side is taken around it."""
    info["cpu_start"] = cpu_seconds(server_pid)
    info["client_cpu_start"] = cpu_seconds(os.getpid(), without=server_pid)
    started = time.monotonic()
    deadline = started + args.duration
    ready = [s for s in sessions if s.page is not None]
    grace = 4 * args.action_timeout + FIRST_LOAD_TIMEOUT_MS / 1000  # an action, settling, a reload
    try:
        await asyncio.wait_for(asyncio.gather(*(s.loop(deadline) for s in ready)), timeout=args.duration + grace)
    except asyncio.TimeoutError:
        results.error("timeout", f"sessions still busy {grace:.0f} s after the end of the window")
    info["elapsed"] = time.monotonic() - started
    info["cpu_used"] = cpu_seconds(server_pid) - info["cpu_start"]
    info["client_cpu"] = cpu_seconds(os.getpid(), without=server_pid) - info["client_cpu_start"]


async def drive(browser, base: str, memory: MemoryLog, results: Results, args, info: dict) -> None:
    """Warm-up, ramp-up and the measured window, with the server's memory sampled throughout."""
    digits = Digits()
    await warm_up(browser, base, results, digits, args, info)
    await asyncio.sleep(2)
    info["rss_start"] = memory.sample()
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(memory.run(stop_sampling))
    sessions = [Session(i, browser, base, results, digits, args) for i in range(args.sessions)]
    try:
        ramp_started = time.monotonic()
        await open_sessions(sessions, results, args.ramp_concurrency)
        info["ramp"] = time.monotonic() - ramp_started
        info["rss_open"] = memory.sample()
        await measured_window(sessions, results, args, info, memory.pid)
        info["rss_end"] = memory.sample()
    except BaseException:
        stop_sampling.set()
        raise
    finally:
        for session in sessions:
            with contextlib.suppress(Exception):
                await session.close()
        await browser.close()
    await asyncio.sleep(args.settle)
    info["rss_after_close"] = memory.sample()
    stop_sampling.set()
    await sampler
    measured = [v for t, v in memory.samples[1:]]
    info["rss_peak"] = max(measured) if measured else info["rss_start"]


async def run(args) -> tuple[Results, dict]:
    from playwright.async_api import async_playwright

    log_path = OUTPUT / "server.log"
    results = Results()
    # What else ran on the machine, measured rather than assumed: load averages around the run, core count.
    info: dict = {"loadavg_start": os.getloadavg(), "cores": os.cpu_count()}
    with streamlit_server("app.py", log_path, health_timeout=HEALTH_TIMEOUT_S, stop_timeout=15) as server:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            await drive(browser, server.url, MemoryLog(server.process.pid), results, args, info)
    info["loadavg_end"] = os.getloadavg()
    for line in server_log_errors(log_path):
        results.error("server log", line)
    return results, info
