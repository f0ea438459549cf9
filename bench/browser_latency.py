"""How fast the explorer feels in a real browser: slider-to-picture latency and page load times.

Everything runs against real servers (``streamlit run app.py`` and ``streamlit run bench/floor_app.py``) on
free loopback ports, driven by Debian's headless Chromium through Playwright:

1. Page loads: for each page, a fresh app server; the time from navigation to the first image (or chart, on
   pages without images) painted, on the first visit after the server started (cold) and on a second visit
   from a new session (warm).
2. Slider latency, one session: the time from the key press on a slider (PageUp/PageDown/Home, i.e. 10% of
   the range or a jump to its end, so every move gives a new picture) to the new decoded image painted,
   measured in the page: ``performance.now()`` at keydown, a MutationObserver on the image's ``src``, then
   ``img.decode()`` and a frame. Rounds alternate between the explorer's Latent sliders page and the floor
   (bench/floor_app.py: two sliders -> a 28x28 numpy image, no model), so both see the same machine load.
3. The same while 4 other sessions (their own browser contexts) move sliders as fast as the app answers.

Each move is split, in the page's own clock, into: key -> websocket send (frontend), send -> the last
message before the image changed (server rerun + websocket), -> new ``src`` in the DOM (React), -> image
bytes loaded (/media fetch), -> decoded and painted. The app server runs with EXPLORER_TIMING=1 so its log
also gives the fragment's own run time.

    python bench/browser_latency.py                 # the recorded run (writes BENCHMARKS.md)
    python bench/browser_latency.py --moves 12 --no-write --skip-pages   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._browser import CHROMIUM, CHROMIUM_ARGS, free_port, stop_process_group  # noqa: E402
from bench._report import command_line, write_section  # noqa: E402

HOST = "127.0.0.1"  # loopback only
VIEWPORT = {"width": 1400, "height": 1000}
OUTPUT = REPO / "test-output" / "browser-latency"
MOVE_TIMEOUT_MS = 20_000
LOAD_TIMEOUT_MS = 180_000
PAGES = {  # url path -> page
    "/": "Home",
    "/sliders": "Latent sliders",
    "/reconstruct": "Reconstruct",
    "/interpolate": "Interpolate",
    "/latent_map": "Latent map",
    "/sampling": "AE vs VAE sampling",
}
TARGETS = {"p50": 1.3, "p95": 1.5, "concurrent_p95": 2.5, "warm_first_s": 2.0}

# Installed before any page script: stamps key presses, websocket traffic and the paint of each new picture
# in the image captioned "decoded code", and the first image or chart painted after navigation.
PROBE_JS = r"""
(() => {
  const L = window.__lat = {t0: null, sends: [], recvs: [], moves: [], lastSrc: null, first: null, open: null};
  const Native = window.WebSocket;
  class Probe extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => L.recvs.push(performance.now()));
      this.addEventListener('open', () => { L.open ??= performance.now(); });
    }
    send(data) { L.sends.push(performance.now()); return super.send(data); }
  }
  window.WebSocket = Probe;
  document.addEventListener('keydown', () => { L.t0 = performance.now(); }, true);
  const painted = fn => requestAnimationFrame(() => setTimeout(fn, 0));
  const after = (img, fn) => img.decode().then(() => painted(fn), () => painted(fn));
  const target = () => {
    for (const box of document.querySelectorAll('[data-testid="stImage"]')) {
      if (box.innerText.includes('decoded code')) return box.querySelector('img');
    }
    return null;
  };
  const check = () => {
    if (L.first === null) {
      const img = document.querySelector('[data-testid="stImage"] img');
      const chart = [...document.querySelectorAll('.js-plotly-plot')]
        .find(g => g._fullData && g._fullData.length && g.querySelector('.main-svg'));
      const stamp = what => () => { L.first = {what, t: performance.now()}; };
      if (img && img.getAttribute('src')) { L.first = 'pending'; after(img, stamp('image')); }
      else if (chart) { L.first = 'pending'; painted(stamp('chart')); }
    }
    const img = target();
    if (!img) return;
    const src = img.getAttribute('src');
    if (!src || src === L.lastSrc) return;
    const first = L.lastSrc === null;
    L.lastSrc = src;
    const t0 = L.t0, tm = performance.now();
    after(img, () => { if (!first) L.moves.push({src: img.src, t0, tm, t1: performance.now()}); });
  };
  new MutationObserver(check)
    .observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
})();
"""

# Split one move (index i of __lat.moves) into its parts, in ms of the page's clock.
SPLIT_JS = r"""
i => {
  const L = window.__lat, m = L.moves[i];
  const send = L.sends.find(t => t >= m.t0) ?? m.t0;
  const recvs = L.recvs.filter(t => t >= send && t <= m.tm);
  const last = recvs.length ? recvs[recvs.length - 1] : send;
  const media = performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/media/') && e.startTime >= m.t0 - 1);
  const own = media.find(e => e.name === m.src);
  const loaded = own ? Math.max(own.responseEnd, m.tm) : m.tm;
  return {
    total: m.t1 - m.t0, frontend: send - m.t0, server: last - send, react: m.tm - last,
    fetch: loaded - m.tm, paint: m.t1 - loaded,
    image_bytes: own ? own.encodedBodySize : (m.src.startsWith('data:') ? Math.round(m.src.length * 3 / 4) : 0),
    inline: m.src.startsWith('data:') ? 1 : 0,
    fetch_wait: own ? own.requestStart - m.tm : 0, fetch_ttfb: own ? own.responseStart - own.requestStart : 0,
    media_requests: media.length, media_bytes: media.reduce((n, e) => n + (e.encodedBodySize || 0), 0),
  };
}
"""

IDLE_JS = """([quiet]) => new Promise(resolve => {
  let calm = performance.now();
  const tick = () => {
    if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) calm = performance.now();
    if (performance.now() - calm >= quiet) resolve(true); else requestAnimationFrame(tick);
  };
  tick();
})"""


# --------------------------------------------------------------------------------------------------------
# Servers


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (load-independent cost)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")


@contextlib.contextmanager
def server(script: str, name: str, timing: bool = False, extra: tuple[str, ...] = ()):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    port = free_port(HOST)
    log_path = OUTPUT / f"{name}.log"
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", HOST, "--browser.gatherUsageStats", "false"]
    command += list(extra)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if timing:
        env["EXPLORER_TIMING"] = "1"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    running = Server(f"http://{HOST}:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{script} exited early; see {log_path}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{running.url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{script} did not answer /_stcore/health in 60 s; see {log_path}")
            time.sleep(0.2)
        yield running
    finally:
        stop_process_group(process)


# --------------------------------------------------------------------------------------------------------
# Browser sessions


async def new_page(browser, url: str):
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(PROBE_JS)
    page = await context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    await page.goto(url)
    return page


async def idle(page, quiet_ms: int = 150) -> None:
    await page.wait_for_function(IDLE_JS, arg=[quiet_ms], timeout=MOVE_TIMEOUT_MS)


async def open_sliders(browser, url: str):
    page = await new_page(browser, url)
    await page.wait_for_function("() => window.__lat.lastSrc !== null", timeout=LOAD_TIMEOUT_MS)
    await idle(page, 500)
    return page


def walk(n_sliders: int = 2):
    """Keys that give a new code at every step: a raster over the first two sliders, 10% of the range a step."""
    yield 0, "Home"
    yield 1, "Home"
    row = 0
    while True:
        for _ in range(10):
            yield 0, "PageUp" if row % 2 == 0 else "PageDown"
        yield 1, "PageUp" if row < 10 else "PageDown"
        row = (row + 1) % 20


async def move(page, slider: int, key: str) -> dict | None:
    """One key press; returns its split (ms), or None when no new picture came within the timeout."""
    count = await page.evaluate("() => window.__lat.moves.length")
    thumbs = page.locator('[data-testid="stSlider"] input[type="range"]')
    await thumbs.nth(slider).focus()
    await page.keyboard.press(key)
    try:
        await page.wait_for_function("n => window.__lat.moves.length > n", arg=count, timeout=MOVE_TIMEOUT_MS)
    except Exception:
        return None
    split = await page.evaluate(SPLIT_JS, count)
    await idle(page)
    return split


async def measure(page, moves: int, steps) -> list[dict | None]:
    results = []
    for _ in range(moves):
        slider, key = next(steps)
        results.append(await move(page, slider, key))
        await asyncio.sleep(0.1)  # a person's pause between two moves
    return results


async def keep_moving(page, stop: asyncio.Event) -> int:
    """A background user: move sliders as fast as the app answers until told to stop."""
    steps, done = walk(), 0
    for _ in range(2):  # to a fresh code first, so its pictures are its own
        await move(page, *next(steps))
    while not stop.is_set():
        await move(page, *next(steps))
        done += 1
    return done


async def warm_up(page, steps, moves: int = 6) -> None:
    await measure(page, moves, steps)


# --------------------------------------------------------------------------------------------------------
# Phases


@dataclass
class Report:
    pages: dict[str, dict] = field(default_factory=dict)
    runs: dict[str, list[dict | None]] = field(default_factory=dict)
    background_moves: dict[str, int] = field(default_factory=dict)
    panel_ms: list[float] = field(default_factory=list)
    panel_cpu_ms: list[float] = field(default_factory=list)
    load: list[tuple[str, float, float]] = field(default_factory=list)  # (when, load average, CPU pressure %)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # server CPU time per measured move


FIRST_SPLIT_JS = """() => {
  const L = window.__lat, t = L.first.t, open = L.open ?? 0;
  const before = L.recvs.filter(r => r <= t);
  const last = before.length ? before[before.length - 1] : open;
  return {s: t / 1000, what: L.first.what, boot: open / 1000, server: (last - open) / 1000, render: (t - last) / 1000};
}"""


async def first_paint(context, url: str) -> dict:
    """Navigation -> first image (or chart) painted, split into page boot (HTML and scripts, up to the
    websocket), server (up to the last message before the paint) and browser render."""
    page = await context.new_page()
    await page.goto(url, wait_until="commit")
    await page.wait_for_function(
        "() => window.__lat && window.__lat.first && window.__lat.first.t", timeout=LOAD_TIMEOUT_MS
    )
    result = await page.evaluate(FIRST_SPLIT_JS)
    await page.close()
    return result


async def page_loads(browser, report: Report) -> None:
    for path, name in PAGES.items():
        with server("app.py", "app-pages") as app:
            # one browser profile: the second visit finds Streamlit's scripts in the browser cache, as a
            # person's reload or return would; each visit is a new tab, so a new Streamlit session
            context = await browser.new_context(viewport=VIEWPORT)
            await context.add_init_script(PROBE_JS)
            cold = await first_paint(context, app.url + path)
            warm = await first_paint(context, app.url + path)
            await context.close()
        report.pages[name] = {"cold": cold, "warm": warm}
        print(
            f"  {name:20s} cold {cold['s']:6.2f} s   warm {warm['s']:5.2f} s = boot {warm['boot']:.2f}"
            f" + server {warm['server']:.2f} + render {warm['render']:.2f} ({warm['what']})",
            flush=True,
        )


def cpu_pressure() -> float:
    """Share of the last 60 s in which some runnable task waited for a CPU (Linux PSI), in percent."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return float(re.search(r"avg60=([\d.]+)", line).group(1))
    except (OSError, AttributeError, IndexError):
        return float("nan")


