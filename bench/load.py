"""Load benchmark: N concurrent browser sessions against the real app server, on loopback only.

Starts ``streamlit run app.py`` on a free 127.0.0.1 port, then opens N sessions (one headless Debian
Chromium, one browser context per session) that each repeat, until the time is up:

- on Latent sliders, step one of the live sliders a few times with the keyboard (focus it, ArrowRight, as a
  person would after clicking it) and time each step from the key press to the server's answer: the
  page repaints the digit itself (explorer/sliders/sliders.js, no server involved), then the release goes to
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
(minus the benign ones listed in tests/_browser.py, each with its reason), HTTP responses >= 400, pictures
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
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The parts live in bench/multiuser/: common (constants), usage (memory and CPU), session, drive (the run),
# report. This script is the command line that runs them.
from bench._report import publish  # noqa: E402
from bench.multiuser.common import OUTPUT  # noqa: E402
from bench.multiuser.drive import run  # noqa: E402
from bench.multiuser.report import report  # noqa: E402


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
