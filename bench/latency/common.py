"""What every part of the browser-latency benchmark shares: its constants, the probe installed in each page, the
Report the parts fill in, and the helpers that start a server and open a page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench._probes import KEY_CLOCK_JS
from tests._browser import streamlit_server, wait_idle

REPO = Path(__file__).resolve().parents[2]

VIEWPORT = {"width": 1400, "height": 1000}
OUTPUT = REPO / "test-output" / "browser-latency"
MOVE_TIMEOUT_MS = 20_000
LOAD_TIMEOUT_MS = 180_000
PAGES = {  # url path -> page
    "/": "Home",
    "/sliders": "Latent sliders",
    "/reconstruct": "Reconstruct",
    "/inside": "Inside the VAE",
    "/interpolate": "Interpolate",
    "/latent_map": "Latent map",
    "/sampling": "AE vs VAE sampling",
    "/draw": "Draw a digit",
    "/train": "Train",
    "/arithmetic": "Latent arithmetic",
}
# Slider latency as ratios to the floor; a cold page load; an in-app page switch (first visit in a session, return).
TARGETS = {
    "p50": 1.3, "p95": 1.5, "concurrent_p95": 2.5, "cold_first_s": 2.5, "switch_first_s": 0.6, "switch_again_s": 0.35,
    "live_presented_p95_ms": 16.7,
}  # fmt: skip

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
  // drawing with performance.mark('explorer:drawn:<component>'): 'latent-map' for the maps, 'sliders', 'draw' and
  // 'inside' for the live pages. Plotly charts (Home's curves, Reconstruct's error maps) are in the page itself.
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
      const chart = document.querySelector('.js-plotly-plot .cartesianlayer .trace');  // a Plotly chart, its data drawn
      if (img && img.getAttribute('src')) { L.first = 'pending'; after(img, stamp('image')); }
      else if (chart) { L.first = 'pending'; painted(stamp('chart')); }
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


# Shared by both splits: the first websocket send after t0 and the last message received before tEnd.
SEND_AND_LAST_JS = r"""
window.sendAndLast = (L, t0, tEnd) => {
  const send = L.sends.find(t => t >= t0) ?? t0;
  const recvs = L.recvs.filter(t => t >= send && t <= tEnd);
  return [send, recvs.length ? recvs[recvs.length - 1] : send];
};
"""
PROBE_JS = KEY_CLOCK_JS + PROBE_JS + SEND_AND_LAST_JS  # the splits (sliders.py) run later in the same page

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


def stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "max": float(a.max())}


def cpu_pressure() -> float:
    """Share of the last 60 s in which some runnable task waited for a CPU (Linux PSI), in percent."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return float(re.search(r"avg60=([\d.]+)", line).group(1))
    except (OSError, AttributeError, IndexError):
        return float("nan")