def note_load(report: Report, when: str) -> None:
    report.load.append((when, os.getloadavg()[0], cpu_pressure()))


async def slider_runs(browser, report: Report, moves: int, rounds: int) -> None:
    # The floor runs twice: with the repository's .streamlit/config.toml (the same settings as the app: the
    # fair floor) and with Streamlit's default post-run garbage collection (the usual Streamlit round trip).
    default_gc = ("--runner.postScriptGC", "true")
    with (
        server("app.py", "app-sliders", timing=True) as app,
        server("bench/floor_app.py", "floor") as floor,
        server("bench/floor_app.py", "floor-default-gc", extra=default_gc) as floor_gc,
    ):
        servers = {"app": app, "floor": floor, "floor-gc": floor_gc}
        urls = {"app": app.url + "/sliders", "floor": floor.url, "floor-gc": floor_gc.url}
        pages = {k: await open_sliders(browser, u) for k, u in urls.items()}
        steps = {k: walk() for k in urls}
        for k in urls:
            await warm_up(pages[k], steps[k])
        note_load(report, "single session, start")
        offset = app.log_size()
        per_round = -(-moves // rounds)
        cpu = dict.fromkeys(urls, 0.0)
        for r in range(rounds):
            for k in ("floor", "floor-gc", "app"):
                before = servers[k].cpu_seconds()
                report.runs.setdefault(k, []).extend(await measure(pages[k], per_round, steps[k]))
                cpu[k] += servers[k].cpu_seconds() - before
                print(f"  round {r + 1}/{rounds} {k}: {len(report.runs[k])} moves", flush=True)
        for k in urls:
            report.cpu_ms[k] = 1000 * cpu[k] / max(1, len(report.runs[k]))
        note_load(report, "single session, end")
        for match in re.finditer(r"sliders panel ([\d.]+) ms wall, ([\d.]+) ms CPU", app.log_since(offset)):
            report.panel_ms.append(float(match.group(1)))
            report.panel_cpu_ms.append(float(match.group(2)))

        for k in ("app", "floor"):
            others = [await open_sliders(browser, urls[k]) for _ in range(4)]
            stop = asyncio.Event()
            background = [asyncio.create_task(keep_moving(p, stop)) for p in others]
            await asyncio.sleep(2)
            note_load(report, f"{k} + 4 sessions, start")
            report.runs[f"{k}+4"] = await measure(pages[k], moves, steps[k])
            note_load(report, f"{k} + 4 sessions, end")
            stop.set()
            report.background_moves[k] = sum(await asyncio.gather(*background))
            for p in others:
                await p.context.close()
            print(f"  {k} with 4 other sessions: {len(report.runs[f'{k}+4'])} moves", flush=True)


async def slider_during_training(browser, report: Report, moves: int) -> None:
    """One session's slider latency before and while a training run from the Train page trains, with a
    second session watching the run there (so the server also draws the live view every 2 s)."""
    import tempfile

    from explorer import runs

    with tempfile.TemporaryDirectory(prefix="bench-runs-") as folder:
        root, previous = Path(folder), os.environ.get(runs.RUNS_ENV)
        os.environ[runs.RUNS_ENV] = folder  # the server reads it at start-up
        try:
            with server("app.py", "app-training") as app:
                page = await open_sliders(browser, app.url + "/sliders")
                steps = walk()
                await warm_up(page, steps)
                report.runs["app-idle"] = await measure(page, moves, steps)
                runs.start([runs.RunSpec("vae", "mlp", 16, epochs=500, max_minutes=30)], root, evaluate=False)
                watcher = await new_page(browser, app.url + "/train")
                try:
                    await watcher.wait_for_function(
                        "() => /epoch [1-9]/.test(document.querySelector('[data-testid=\"stProgress\"]')?.innerText)"
                    )  # the first epoch is saved: the live view has curves and pictures to draw
                    note_load(report, "app + training run, start")
                    report.runs["app+training"] = await measure(page, moves, steps)
                    note_load(report, "app + training run, end")
                finally:
                    runs.stop(root)
                    runs.wait(root, 60)
                    await watcher.context.close()
                    await page.context.close()
        finally:
            if previous is None:
                del os.environ[runs.RUNS_ENV]
            else:
                os.environ[runs.RUNS_ENV] = previous
    print(f"  sliders before and during a training run: {moves} moves each", flush=True)


# --------------------------------------------------------------------------------------------------------
# Report

# What earlier runs of this benchmark (and py-spy on the server during slider moves) showed, and what was done
# about it. Kept with the numbers because the tables alone do not say why they look the way they do.
FINDINGS = """
What the split showed, and what changed because of it (A/B runs of this harness, rounds interleaved so both
sides saw the same load):

- **Post-run garbage collection.** Streamlit runs a full `gc.collect()` after every script and fragment run
  by default. With torch loaded that cost ~190 ms of server CPU per slider move, ten times the fragment's
  own work, and it holds the GIL, so the picture's /media request queued behind it (p50 1.3 s against
  0.23 s on the loaded machine). `.streamlit/config.toml` now sets `runner.postScriptGC = false`: server CPU
  per move 210 -> 23 ms, resident memory after 60 moves unchanged (435 MB both ways). The floor runs with
  the same config; the `floor-gc` row is the floor with Streamlit's default, for reference.
- **Images through /media.** Given PNG bytes, `st.image` re-encoded each digit as a JPEG /media file (ten per
  move on this page), the largest remaining server cost (28% of its CPU samples) and a race: after quick
  key presses the browser asked for files of a superseded run that were already gone (HTTP 404, a broken
  image for a moment). Digits are now inline PNG data URLs (`explorer.figures.inline_png`): ~15% less
  server CPU per move, no second round trip, crisp pixels.
- **What is left** (py-spy, after both): Streamlit's element work for the 16 sliders, 10 images, selectbox
  and text that the fragment re-sends on every move (~45% of server CPU), websocket sends (~20%), the models
  (decode, classify, 9-step traversal: ~6%). The floor re-sends 2 sliders and 1 image, which is most of the
  remaining gap to it (1.9x at p50). Closing it means re-sending less per move, e.g. taking the traversal
  strip out of the slider fragment or showing fewer sliders at once: product choices, not done here.
- **Page loads.** Warm, most of the time is the page booting (Streamlit's scripts from the browser cache,
  websocket) and the browser drawing; the server's part is a few hundred ms. The latent map's two
  10,000-point WebGL charts take ~1.7 s to draw in headless Chromium, which has no GPU here (software
  WebGL); the cold visits add model loading and the cached test-set computations.
"""


def stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "max": float(a.max())}


