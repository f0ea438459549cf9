"""Slider latency against the floor: one session, the same with 4 other sessions moving sliders, and one
session while a Train-page run trains."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from bench.latency.common import LOAD_TIMEOUT_MS, MOVE_TIMEOUT_MS, Report, cpu_pressure, idle, new_page, server

# Split one release on the live sliders (index i of __keys.answers): key -> websocket send, -> the last message
# before the address changed (server rerun + websocket), -> the address changed (frontend). No picture: the
# digit was already repainted in the page (live_drag_runs measures that).
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

    from explorer.train import run_records, runs

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
