"""The live sliders (the decoder in the page): pointer move -> repainted digit while the button is held, and
navigation -> the live digit painted."""

from __future__ import annotations

import asyncio

import numpy as np

from bench.latency.common import LOAD_TIMEOUT_MS, VIEWPORT, Report, idle, server, stats

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
