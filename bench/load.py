"""Load benchmark: N concurrent browser sessions against the real app server, on loopback only.

Starts ``streamlit run app.py`` on a free 127.0.0.1 port, then opens N sessions (one headless Debian
Chromium, one browser context per session) that each repeat, until the time is up:

- on Latent sliders, step one of the live sliders a few times with the keyboard (focus it, ArrowRight, as a
  person would after clicking it) and time each step from the key press to the server's answer: the
  page repaints the digit itself (explorer/web/sliders.js, no server involved), then the release goes to
  the server, whose fragment rerun writes the new code into the URL's code= parameter;
- on Reconstruct, upload a fresh digit image (a test-set digit as a 200x200 scan) and time it until its
  result row is on the page.

After each action a session waits until the page has finished drawing (no script running, nothing stale,
every picture loaded), as a person looks at the result before the next move. Acting earlier makes the
browser ask for pictures that a newer run has already replaced and Streamlit has already dropped: 404s
that the report would count as errors.

The run: one session warms every cache up (its cold latencies are left out); the N sessions open, a few
page loads at a time; then all N loop for --duration seconds, the measured window.

Errors counted: Streamlit exception boxes, the app's error boxes, console errors and uncaught page errors
(minus the benign ones listed in bench/_browser.py, each with its reason), HTTP responses >= 400, pictures
shown broken, timeouts, failed uploads, and tracebacks in the server log. Memory is the resident set
(VmRSS) of the server process and its children, sampled every second: after the warm-up, with all
sessions open, at the end of the window, and after the sessions have closed.

    python bench/load.py --sessions 16 --duration 120          # the recorded run (writes BENCHMARKS.md)
    python bench/load.py --sessions 2 --duration 10 --no-write  # a smoke run

Exit status 0 only when there were no errors and memory grew by less than --max-growth-mb.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import json
import math
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._probes import KEY_CLOCK_JS  # noqa: E402
from bench._report import command_line, publish  # noqa: E402
from tests._browser import CHROMIUM, CHROMIUM_ARGS, HOST, is_benign, streamlit_server, wait_idle  # noqa: E402

OUTPUT = REPO / "test-output" / "load"
MEDIA_PATH = re.compile(r"/media/[0-9a-f]+\.\w+")
HEALTH_TIMEOUT_S = 90.0
FIRST_LOAD_TIMEOUT_MS = 180_000  # the first visit loads models and scores the test set on two busy cores
MAX_ACTIONS_PER_SESSION = 5_000  # a second bound beside the clock, so no loop can run away
MAX_SCREENSHOTS = 6
SLIDER_MOVES_PER_CYCLE = 6
SLIDERS_USED = 3  # the most important dimensions: moving them always changes the decoded digit

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


# --------------------------------------------------------------------------------------------------------
# What the sessions upload


class Digits:
    """Test-set digits as dark-on-light 200x200 PNG scans, a different one for every upload."""

    def __init__(self) -> None:
        from vae.data import load_mnist

        self.images = load_mnist("test")[0][:, 0].numpy()
        self.count = 0

    def next(self) -> bytes:
        import numpy as np
        from PIL import Image

        image = self.images[self.count % len(self.images)]
        self.count += 1
        big = Image.fromarray((image * 255).astype(np.uint8)).resize((200, 200), Image.Resampling.BILINEAR)
        paper = 235 - np.asarray(big, dtype=np.float32) * 215 / 255
        buffer = io.BytesIO()
        Image.fromarray(paper.astype(np.uint8)).save(buffer, format="PNG")
        return buffer.getvalue()


# --------------------------------------------------------------------------------------------------------
# One session


@dataclass
class Results:
    slider_ms: list[float] = field(default_factory=list)
    upload_ms: list[float] = field(default_factory=list)
    switch_ms: list[float] = field(default_factory=list)
    first_load_ms: list[float] = field(default_factory=list)
    sliders_seen: int = 0
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < 3:
            examples.append(detail[:300])


# The live sliders' range inputs (in the component's open shadow root: locators reach them, page.evaluate does
# not); inactive dimensions sit in a closed <details>, so only the first grid's are used.
LIVE = '[data-testid="live-sliders"]'
LIVE_SLIDERS = f'{LIVE} .ls-controls > .ls-grid input[type="range"]'

# Milliseconds from the last key press to an address other than `old` (false until then), by bench/_probes.py's
# key clock (installed in every page before Streamlit's own scripts).
SLIDER_DONE = """([old]) => {
  const clock = window.__keys, last = clock.answers[clock.answers.length - 1];
  return clock.url !== old && last && last.t0 === clock.t0 ? Math.max(0.001, last.t1 - last.t0) : false;
}"""

PROBLEMS = """() => {
  const texts = sel => [...document.querySelectorAll(sel)].map(e => e.innerText.slice(0, 300));
  const broken = [...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src);
  return {
    exception: texts('[data-testid="stException"]'),
    error: texts('[data-testid="stAlertContentError"]'),
    broken: broken,
  };
}"""


class Session:
    def __init__(
        self, number: int, browser, base: str, results: Results, digits: Digits, args, timeout_s: float = 0
    ) -> None:
        self.number = number
        self.browser = browser
        self.base = base
        self.results = results
        self.digits = digits
        self.args = args
        self.rng = random.Random(number)
        self.timeout_ms = 1000 * (timeout_s or args.action_timeout)
        self.reported: set[tuple[str, str]] = set()
        self.context = None
        self.page = None
        self.missing_media: set[str] = set()

    screenshots = 0

    # Everything the browser reports on its own.
    def on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if is_benign(url):
            return
        media = MEDIA_PATH.search(f"{message.text} {url}")
        if media and ("404" in message.text or "Image source error" in message.text):
            self.missing_media.add(media.group(0))  # judged at the next check: replaced, or shown broken?
            return
        self.results.error("console error", f"{message.text} ({url})")

    def on_response(self, response) -> None:
        if response.status >= 400 and response.url.startswith(self.base):
            media = MEDIA_PATH.search(response.url)
            if response.status == 404 and media:
                self.missing_media.add(media.group(0))
                return
            self.results.error("HTTP error", f"{response.status} {response.url}")

    async def check_page(self, page, where: str) -> None:
        """Count exception and error boxes shown (each distinct message once per session) and broken pictures.

        A picture the server no longer has (404) is an error when the page still shows it broken. When the
        page has already replaced it (the browser asked for it after a newer run had superseded it), it is
        counted apart, as "404 for a replaced picture".
        """
        found = await page.evaluate(PROBLEMS)
        for kind, texts in (("exception box", found["exception"]), ("error box", found["error"])):
            for text in texts:
                if (kind, text) not in self.reported:
                    self.reported.add((kind, text))
                    self.results.error(kind, f"{where}: {text}")
        broken = {MEDIA_PATH.search(src).group(0) for src in found["broken"] if MEDIA_PATH.search(src)}
        for path in broken:
            self.results.error("broken picture shown", f"{where}: {path}")
        for path in self.missing_media - broken:
            self.results.error("404 for a replaced picture", f"{where}: {path}")
        self.missing_media.clear()

    async def settle(self, page) -> None:
        """Wait until the page has finished drawing, as a person waits to see the result before going on."""
        await wait_idle(page, 0, self.timeout_ms, settled=True)

    async def open_page(self, page, title: str, record: bool = True) -> None:
        started = time.perf_counter()
        await page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
        await page.locator("h1", has_text=title).wait_for(timeout=self.timeout_ms)
        if title == "Latent sliders":  # the in-page decoder has painted, and the server has written the link
            await page.locator(f'{LIVE}[data-state="ready"]:not([data-paints="0"])').wait_for(timeout=self.timeout_ms)
            await page.wait_for_function("() => location.search.includes('code=')", timeout=self.timeout_ms)
        if record:
            self.results.switch_ms.append(1000 * (time.perf_counter() - started))
        await self.settle(page)

    async def move_slider(self, page) -> None:
        """One keyboard step on a live slider, timed from the key press to the server's answer (new code=)."""
        old = await page.evaluate("() => window.__keys.url")
        sliders = page.locator(LIVE_SLIDERS)
        count = await sliders.count()
        self.results.sliders_seen = count
        slider = sliders.nth(self.rng.randrange(max(1, min(SLIDERS_USED, count))))
        value, top = await slider.evaluate("e => [Number(e.value), Number(e.max)]")
        await slider.focus()
        await slider.press("ArrowLeft" if value >= top else "ArrowRight")  # a step that always changes the code
        handle = await page.wait_for_function(SLIDER_DONE, arg=[old], timeout=self.timeout_ms, polling=100)
        self.results.slider_ms.append(float(await handle.json_value()))
        await self.settle(page)

    async def upload(self, page) -> None:
        name = f"s{self.number:02d}-{self.digits.count:05d}.png"
        data = self.digits.next()
        source = page.get_by_role("radiogroup").filter(has_text="My uploads").get_by_text("My uploads")
        await source.click()
        dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        await dropzone.wait_for(state="attached", timeout=self.timeout_ms)  # the rerun has begun
        await self.settle(page)
        started = time.perf_counter()
        await dropzone.set_input_files({"name": name, "mimeType": "image/png", "buffer": data})
        row = page.locator('[data-testid="stMarkdownContainer"] strong', has_text=name)
        refusal = page.locator('[data-testid="stAlertContentError"]', has_text=name)
        await row.or_(refusal).first.wait_for(timeout=self.timeout_ms)
        if await refusal.count():
            self.results.error("failed upload", await refusal.first.inner_text())
            return
        self.results.upload_ms.append(1000 * (time.perf_counter() - started))
        await self.settle(page)

    async def screenshot(self, page, what: str) -> None:
        """Keep a picture of the first few failures, for whoever reads the report."""
        if Session.screenshots < MAX_SCREENSHOTS:
            Session.screenshots += 1
            with contextlib.suppress(Exception):
                await page.screenshot(path=OUTPUT / f"failure-{Session.screenshots}-s{self.number}-{what}.png")

    async def open(self) -> None:
        """A new browser context (a new Streamlit session) on the home page, then on Latent sliders."""
        self.context = await self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(self.timeout_ms)
        await self.context.add_init_script(KEY_CLOCK_JS)
        self.page = page = await self.context.new_page()
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.results.error("page error", str(error)))
        page.on("response", self.on_response)
        started = time.perf_counter()
        await page.goto(self.base + "/", timeout=FIRST_LOAD_TIMEOUT_MS)
        await page.locator("h1").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
        self.results.first_load_ms.append(1000 * (time.perf_counter() - started))
        await self.settle(page)
        await self.open_page(page, "Latent sliders", record=False)

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()

    async def loop(self, deadline: float, max_cycles: int = MAX_ACTIONS_PER_SESSION) -> None:
        """Slider moves and an upload, over and over, until the deadline (or max_cycles cycles)."""
        page = self.page
        actions = cycles = 0
        on_sliders = True  # open() left the page there
        while time.monotonic() < deadline and actions < MAX_ACTIONS_PER_SESSION and cycles < max_cycles:
            cycles += 1
            step = "opening Latent sliders"
            try:
                if not on_sliders:
                    await self.open_page(page, "Latent sliders")
                on_sliders = False
                for _ in range(SLIDER_MOVES_PER_CYCLE):
                    if time.monotonic() >= deadline:
                        break
                    step = "moving a slider"
                    await self.move_slider(page)
                    actions += 1
                    await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
                await self.check_page(page, "Latent sliders")
                if time.monotonic() >= deadline:
                    break
                step = "opening Reconstruct"
                await self.open_page(page, "Reconstruct")
                step = "uploading"
                await self.upload(page)
                actions += 1
                await self.check_page(page, "Reconstruct")
                await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
            except Exception as error:  # a timeout or a vanished element: count it, start over, go on
                kind = "timeout" if "Timeout" in type(error).__name__ else "session failure"
                self.results.error(kind, f"session {self.number}, {step}: {str(error).splitlines()[0]}")
                await self.screenshot(page, step.replace(" ", "-"))
                with contextlib.suppress(Exception):
                    await page.goto(self.base + "/", timeout=FIRST_LOAD_TIMEOUT_MS)
                    await page.locator("h1").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
                actions += 1
        with contextlib.suppress(Exception):
            await self.check_page(page, "end of the run")


