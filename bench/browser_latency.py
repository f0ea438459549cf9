"""How fast the explorer feels in a real browser: slider-to-picture latency and page load times.

Everything runs against real servers (``streamlit run app.py`` and ``streamlit run bench/floor_app.py``) on
free loopback ports, driven by Debian's headless Chromium through Playwright:

1. Page loads: for each page, and for the floor (bench/floor_app.py, Streamlit's own cost), a fresh server;
   the time from navigation to the first content painted (image, chart, form, or a live component's first
   drawing, which marks itself with performance.mark('explorer:drawn:...')), on the first visit after the
   server started (cold), a second (warm) and a third visit, each a new tab of one browser profile. Then, on
   one more fresh server, in-app switches: a click on each page's sidebar link in turn, to that page's first
   content, touring the app twice (first visit in the session, then a return).
2. Slider latency, one session: the time from the key press on a slider (PageUp/PageDown/Home, i.e. 10% of
   the range or a jump to its end, so every move gives a new code) to the server's answer, measured in the
   page with ``performance.now()`` at keydown. The floor (bench/floor_app.py: two st.sliders -> a 28x28 numpy
   image, no model) answers with a new picture: a MutationObserver on the image's ``src``, then
   ``img.decode()`` and a frame. The Latent sliders page paints its digit in the page while the slider
   moves (measured apart, by live_drag_runs); a key press is also a release, which goes to the server, and
   its answer is the sliders fragment's rerun writing the new code into the URL (``code=``, seen through the
   history API). Rounds alternate between the two, so both see the same machine load.
3. The same while 4 other sessions (their own browser contexts) move sliders as fast as the app answers.

Each move is split, in the page's own clock, into: key -> websocket send (frontend), send -> the last
message before the answer (server rerun + websocket), -> new ``src`` in the DOM or new URL (React), and for
the floor -> image bytes loaded (/media fetch), -> decoded and painted. The app server runs with
EXPLORER_TIMING=1 so its log also gives the fallback sliders panel's own run time.

    python bench/browser_latency.py                 # the recorded run (writes BENCHMARKS.md)
    python bench/browser_latency.py --moves 12 --no-write --skip-pages   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._probes import KEY_CLOCK_JS  # noqa: E402
from bench._report import command_line, publish  # noqa: E402
from tests._browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle  # noqa: E402

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
    "/draw": "Draw a digit",
    "/train": "Train",
    "/arithmetic": "Latent arithmetic",
}
TARGETS = {"p50": 1.3, "p95": 1.5, "concurrent_p95": 2.5, "warm_first_s": 1.0, "cold_first_s": 2.5}

# Installed before any page script: stamps key presses, websocket traffic and the paint of each new picture
# in the image captioned "decoded code", and the first image or chart painted after navigation.
PROBE_JS = r"""
(() => {
  const L = window.__lat = {sends: [], recvs: [], moves: [], lastSrc: null, first: null, open: null};
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
  const K = window.__keys;  // bench/_probes.py's key clock, installed just before
  const painted = fn => requestAnimationFrame(() => setTimeout(fn, 0));
  const stamp = what => () => { L.first = {what, t: performance.now()}; };
  // The live components and the charts (in shadow roots, out of the MutationObserver's sight) mark their first
  // drawing with performance.mark('explorer:drawn:<component>'): 'chart' for explorer/web/chart.js (Home's
  // training curves, Reconstruct's error maps and histogram), 'latent-map' for the maps.
  new PerformanceObserver(list => {
    const mark = list.getEntries().find(e => e.name.startsWith('explorer:drawn:'));
    if (mark && L.first === null) { L.first = 'pending'; painted(stamp(mark.name.slice(15))); }
  }).observe({type: 'mark', buffered: true});
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
      const form = document.querySelector('[data-testid="stForm"]');
      if (img && img.getAttribute('src')) { L.first = 'pending'; after(img, stamp('image')); }
      else if (form) { L.first = 'pending'; painted(stamp('form')); }
    }
    const img = target();
    if (!img) return;
    const src = img.getAttribute('src');
    if (!src || src === L.lastSrc) return;
    const first = L.lastSrc === null;
    L.lastSrc = src;
    const t0 = K.t0, tm = performance.now();
    after(img, () => { if (!first) L.moves.push({src: img.src, t0, tm, t1: performance.now()}); });
  };
  new MutationObserver(check)
    .observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
})();
"""

# Split one release on the live sliders (index i of __keys.answers): key -> websocket send, -> the last message
# before the address changed (server rerun + websocket), -> the address changed (frontend). No picture: the
# digit was already repainted in the page (live_drag_runs measures that).
# Shared by both splits: the first websocket send after t0 and the last message received before tEnd.
SEND_AND_LAST_JS = r"""
window.sendAndLast = (L, t0, tEnd) => {
  const send = L.sends.find(t => t >= t0) ?? t0;
  const recvs = L.recvs.filter(t => t >= send && t <= tEnd);
  return [send, recvs.length ? recvs[recvs.length - 1] : send];
};
"""
PROBE_JS = KEY_CLOCK_JS + PROBE_JS + SEND_AND_LAST_JS  # the splits below run later in the same page

ANSWER_SPLIT_JS = r"""
i => {
  const L = window.__lat, a = window.__keys.answers[i];
  const [send, last] = sendAndLast(L, a.t0, a.t1);
  return {total: a.t1 - a.t0, frontend: send - a.t0, server: last - send, react: a.t1 - last, fetch: 0, paint: 0,
          image_bytes: 0, inline: 0, answer: 1};
}
"""

# Split one move (index i of __lat.moves) into its parts, in ms of the page's clock.
SPLIT_JS = r"""
i => {
  const L = window.__lat, m = L.moves[i];
  const [send, last] = sendAndLast(L, m.t0, m.tm);
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

# --------------------------------------------------------------------------------------------------------
# Servers


def server(script: str, name: str, timing: bool = False, extra: tuple[str, ...] = ()):
    """A Streamlit server for `script`, its log in test-output/browser-latency/<name>.log; with `timing` the app
    logs each fragment's own run time (EXPLORER_TIMING=1)."""
    env = {"EXPLORER_TIMING": "1"} if timing else None
    warm = script == "app.py"  # the app as ./scripts/run.sh starts it; the floor as plain `streamlit run`
    return streamlit_server(script, OUTPUT / f"{name}.log", extra_args=extra, env=env, warm_start=warm)


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
    await wait_idle(page, quiet_ms, MOVE_TIMEOUT_MS)


async def open_sliders(browser, url: str):
    page = await new_page(browser, url)
    await page.wait_for_function("() => window.__lat.lastSrc !== null", timeout=LOAD_TIMEOUT_MS)
    await idle(page, 500)
    return page


LIVE_SLIDERS = '[data-testid="live-sliders"] .ls-controls > .ls-grid input[type="range"]'


async def open_live_sliders(browser, url: str):
    """The Latent sliders page with its live component: decoder loaded and painted, link written."""
    page = await new_page(browser, url)
    await page.locator('[data-testid="live-sliders"][data-state="ready"]:not([data-paints="0"])').wait_for()
    await page.wait_for_function("() => location.search.includes('code=')", timeout=LOAD_TIMEOUT_MS)
    await idle(page, 500)
    return page


async def _press(page, thumbs: str, slider: int, key: str, events: str, split_js: str) -> dict | None:
    """Press ``key`` on slider ``slider`` of ``thumbs`` and wait for a new entry in the page's list ``events``
    (``window.__lat.moves`` or ``window.__keys.answers``); returns ``split_js``'s split (ms) of that entry, or
    None when none came within the timeout."""
    count = await page.evaluate(f"() => {events}.length")
    await page.locator(thumbs).nth(slider).focus()
    await page.keyboard.press(key)
    try:
        await page.wait_for_function(f"n => {events}.length > n", arg=count, timeout=MOVE_TIMEOUT_MS)
    except Exception:
        return None
    split = await page.evaluate(split_js, count)
    await idle(page)
    return split


async def move_live(page, slider: int, key: str) -> dict | None:
    """One key press on a live slider (its change event is the release), timed up to the server's answer."""
    return await _press(page, LIVE_SLIDERS, slider, key, "window.__keys.answers", ANSWER_SPLIT_JS)


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
    """One key press on a Streamlit slider, timed up to the new picture."""
    return await _press(
        page, '[data-testid="stSlider"] input[type="range"]', slider, key, "window.__lat.moves", SPLIT_JS
    )


async def measure(page, moves: int, steps, mover=move) -> list[dict | None]:
    results = []
    for _ in range(moves):
        slider, key = next(steps)
        results.append(await mover(page, slider, key))
        await asyncio.sleep(0.1)  # a person's pause between two moves
    return results


async def keep_moving(page, stop: asyncio.Event, mover=move) -> int:
    """A background user: move sliders as fast as the app answers until told to stop."""
    steps, done = walk(), 0
    for _ in range(2):  # to a fresh code first, so its pictures are its own
        await mover(page, *next(steps))
    while not stop.is_set():
        await mover(page, *next(steps))
        done += 1
    return done


async def warm_up(page, steps, moves: int = 6, mover=move) -> None:
    await measure(page, moves, steps, mover)


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
    live: dict = field(default_factory=dict)  # live_drag_runs: the in-page decoder's drag latency and load
    page_load: list[tuple[str, float, float]] = field(default_factory=list)  # as load, around page_loads
    switches: dict[str, dict] = field(default_factory=dict)  # page -> in-app switch {"first", "again", "what"}


# True once the probe has stamped the page's first content as painted.
FIRST_PAINTED_JS = "() => window.__lat && window.__lat.first && window.__lat.first.t"

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
    await page.wait_for_function(FIRST_PAINTED_JS, timeout=LOAD_TIMEOUT_MS)
    result = await page.evaluate(FIRST_SPLIT_JS)
    await page.close()
    return result


FLOOR_PAGE = "Streamlit floor (bench/floor_app.py)"


async def _server_quiet(app, timeout: float = 60.0, window: float = 0.5) -> None:
    """Until the server used under 5% of a core over `window` seconds: a visit's page closes at its first paint,
    while its script may still be running (scoring samples, say); the next visit should not queue behind it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = app.cpu_seconds()
        await asyncio.sleep(window)
        if app.cpu_seconds() - before < 0.05 * window:
            return


async def _visits(browser, app, path: str) -> dict:
    """Three visits from one browser profile, each a new tab (so a new Streamlit session): cold (the first
    after the server started), warm (Streamlit's scripts now come from the browser cache, as on a person's
    return) and a third (Chromium also reuses its compiled code for the scripts from the second load on). Each
    visit starts once the server has finished the previous one's work."""
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(PROBE_JS)
    visits = {}
    for name in ("cold", "warm", "third"):
        visits[name] = await first_paint(context, app.url + path)
        await _server_quiet(app)
    await context.close()
    return visits


def _median_visit(visits: list[dict]) -> dict:
    """The median of each timing over repeated visits (the split's parts each on their own, so they need not add
    up exactly), with the content kind of the first."""
    return {key: float(np.median([v[key] for v in visits])) for key in ("s", "boot", "server", "render")} | {
        "what": visits[0]["what"]
    }


async def page_loads(browser, report: Report, repeats: int = 3) -> None:
    """Every page on a fresh app server, and the floor: the smallest Streamlit page (two sliders, one image);
    `repeats` rounds over all of them, each page's figures the medians of its rounds (one cold visit is one
    sample, and a shared machine's noise moves it by several tenths of a second)."""
    targets = [("bench/floor_app.py", "/", FLOOR_PAGE)] + [("app.py", path, name) for path, name in PAGES.items()]
    rounds: dict[str, list[dict]] = {name: [] for _, _, name in targets}
    for round_number in range(1, repeats + 1):
        print(f" round {round_number} of {repeats}", flush=True)
        for script, path, name in targets:
            launched = time.perf_counter()
            with server(script, "app-pages" if script == "app.py" else "floor-pages") as app:
                started = time.perf_counter() - launched  # process start -> /_stcore/health answers
                visits = await _visits(browser, app, path)
            visits["start_s"] = started
            rounds[name].append(visits)
            cold, warm = visits["cold"], visits["warm"]
            print(
                f"  {name:20s} cold {cold['s']:6.2f} s ({_split(cold)})   warm {warm['s']:5.2f} s ({_split(warm)});"
                f" third {visits['third']['s']:.2f} s",
                flush=True,
            )
    for name, samples in rounds.items():
        report.pages[name] = {visit: _median_visit([s[visit] for s in samples]) for visit in ("cold", "warm", "third")}
        report.pages[name] |= {"start_s": float(np.median([s["start_s"] for s in samples])), "rounds": len(samples)}


# Click a sidebar link (selector) and time it to the new page's first content painted: an image whose picture was
# added or replaced after the click, a form, or a component's first-drawing mark made after the click. Content
# inside a stale (greyed-out) element is the old page's and does not count. Returns the page title (h1) before
# the click and at the paint, so the caller can tell the new page was showing.
SWITCH_JS = r"""
selector => new Promise(resolve => {
  const t0 = performance.now(), before = document.querySelector('h1')?.innerText ?? '';
  let done = false;
  const finish = what => {
    if (done) return;
    done = true;
    watch.disconnect();
    marks.disconnect();
    const title = document.querySelector('h1')?.innerText ?? '';
    const s = () => (performance.now() - t0) / 1000;
    requestAnimationFrame(() => setTimeout(() => resolve({what, s: s(), title, before}), 0));
  };
  const fresh = el => !el.closest('[data-stale="true"]');
  const within = (node, css) => node.matches(css) ? node : node.querySelector(css);
  const watch = new MutationObserver(records => {
    for (const record of records) {
      for (const node of record.type === 'attributes' ? [record.target] : record.addedNodes) {
        if (!(node instanceof Element)) continue;
        const img = within(node, '[data-testid="stImage"] img[src]');
        if (img && fresh(img)) { img.decode().then(() => finish('image'), () => finish('image')); return; }
        const form = within(node, '[data-testid="stForm"]');
        if (form && fresh(form)) { finish('form'); return; }
      }
    }
  });
  watch.observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  const marks = new PerformanceObserver(list => {
    const mark = list.getEntries().find(e => e.name.startsWith('explorer:drawn:') && e.startTime >= t0);
    if (mark) finish(mark.name.slice(15));
  });
  marks.observe({type: 'mark'});
  document.querySelector(selector).click();
})"""


async def in_app_switches(browser, report: Report) -> None:
    """Page to page by the sidebar, as a person moves around the app: on a fresh server, Home first, then a click
    on each other page's link in turn and back to Home, twice. The first tour is each page's first visit in the
    session (and its first run in the process); the second, a return to it."""
    tour = [path for path in PAGES if path != "/"] + ["/"]
    with server("app.py", "app-switches") as app:
        context = await browser.new_context(viewport=VIEWPORT)
        await context.add_init_script(PROBE_JS)
        page = await context.new_page()
        page.set_default_timeout(LOAD_TIMEOUT_MS)
        await page.goto(app.url + "/", wait_until="commit")
        await page.wait_for_function(FIRST_PAINTED_JS)
        for round_name in ("first", "again"):
            for path in tour:
                await _server_quiet(app)
                link = f'[data-testid="stSidebarNavLink"][href="{app.url}{path}"]'
                await page.wait_for_selector(link)
                switched = await page.evaluate(SWITCH_JS, link)
                entry = report.switches.setdefault(PAGES[path], {})
                if switched["title"] == switched["before"]:  # the content found was the old page's
                    raise RuntimeError(f"switch to {path}: still showing {switched['before']!r}")
                entry[round_name], entry["what"] = switched["s"], switched["what"]
        await context.close()
    for name, entry in report.switches.items():
        print(f"  {name:20s} in-app switch: first {entry['first']:.2f} s, again {entry['again']:.2f} s", flush=True)


def cpu_pressure() -> float:
    """Share of the last 60 s in which some runnable task waited for a CPU (Linux PSI), in percent."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return float(re.search(r"avg60=([\d.]+)", line).group(1))
    except (OSError, AttributeError, IndexError):
        return float("nan")


def note_load(report: Report, when: str) -> None:
    report.load.append((when, os.getloadavg()[0], cpu_pressure()))


# How each server's sliders are opened and moved: the app's are the live component (a release is timed to the
# server's answer), the floor's are st.sliders (a release is timed to the new picture: the floor's round trip).
OPEN = {"app": open_live_sliders, "floor": open_sliders, "floor-gc": open_sliders}
MOVE = {"app": move_live, "floor": move, "floor-gc": move}


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
        pages = {k: await OPEN[k](browser, u) for k, u in urls.items()}
        steps = {k: walk() for k in urls}
        for k in urls:
            await warm_up(pages[k], steps[k], mover=MOVE[k])
        note_load(report, "single session, start")
        offset = app.log_size()
        per_round = -(-moves // rounds)
        cpu = dict.fromkeys(urls, 0.0)
        for r in range(rounds):
            for k in ("floor", "floor-gc", "app"):
                before = servers[k].cpu_seconds()
                report.runs.setdefault(k, []).extend(await measure(pages[k], per_round, steps[k], MOVE[k]))
                cpu[k] += servers[k].cpu_seconds() - before
                print(f"  round {r + 1}/{rounds} {k}: {len(report.runs[k])} moves", flush=True)
        for k in urls:
            report.cpu_ms[k] = 1000 * cpu[k] / max(1, len(report.runs[k]))
        note_load(report, "single session, end")
        for match in re.finditer(r"sliders panel ([\d.]+) ms wall, ([\d.]+) ms CPU", app.log_since(offset)):
            report.panel_ms.append(float(match.group(1)))
            report.panel_cpu_ms.append(float(match.group(2)))

        for k in ("app", "floor"):
            others = [await OPEN[k](browser, urls[k]) for _ in range(4)]
            stop = asyncio.Event()
            background = [asyncio.create_task(keep_moving(p, stop, MOVE[k])) for p in others]
            await asyncio.sleep(2)
            note_load(report, f"{k} + 4 sessions, start")
            report.runs[f"{k}+4"] = await measure(pages[k], moves, steps[k], MOVE[k])
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

    from explorer.training import run_records, runs

    with tempfile.TemporaryDirectory(prefix="bench-runs-") as folder:
        root, previous = Path(folder), os.environ.get(run_records.RUNS_ENV)
        os.environ[run_records.RUNS_ENV] = folder  # the server reads it at start-up
        try:
            with server("app.py", "app-training") as app:
                page = await open_live_sliders(browser, app.url + "/sliders")
                steps = walk()
                await warm_up(page, steps, mover=move_live)
                report.runs["app-idle"] = await measure(page, moves, steps, move_live)
                runs.start([run_records.RunSpec("vae", "mlp", 16, epochs=500, max_minutes=30)], root, evaluate=False)
                watcher = await new_page(browser, app.url + "/train")
                try:
                    await watcher.wait_for_function(
                        "() => /epoch [1-9]/.test(document.querySelector('[data-testid=\"stProgress\"]')?.innerText)"
                    )  # the first epoch is saved: the live view has curves and pictures to draw
                    note_load(report, "app + training run, start")
                    report.runs["app+training"] = await measure(page, moves, steps, move_live)
                    note_load(report, "app + training run, end")
                finally:
                    runs.stop(root)
                    runs.wait(root, 60)
                    await watcher.context.close()
                    await page.context.close()
        finally:
            if previous is None:
                del os.environ[run_records.RUNS_ENV]
            else:
                os.environ[run_records.RUNS_ENV] = previous
    print(f"  sliders before and during a training run: {moves} moves each", flush=True)


# --------------------------------------------------------------------------------------------------------
# Report


# --------------------------------------------------------------------------------------------------------
# Live sliders: the decoder in the page (explorer/web/sliders.js)

# Init script: the time the live component first painted its digit (navigation = 0), and, once armed on
# the component's root, every pointer move and every repaint (data-paints) confirmed by the next frame.
LIVE_JS = r"""
(() => {
  const D = window.__drag = {painted: null, moves: [], paints: [], armed: false};
  const root = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const r = host.shadowRoot && host.shadowRoot.querySelector('[data-testid="live-sliders"]');
      if (r) return r;
    }
    return null;
  };
  const watch = () => {
    const r = root();
    if (r && Number(r.dataset.paints) > 0) {
      requestAnimationFrame(() => { D.painted = performance.now(); });
      new MutationObserver(() => requestAnimationFrame(() => D.paints.push(performance.now())))
        .observe(r, {attributes: true, attributeFilter: ['data-paints']});
      return;
    }
    requestAnimationFrame(watch);
  };
  watch();
  document.addEventListener('pointermove', e => { if (D.armed) D.moves.push(e.timeStamp); }, true);
})();
"""


async def _live_page(context, url: str):
    page = await context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    await page.goto(url)
    await page.wait_for_function("() => window.__drag && window.__drag.painted !== null")
    return page


async def _drag_once(page, moves: int, direction: int, pause_ms: float) -> dict:
    """Hold the first live slider and move it in ``moves`` small steps; per move, the time to the first
    repaint after it (None if the next move came first)."""
    thumb = page.locator('[data-testid="live-sliders"] input[type="range"]').first
    box = await thumb.bounding_box()
    value, lo, hi = [float(v) for v in await thumb.evaluate("e => [e.value, e.min, e.max]")]
    x = box["x"] + box["width"] * (value - lo) / (hi - lo)
    y = box["y"] + box["height"] / 2
    step = direction * box["width"] / (2.5 * moves)
    if not box["x"] + 5 < x + step * moves < box["x"] + box["width"] - 5:
        step = -step
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.evaluate("() => { __drag.armed = true; __drag.moves = []; __drag.paints = []; }")
    for i in range(1, moves + 1):
        await page.mouse.move(x + i * step, y)
        await asyncio.sleep(pause_ms / 1000)
    await asyncio.sleep(0.1)
    timeline = await page.evaluate("() => { __drag.armed = false; return [__drag.moves, __drag.paints]; }")
    await page.mouse.up()
    await idle(page, 300)
    moved, paints = timeline
    latencies = []
    for i, t in enumerate(moved):
        end = moved[i + 1] if i + 1 < len(moved) else float("inf")
        after = [p for p in paints if t <= p < end + 50]  # a repaint that answers this move (or one frame late)
        latencies.append(after[0] - t if after else None)
    seconds = (moved[-1] - moved[0]) / 1000 if len(moved) > 1 else float("nan")
    return {"latencies": latencies, "paints": len(paints), "moves": len(moved), "seconds": seconds}


async def live_drag_runs(browser, report: Report, moves: int = 30, rounds: int = 3, pause_ms: float = 60) -> None:
    """Latent sliders with the decoder in the page: pointer move -> repainted digit while the button is held,
    and navigation -> the live digit painted (cold, then warm visits from new sessions)."""
    with server("app.py", "app-live") as app:
        context = await browser.new_context(viewport=VIEWPORT)
        await context.add_init_script(LIVE_JS)
        url = app.url + "/sliders"
        loads = []
        for _ in range(1 + rounds):
            page = await _live_page(context, url)
            loads.append(await page.evaluate("() => __drag.painted") / 1000)
            await page.close()
        page = await _live_page(context, url)
        await idle(page, 300)
        drags = [await _drag_once(page, moves, 1 if r % 2 == 0 else -1, pause_ms) for r in range(rounds)]
        await context.close()
    latencies = [v for d in drags for v in d["latencies"] if v is not None]
    answered = [sum(v is not None for v in d["latencies"]) for d in drags]
    fps = [d["paints"] / d["seconds"] for d in drags if d["seconds"] > 0]
    report.live = {
        "cold_s": loads[0], "warm_s": loads[1:], "latency": stats(latencies) if latencies else {},
        "answered": answered, "moves": moves, "fps": fps,
    }  # fmt: skip
    lat = report.live["latency"]
    print(
        f"  live drag: move -> repaint p50 {lat.get('p50', np.nan):.1f} ms, p95 {lat.get('p95', np.nan):.1f} ms;"
        f" repainted {answered} of {moves} held moves; {np.median(fps):.0f} fps; sliders page load cold"
        f" {loads[0]:.2f} s, warm {np.median(loads[1:]):.2f} s",
        flush=True,
    )


def live_summary(report: Report) -> list[str]:
    live = report.live
    if not live or not live["latency"]:
        return []
    lat = live["latency"]
    rounds = ", ".join(f"{a}/{live['moves']}" for a in live["answered"])
    return [
        "Live sliders (decoder in the page), mouse held on a slider, 30 small moves 60 ms apart per round:",
        "",
        "| pointer move -> repainted digit p50 | p95 | max | moves repainted, per round | repaints per second "
        "| sliders page: navigation -> live digit, cold / warm (s) |",
        "| ---: | ---: | ---: | --- | ---: | --- |",
        f"| {lat['p50']:.1f} ms | {lat['p95']:.1f} ms | {lat['max']:.1f} ms "
        f"| {rounds} | {np.median(live['fps']):.0f} "
        f"| {live['cold_s']:.2f} / {np.median(live['warm_s']):.2f} |",
        "",
    ]


def stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "max": float(a.max())}


def machine_lines(report: Report) -> list[str]:
    """The command and what else the machine was doing while it ran."""
    lines: list[str] = []
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
    return lines


def slider_lines(report: Report) -> tuple[list[str], bool]:
    """The slider tables and whether the targets against the floor were met."""
    lines: list[str] = []
    ok = True
    if not report.runs:
        return lines, ok
    lines.append(
        "Slider release -> the server's answer (ms, in the page's clock): for the floor, the new decoded image "
        "painted; for Latent sliders, whose digit is repainted in the page as the slider moves (see the live "
        "sliders table), the fragment's rerun writing the new code= into the URL:"
    )
    lines.append("")
    lines.append("| run | moves | p50 | p95 | max | lost | server CPU per move |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = {}
    for name, label in [
        ("floor", "floor (bench/floor_app.py, the repository's config), 1 session"),
        ("floor-gc", "floor with Streamlit's default post-run GC, 1 session"),
        ("app", "Latent sliders (live), 1 session: release -> server answered"),
        ("floor+4", "floor, while 4 other sessions move sliders"),
        ("app+4", "Latent sliders (live), release -> server answered, while 4 other sessions move sliders"),
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

    return lines, ok


def split_lines(report: Report) -> tuple[list[str], bool]:
    """Where each run's moves spent their time (no targets here)."""
    lines: list[str] = []
    if not report.runs:
        return lines, True
    lines.append("Where a move's time goes (medians, ms):")
    lines.append("")
    lines.append("| run | key -> send | server + websocket | React | image fetch | decode + paint | decoded image |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, runs in report.runs.items():
        good = [r for r in runs if r]
        if not good:
            continue

        def med(key: str, rows: list[dict] = good) -> float:
            return float(np.median([r[key] for r in rows]))

        picture = f"{med('image_bytes') / 1024:.1f} KB, " + ("inline PNG" if med("inline") else "/media file")
        if any(r.get("answer") for r in good):
            picture = "none sent: painted in the page; the answer is the new code= in the URL"
        lines.append(
            f"| {name} | {med('frontend'):.0f} | {med('server'):.0f} | {med('react'):.0f} | {med('fetch'):.0f} "
            f"| {med('paint'):.0f} | {picture} |"
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
    return lines, True


def _split(visit: dict) -> str:
    return f"{visit['boot']:.2f} / {visit['server']:.2f} / {visit['render']:.2f}"


def page_lines(report: Report) -> tuple[list[str], bool]:
    """The page-load table and whether every page met its targets (warm and cold; the floor is not judged)."""
    lines: list[str] = []
    ok = True
    if not report.pages:
        return lines, ok
    warm_target, cold_target = TARGETS["warm_first_s"], TARGETS["cold_first_s"]
    rounds = min(result.get("rounds", 1) for result in report.pages.values())
    lines.append(
        "Navigation -> first content painted (the first image, chart, form or live component), seconds; targets: "
        f"warm at most {warm_target:g} s, cold at most {cold_target:g} s. Each visit is a new tab of one browser "
        "profile on a fresh server: cold is the first, warm the second, third the third. Each figure is the median "
        f"over {rounds} such servers per page (rounds over all pages in turn). Server start: from "
        "launching the process to its health check answering (the app is started as ./scripts/run.sh does, "
        "`python -m explorer.serve`, which loads the models first). In-app switch: from a click on the page's "
        "sidebar link to its first content, on one more fresh server, touring every page from Home and back, "
        "twice: first is the page's first visit in the session, again the return (not judged: the targets are "
        "for opening a page)."
    )
    lines.append("")
    lines.append(
        "| page | server start | cold | cold: boot / server / render | warm | warm: page boot | warm: server "
        "| warm: render | third visit | in-app switch: first / again | first content |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, result in report.pages.items():
        cold, w = result["cold"]["s"], result["warm"]
        judged = name != FLOOR_PAGE
        cold_flag = " **(over)**" if judged and cold > cold_target else ""
        warm_flag = " **(over)**" if judged and w["s"] > warm_target else ""
        ok &= not (cold_flag or warm_flag)
        switch = report.switches.get(name)
        switched = f"{switch['first']:.2f} / {switch['again']:.2f}" if switch else "-"
        lines.append(
            f"| {name} | {result['start_s']:.2f} | {cold:.2f}{cold_flag} | {_split(result['cold'])} "
            f"| {w['s']:.2f}{warm_flag} "
            f"| {w['boot']:.2f} | {w['server']:.2f} | {w['render']:.2f} | {result['third']['s']:.2f} | {switched} "
            f"| {w['what']} |"
        )
    lines.append("")
    return lines, ok


def summarise(report: Report) -> tuple[dict[str, str], bool]:
    """The report in Markdown by BENCHMARKS.md section (sliders and live drags; page loads), only for the
    parts that ran, and whether every target was met."""
    sections, ok = {}, True
    if report.runs or report.live:
        lines = machine_lines(report)
        for part in (slider_lines, split_lines):
            more, met = part(report)
            lines += more
            ok &= met
        sections["browser-latency"] = "\n".join(lines + live_summary(report))
    if report.pages:
        loads = ", ".join(f"{label} {load:.1f}" for label, load, _ in report.page_load)
        lines, met = page_lines(report)
        ok &= met
        head = [f"Command: `{command_line()}`  ", f"Machine: {os.cpu_count()} cores; load average {loads}.", ""]
        sections["page-loads"] = "\n".join(head + lines)
    return sections, ok


async def main_async(args: argparse.Namespace) -> Report:
    from playwright.async_api import async_playwright

    report = Report()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if not args.skip_sliders:
                print("slider latency", flush=True)
                await slider_runs(browser, report, args.moves, args.rounds)
            if not args.skip_live:
                print("live sliders: drag latency and page load", flush=True)
                await live_drag_runs(browser, report, rounds=args.rounds)
            if not args.skip_pages:
                print("page loads (a fresh server per page)", flush=True)
                report.page_load.append(("before", os.getloadavg()[0], cpu_pressure()))
                await page_loads(browser, report, args.page_rounds)
                print("in-app page switches", flush=True)
                await in_app_switches(browser, report)
                report.page_load.append(("after", os.getloadavg()[0], cpu_pressure()))
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
    parser.add_argument(
        "--page-rounds", type=int, default=3, help="fresh servers per page; its figures are their medians (default 3)"
    )
    parser.add_argument("--skip-sliders", action="store_true", help="skip the slider part")
    parser.add_argument("--skip-live", action="store_true", help="skip the live sliders' drag measurement")
    parser.add_argument("--training", action="store_true", help="also measure sliders during a training run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    report = asyncio.run(main_async(args))
    sections, ok = summarise(report)
    print()
    for name, body in sections.items():
        publish(name, body, write=not args.no_write)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
