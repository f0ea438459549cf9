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
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The parts live in bench/latency/: common (constants, probes, server and page helpers), pages, sliders, live,
# report. This script is the command line that runs them.
from bench._report import publish  # noqa: E402
from bench.latency.common import Report, cpu_pressure  # noqa: E402
from bench.latency.live import live_drag_runs  # noqa: E402
from bench.latency.pages import in_app_switches, page_loads  # noqa: E402
from bench.latency.report import summarise  # noqa: E402
from bench.latency.sliders import slider_during_training, slider_runs  # noqa: E402
from tests._browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


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
