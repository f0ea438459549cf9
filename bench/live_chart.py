"""Does a chart that changes every half second stay on screen? st.plotly_chart (with a key) against the app's live
Plotly component (explorer/charts/live_chart.js), the choice behind the Train page's live curves.

Each mode's page (bench/live_chart_app.py) adds an epoch to a curve every 0.5 s. In headless Chromium a probe
samples every animation frame: whether a plotted line is on screen (a frame without one is a blank frame), and
whether the plot's element is the one it saw before (a new element is a remount).

    python bench/live_chart.py [--seconds 20] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import command_line, publish
from tests import _browser

MODES = ("plotly_chart", "live")
# The live component mounts in a shadow root, out of document.querySelector's sight: look inside open ones too.
FIND_PLOT_JS = """() => {
  const find = root => root.querySelector('.js-plotly-plot') ||
    [...root.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => find(e.shadowRoot)).find(Boolean) || null;
  return find(document);
}"""
PROBE_JS = """() => {
  const S = (window.__liveProbe = {frames: 0, blank: 0, remounts: 0, plots: 0, last: null, started: false});
  const tick = () => {
    const plot = window.__findPlot();
    const drawn = plot && plot.querySelector('.scatterlayer .js-line');
    if (drawn) S.started = true;
    if (S.started) {
      S.frames += 1;
      if (!drawn) S.blank += 1;
      if (plot && S.last && plot !== S.last) S.remounts += 1;
      if (plot) S.last = plot;
      S.points = plot && plot.data ? plot.data[0].y.length : S.points;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def app_folder(out: Path) -> Path:
    """A folder holding a copy of bench/live_chart_app.py beside a link to the repository's static/, which
    Streamlit serves from beside the script it runs."""
    folder = out / "live-chart-app"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_browser.REPO / "bench" / "live_chart_app.py", folder / "live_chart_app.py")
    if not (folder / "static").exists():
        (folder / "static").symlink_to(_browser.REPO / "static")
    return folder


def measure(mode: str, seconds: float, out: Path) -> dict:
    log, script = out / f"live-chart-{mode}.log", str(app_folder(out) / "live_chart_app.py")
    env = {"EXPLORER_REPO": str(_browser.REPO)}
    server = _browser.streamlit_server(script, log, env=env, extra_args=["--server.enableStaticServing", "true"])
    with server as running, _browser.chromium_page() as page:
        page.goto(f"{running.url}/?mode={mode}")
        page.locator(".js-plotly-plot .scatterlayer .js-line").first.wait_for(state="attached", timeout=60_000)
        page.evaluate(f"() => {{ window.__findPlot = {FIND_PLOT_JS}; }}")
        page.evaluate(PROBE_JS)
        first = page.evaluate("() => window.__findPlot()?.data?.[0]?.y?.length ?? 0")
        time.sleep(seconds)
        state = page.evaluate("() => window.__liveProbe")
    return {**state, "updates": (state.get("points") or first) - first}


def report(results: dict[str, dict], seconds: float) -> str:
    rows = [
        f"| `{mode}` | {r['updates']} | {r['frames']} | {r['blank']} ({100 * r['blank'] / max(1, r['frames']):.1f}%) "
        f"| {r['remounts']} |"
        for mode, r in results.items()
    ]
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    return "\n".join(
        [
            "## Live chart: st.plotly_chart against the live Plotly component",
            "",
            f"Command: `{command_line()}`. {seconds:.0f} s per mode, a new epoch every 0.5 s, headless Chromium;",
            f"load average after the run {load}.",
            "",
            "| mode | updates seen | frames sampled | frames without a line | plot elements replaced |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
            "A blank frame is one in which no plotted line is on screen after the chart first drew; a replaced element",
            "is a remount. Every chart in the app draws through the component (explorer/charts/live_chart.py).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    args = parser.parse_args()
    out = _browser.REPO / "test-output" / "bench"
    results = {mode: measure(mode, args.seconds, out) for mode in MODES}
    publish("live-chart", report(results, args.seconds), write=not args.no_write)


if __name__ == "__main__":
    main()