# --------------------------------------------------------------------------------------------------------
# The run


def percentiles(values: list[float]) -> str:
    if not values:
        return "| – | – | – | – | 0 |"
    ordered = sorted(values)

    def at(q: float) -> float:  # nearest rank: the smallest value with at least q of the values at or below it
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return f"| {at(0.5):,.0f} | {at(0.9):,.0f} | {at(0.99):,.0f} | {ordered[-1]:,.0f} | {len(ordered)} |"


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


def _setup_lines(args, results: Results, info: dict) -> list[str]:
    """The command, the versions, and what the sessions did."""
    import platform

    import streamlit
    import torch

    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = ""
    la0, la1, cores = info["loadavg_start"], info["loadavg_end"], info["cores"]
    root = os.environ.get("VAE_CHECKPOINTS") or "checkpoints/"
    return [
        f"Command: `{command_line()}` · {dt.date.today().isoformat()} · Streamlit {streamlit.__version__}, "
        f"torch {torch.__version__}, Python {platform.python_version()}, {chromium or 'chromium'} (headless); "
        f"checkpoints from `{root}`.",
        "",
        f"{args.sessions} browser sessions (one Chromium, one context each) against `streamlit run app.py` on "
        f"{HOST}. One session first warms every cache up ({args.warmup_cycles} cycles; its first page load "
        f"took {info['warmup_first_load'] / 1000:.0f} s); then the {args.sessions} sessions open, "
        f"{args.ramp_concurrency} page loads at a time ({info['ramp']:.0f} s), and for {info['elapsed']:.0f} s "
        f"all of them loop: on Latent sliders (the default model pair and VAE; {results.sliders_seen} live sliders "
        f"shown) {SLIDER_MOVES_PER_CYCLE} keyboard steps (ArrowRight) on one of the "
        f"{min(SLIDERS_USED, results.sliders_seen)} most important sliders, each timed until the server's "
        "answer to the release (the digit itself is repainted in the page), then on Reconstruct an upload of a "
        "fresh 200x200 digit scan. After "
        f"each action a session waits for the page to finish drawing, then pauses {args.think:g} s ± 50 %. "
        f"Browser and server share the machine's {cores} cores.",
        "",
        f"Load average (1/5/15 min) on {cores} cores: {la0[0]:.1f} / {la0[1]:.1f} / {la0[2]:.1f} before the run, "
        f"{la1[0]:.1f} / {la1[1]:.1f} / {la1[2]:.1f} after it.",
        "",
    ]


