"""The live sliders (the decoder in the page): pointer move -> repainted digit while the button is held, and
navigation -> the live digit painted.

A move's latency is measured two ways in the same drags:

- **presented** (the figure the target is about): Chromium's own EventLatency trace events, which run from
  the mouse event's timestamp to the presentation of the frame that carries its effect, for each move whose
  repaint (the component's data-paints going up) happened in that frame; a repaint that missed it counts until
  the first frame presented after the repaint;
- **next frame** (kept for comparison with earlier runs): from the pointer event's timestamp to the
  requestAnimationFrame callback after the repaint, i.e. the start of the frame after the one that showed it,
  which adds up to one frame (16.7 ms at 60 Hz) to every move.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np

from bench.latency.common import LOAD_TIMEOUT_MS, VIEWPORT, Report, idle, server, stats

# Init script: the time the live component first painted its digit (navigation = 0), and, once armed on
# the component's root, every pointer move and every repaint (data-paints) confirmed by the next frame.
LIVE_JS = r"""
(() => {
  const D = window.__drag = {painted: null, moves: [], paints: [], painted_at: [], armed: false};
  const root = () => {
    const plain = document.querySelector('[data-testid="live-sliders"]');  // the floor page: no shadow root
    if (plain) return plain;
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
      new MutationObserver(() => {
        if (D.armed) D.painted_at.push(performance.now());  // at the repaint itself (a microtask after it)
        requestAnimationFrame(() => D.paints.push(performance.now()));
      })
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
    await page.context.browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    await page.mouse.down()
    sync_ms = await page.evaluate(ARM_JS)
    for i in range(1, moves + 1):
        await page.mouse.move(x + i * step, y)
        await asyncio.sleep(pause_ms / 1000)
    await asyncio.sleep(0.1)
    timeline = await page.evaluate("() => { __drag.armed = false; return [__drag.moves, __drag.paints]; }")
    repainted_at = await page.evaluate("() => __drag.painted_at")
    trace = json.loads(await page.context.browser.stop_tracing())
    await page.mouse.up()
    await idle(page, 300)
    presented = presented_latencies(trace, sync_ms, repainted_at)
    moved, paints = timeline
    latencies = []
    for i, t in enumerate(moved):
        end = moved[i + 1] if i + 1 < len(moved) else float("inf")
        after = [p for p in paints if t <= p < end + 50]  # a repaint that answers this move (or one frame late)
        latencies.append(after[0] - t if after else None)
    seconds = (moved[-1] - moved[0]) / 1000 if len(moved) > 1 else float("nan")
    return {
        "latencies": latencies, "presented": presented["latencies"], "in_frame": presented["in_frame"],
        "paints": len(paints), "moves": len(moved), "seconds": seconds,
    }  # fmt: skip


TRACE_CATEGORIES = ["cc", "benchmark", "input", "blink.user_timing", "viz"]
# Arms the probe and leaves a user-timing mark whose trace timestamp ties performance.now() to the trace clock.
ARM_JS = """() => {
  Object.assign(__drag, {armed: true, moves: [], paints: [], painted_at: []});
  __drag.sync = performance.mark('explorer:drag-sync').startTime;
  return __drag.sync;
}"""


def presented_latencies(trace: dict, sync_ms: float, repainted_at: list[float]) -> dict:
    """Per drag event (Chromium's EventLatency of type MOUSE_DRAGGED): ms from the event to the presentation of
    the first frame that showed a repaint made after it; and how many of those repaints were in the event's own
    frame. ``repainted_at``: performance.now() of each repaint, put on the trace clock by the sync mark, made at
    performance.now() = ``sync_ms``."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    sync = next(e for e in events if e.get("name") == "explorer:drag-sync")
    offset_us = sync["ts"] - 1000 * sync_ms
    begun, drags = {}, []
    for e in sorted((e for e in events if e.get("name") == "EventLatency"), key=lambda e: e["ts"]):
        key = (e["pid"], e.get("id2", {}).get("local", e.get("id")))
        if e["ph"] == "b":
            begun[key] = e
        elif e["ph"] == "e" and key in begun:
            start = begun.pop(key)
            if start["args"]["event_latency"]["event_type"] == "MOUSE_DRAGGED":
                drags.append((start["ts"], e["ts"]))
    shown = sorted({end for _, end in drags} | {e["ts"] for e in events if e.get("name") == "Display::FrameDisplayed"})
    repaints = sorted(offset_us + 1000 * t for t in repainted_at)
    latencies, in_frame = [], 0
    for start, end in drags:
        repaint = next((r for r in repaints if r >= start), None)
        if repaint is None:
            continue
        if repaint <= end:
            in_frame += 1
            latencies.append((end - start) / 1000)
        elif (after := next((f for f in shown if f >= repaint), None)) is not None:
            latencies.append((after - start) / 1000)
    return {"latencies": latencies, "in_frame": in_frame}


# The drag's floor: a bare page with one native range input and a 28x28 canvas shown at 280 px, repainted in the
# next animation frame after each input event (the component's scheduling) with a cheap picture. Whatever a
# move costs here is the browser's own input -> frame pipeline on this machine.
FLOOR_DRAG_HTML = """<!doctype html><html><body style="margin: 40px; font-family: sans-serif">
<div data-testid="live-sliders" data-paints="0">
  <input type="range" min="-3" max="3" step="0.01" value="0" style="width: 400px">
  <canvas width="28" height="28" style="width: 280px; height: 280px; image-rendering: pixelated"></canvas>
</div>
<script>
const root = document.querySelector('[data-testid="live-sliders"]');
const input = root.querySelector('input'), canvas = root.querySelector('canvas');
const context = canvas.getContext('2d');
let pending = false, paints = 0;
const paint = () => {
  pending = false;
  const v = Number(input.value), picture = context.createImageData(28, 28);
  for (let p = 0; p < 784; p++) {
    const grey = 128 + 127 * Math.sin(v * 4 + (p % 28) / 3 + p / 90);
    picture.data.set([grey, grey, grey, 255], 4 * p);
  }
  context.putImageData(picture, 0, 0);
  root.dataset.paints = String(++paints);
};
input.addEventListener('input', () => { if (!pending) { pending = true; requestAnimationFrame(paint); } });
paint();
</script></body></html>"""


async def _drags(page, moves: int, rounds: int, pause_ms: float) -> list[dict]:
    return [await _drag_once(page, moves, 1 if r % 2 == 0 else -1, pause_ms) for r in range(rounds)]


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
        drags = await _drags(page, moves, rounds, pause_ms)
        floor_page = await context.new_page()
        await floor_page.set_content(FLOOR_DRAG_HTML)
        await floor_page.wait_for_function("() => window.__drag && window.__drag.painted !== null")
        floor = await _drags(floor_page, moves, rounds, pause_ms)
        await context.close()
    floor_presented = [v for d in floor for v in d["presented"]]
    latencies = [v for d in drags for v in d["latencies"] if v is not None]
    presented = [v for d in drags for v in d["presented"]]
    answered = [sum(v is not None for v in d["latencies"]) for d in drags]
    fps = [d["paints"] / d["seconds"] for d in drags if d["seconds"] > 0]
    report.live = {
        "cold_s": loads[0], "warm_s": loads[1:], "latency": stats(latencies) if latencies else {},
        "presented": stats(presented) if presented else {}, "presented_n": len(presented),
        "in_frame": [d["in_frame"] for d in drags],
        "floor_presented": stats(floor_presented) if floor_presented else {}, "floor_n": len(floor_presented),
        "answered": answered, "moves": moves, "fps": fps,
    }  # fmt: skip
    lat = report.live["latency"]
    shown = report.live["presented"]
    print(
        f"  live drag: move -> repaint presented p50 {shown.get('p50', np.nan):.1f} ms,"
        f" p95 {shown.get('p95', np.nan):.1f} ms ({len(presented)} moves; in the event's own frame"
        f" {report.live['in_frame']}); the bare page's p50 {report.live['floor_presented'].get('p50', np.nan):.1f} ms,"
        f" p95 {report.live['floor_presented'].get('p95', np.nan):.1f} ms",
        flush=True,
    )
    print(
        f"  live drag: move -> next frame after the repaint p50 {lat.get('p50', np.nan):.1f} ms,"
        f" p95 {lat.get('p95', np.nan):.1f} ms;"
        f" repainted {answered} of {moves} held moves; {np.median(fps):.0f} fps; sliders page load cold"
        f" {loads[0]:.2f} s, warm {np.median(loads[1:]):.2f} s",
        flush=True,
    )