def summarise(report: Report, args: argparse.Namespace) -> tuple[str, bool]:
    lines: list[str] = []
    ok = True
    ps = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    busy = [ln.split(None, 1) for ln in ps.splitlines()[1:6]]
    lines.append(f"Command: `{command_line()}`  ")
    lines.append(
        f"Machine: {os.cpu_count()} cores, shared. Load average / CPU pressure (share of the last minute in which "
        "some task waited for a CPU) during the slider runs: "
        + ", ".join(f"{label} {load:.1f} / {psi:.0f}%" for label, load, psi in report.load)
        + "; busiest processes at the end: "
        + ", ".join(f"{c.strip()} {p}%" for p, c in busy)
        + "."
    )
    lines.append("")

    if report.runs:
        lines.append("Slider change -> new decoded image painted (ms, in the page's clock):")
        lines.append("")
        lines.append("| run | moves | p50 | p95 | max | lost | server CPU per move |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        summary = {}
        for name, label in [
            ("floor", "floor (bench/floor_app.py, the repository's config), 1 session"),
            ("floor-gc", "floor with Streamlit's default post-run GC, 1 session"),
            ("app", "Latent sliders, 1 session"),
            ("floor+4", "floor, while 4 other sessions move sliders"),
            ("app+4", "Latent sliders, while 4 other sessions move sliders"),
            ("app-idle", "Latent sliders, 1 session, before a training run (its own server)"),
            ("app+training", "the same, while a Train-page run trains and another session watches it"),
        ]:
            runs = report.runs.get(name)
            if not runs:
                continue
            good = [r["total"] for r in runs if r]
            summary[name] = stats(good)
            s = summary[name]
            cpu = f"{report.cpu_ms[name]:.0f} ms" if name in report.cpu_ms else ""
            lines.append(
                f"| {label} | {len(good)} | {s['p50']:.0f} | {s['p95']:.0f} | {s['max']:.0f} "
                f"| {len(runs) - len(good)} | {cpu} |"
            )
        lines.append("")
        if "floor" in summary and "app" in summary:
            f, a = summary["floor"], summary["app"]
            checks = [
                ("p50 within 1.3x the floor", a["p50"] / f["p50"], TARGETS["p50"]),
                ("p95 within 1.5x the floor", a["p95"] / f["p95"], TARGETS["p95"]),
            ]
            if "app+4" in summary:
                checks.append(
                    ("p95 with 4 other sessions under 2.5x the floor's p95", summary["app+4"]["p95"] / f["p95"], 2.5)
                )
            lines.append("| target | ratio | met |")
            lines.append("| --- | ---: | --- |")
            for label, ratio, limit in checks:
                met = ratio <= limit
                ok &= met
                lines.append(f"| {label} | {ratio:.2f}x | {'yes' if met else '**no**'} |")
            lines.append("")

        lines.append("Where a move's time goes (medians, ms):")
        lines.append("")
        lines.append(
            "| run | key -> send | server + websocket | React | image fetch | decode + paint | decoded image |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for name, runs in report.runs.items():
            good = [r for r in runs if r]
            if not good:
                continue

            def med(key: str, rows: list[dict] = good) -> float:
                return float(np.median([r[key] for r in rows]))

            how = "inline PNG" if med("inline") else "/media file"
            lines.append(
                f"| {name} | {med('frontend'):.0f} | {med('server'):.0f} | {med('react'):.0f} | {med('fetch'):.0f} "
                f"| {med('paint'):.0f} | {med('image_bytes') / 1024:.1f} KB, {how} |"
            )
        lines.append("")
        if report.panel_ms:
            p = stats(report.panel_ms)
            c = stats(report.panel_cpu_ms)
            lines.append(
                f"The sliders fragment itself (server log, EXPLORER_TIMING=1, single-session rounds): "
                f"{p['p50']:.0f} ms wall p50, {p['p95']:.0f} ms p95; {c['p50']:.0f} ms CPU p50."
            )
        if report.background_moves:
            lines.append(
                "Background sessions completed "
                + ", ".join(f"{n} moves on {k}" for k, n in report.background_moves.items())
                + " while the measured session made its moves."
            )
        lines.append("")

    if report.pages:
        lines.append("Navigation -> first image painted (or chart, on pages without images), seconds:")
        lines.append("")
        lines.append(
            "| page | cold (first visit after server start) | warm (second visit) "
            "| warm: page boot | warm: server | warm: render | first content |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for name, result in report.pages.items():
            warm = result["warm"]["s"]
            met = warm <= TARGETS["warm_first_s"]
            ok &= met
            flag = "" if met else " **(over 2 s)**"
            w = result["warm"]
            lines.append(
                f"| {name} | {result['cold']['s']:.2f} | {warm:.2f}{flag} | {w['boot']:.2f} | {w['server']:.2f} "
                f"| {w['render']:.2f} | {w['what']} |"
            )
        lines.append("")
    return "\n".join(lines), ok


async def main_async(args: argparse.Namespace) -> Report:
    from playwright.async_api import async_playwright

    report = Report()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if not args.skip_sliders:
                print("slider latency", flush=True)
                await slider_runs(browser, report, args.moves, args.rounds)
            if not args.skip_pages:
                print("page loads (a fresh server per page)", flush=True)
                await page_loads(browser, report)
            if args.training:
                print("slider latency while a training run trains", flush=True)
                await slider_during_training(browser, report, args.moves)
        finally:
            await browser.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=60, help="measured slider moves per run (default 60)")
    parser.add_argument("--rounds", type=int, default=3, help="floor/app alternations in the single-session runs")
    parser.add_argument("--skip-pages", action="store_true", help="skip the page-load part")
    parser.add_argument("--skip-sliders", action="store_true", help="skip the slider part")
    parser.add_argument("--training", action="store_true", help="also measure sliders during a training run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    report = asyncio.run(main_async(args))
    body, ok = summarise(report, args)
    print()
    print(body)
    if not args.no_write:
        write_section("browser-latency", "## Browser latency (headless Chromium)\n\n" + body + "\n" + FINDINGS)
        print("\nwritten to BENCHMARKS.md (section browser-latency)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