def _resource_lines(args, info: dict) -> list[str]:
    """The server's memory over the run and where the window's CPU time went."""
    growth = info["rss_end"] - info["rss_start"]
    cores = info["cores"]
    capacity = cores * info["elapsed"]  # CPU-seconds the machine had in the window
    spare = max(0.0, capacity - info["cpu_used"] - info["client_cpu"])
    return [
        f"Server resident memory (VmRSS, process and children): {info['rss_start']:.0f} MB after the warm-up, "
        f"{info['rss_open']:.0f} MB with all {args.sessions} sessions open, peak {info['rss_peak']:.0f} MB, "
        f"{info['rss_end']:.0f} MB at the end of the window (growth {growth:+.0f} MB since the warm-up; target "
        f"< {args.max_growth_mb:.0f} MB), {info['rss_after_close']:.0f} MB {args.settle:.0f} s after the sessions "
        f"closed.",
        "",
        f"CPU in the window ({info['elapsed']:.0f} s, so {capacity:.0f} CPU-seconds on {cores} cores): the server "
        f"used {info['cpu_used']:.0f}, the browser and this script {info['client_cpu']:.0f}; the remaining "
        f"{spare:.0f} were idle or used by other processes."
        + (
            " The server was busy for a small share of the window, so the latencies above mostly measure "
            f"{args.sessions} browser tabs (and whatever else ran) queueing for {cores} cores, not the app."
            if info["cpu_used"] < 0.25 * capacity
            else ""
        ),
        "",
    ]


def report(args, results: Results, info: dict) -> tuple[str, bool]:
    """The BENCHMARKS.md section and whether the run passed (no errors, memory growth under the limit)."""
    errors = sum(results.errors.values())
    ok = errors == 0 and info["rss_end"] - info["rss_start"] < args.max_growth_mb
    lines = _setup_lines(args, results, info)
    lines += [
        "| latency (ms) | p50 | p90 | p99 | max | count |",
        "|---|---:|---:|---:|---:|---:|",
        f"| slider step → server answered (new code= in the URL) {percentiles(results.slider_ms)}",
        f"| upload → result row shown {percentiles(results.upload_ms)}",
        f"| page switch (sidebar link → page drawn) {percentiles(results.switch_ms)}",
        f"| first page load (while sessions open) {percentiles(results.first_load_ms)}",
        "",
    ]
    lines += _resource_lines(args, info)
    if errors:
        lines.append(f"**Errors: {errors}**")
        for kind, count in results.errors.most_common():
            lines.append(f"- {kind}: {count}, e.g. " + "; ".join(f"`{e}`" for e in results.examples[kind]))
    else:
        lines.append(
            "Errors: none (no exception or error boxes, console or page errors, HTTP errors, timeouts, failed "
            "uploads, or server-log tracebacks)."
        )
    lines.append("")
    lines.append(f"Verdict: {'PASS' if ok else 'FAIL'} (zero errors, memory growth < {args.max_growth_mb:.0f} MB).")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load after the warm-up")
    parser.add_argument("--warmup", type=float, default=180.0, help="at most this long one session warms up (s)")
    parser.add_argument("--warmup-cycles", type=int, default=2, help="slider-and-upload cycles of the warm-up")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a session's actions (s)")
    parser.add_argument("--ramp-concurrency", type=int, default=2, help="sessions loading their first page at once")
    parser.add_argument("--action-timeout", type=float, default=60.0, help="seconds before an action times out")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait after closing the sessions")
    parser.add_argument("--max-growth-mb", type=float, default=200.0)
    parser.add_argument("--no-write", action="store_true", help="print the report; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 64 or not 0 < args.duration <= 3600:
        parser.error("--sessions must be 1..64 and --duration 0..3600 s")
    results, info = asyncio.run(run(args))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    raw = {"args": vars(args), "info": info, "errors": dict(results.errors), "examples": results.examples}
    raw |= {k: getattr(results, k) for k in ("slider_ms", "upload_ms", "switch_ms", "first_load_ms")}
    (OUTPUT / "last-run.json").write_text(json.dumps(raw, indent=1))
    body, ok = report(args, results, info)
    publish("load", body, write=not args.no_write)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
