"""The Latent sliders page's load time against an earlier version of the app, measured side by side.

Navigation -> the decoded digit shown: for this tree the live component's canvas painted by the in-page
decoder (explorer/web/sliders.js), for the baseline whatever its page showed as the decoded digit (before the
live sliders: the st.image captioned "decoded code"). Each round starts a fresh server per tree, makes one
cold visit (first after the server started) and three warm ones (new tabs of the same browser profile, so
Streamlit's scripts come from the browser cache); the trees alternate, so both see the same machine load.
The baseline is a detached git worktree of --baseline, made for the run and removed afterwards.

    python bench/sliders_load.py --baseline ed65eef            # 3 rounds, writes BENCHMARKS.md
    python bench/sliders_load.py --baseline ed65eef --rounds 1 --no-write
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _browser
from bench._report import command_line, publish

REPO = _browser.REPO
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 120_000

# performance.now() (ms since navigation) once the decoded digit is on screen, else 0. The live component
# mounts inside a shadow root, which document.querySelector does not enter, hence the recursive search.
DIGIT_SHOWN_JS = """() => {
  const live = '[data-testid="live-sliders"][data-state="ready"]:not([data-paints="0"])';
  const find = root => root.querySelector(live)
    || [...root.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => find(e.shadowRoot)).find(Boolean);
  if (find(document)) return performance.now();
  for (const box of document.querySelectorAll('[data-testid="stImage"]')) {
    const img = box.innerText.includes('decoded code') && box.querySelector('img');
    if (img && img.complete && img.naturalWidth > 0) return performance.now();
  }
  return 0;
}"""


@contextlib.contextmanager
def baseline_tree(commit: str) -> Iterator[Path]:
    """A detached worktree of `commit` sharing this tree's virtualenv; removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="sliders-baseline-"))
    add = ["git", "worktree", "add", "--detach", str(folder), commit]
    subprocess.run(add, cwd=REPO, check=True, capture_output=True)
    try:
        (folder / ".venv").symlink_to(REPO / ".venv")
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=REPO, capture_output=True)


def visit(context, url: str) -> float:
    """Seconds from navigation to the decoded digit shown, in a new tab (a new Streamlit session)."""
    page = context.new_page()
    page.goto(url + "/sliders", wait_until="commit")
    shown = page.wait_for_function(DIGIT_SHOWN_JS, timeout=TIMEOUT_MS, polling="raf").json_value()
    page.close()
    return shown / 1000


def measure(trees: dict[str, Path], rounds: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    results = {name: {"cold": [], "warm": []} for name in trees}
    logs = REPO / "test-output" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_browser.CHROMIUM, args=_browser.CHROMIUM_ARGS)
        for round_ in range(rounds):
            for name, tree in trees.items():
                log = logs / f"sliders-load-{name.split()[0]}.log"
                with _browser.streamlit_server("app.py", log, cwd=tree) as server:
                    url = server.url
                    context = browser.new_context(viewport=VIEWPORT)
                    results[name]["cold"].append(visit(context, url))
                    results[name]["warm"] += [visit(context, url) for _ in range(3)]
                    context.close()
                print(f"round {round_ + 1}: {name}: {results[name]}", flush=True)
    return results


def report(results: dict[str, dict[str, list[float]]], loads: tuple[float, float], minutes: float) -> str:
    base_r, this_r = results.values()
    lines = [
        "## Latent sliders page load against the app before the live sliders",
        "",
        f"`{command_line()}` ({minutes:.1f} min; load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the"
        " end). Navigation -> the decoded digit shown; median (all values) in seconds.",
        "",
        "| version | cold visits | warm visits |",
        "|---|---:|---:|",
    ]
    for name, r in results.items():
        cold, warm = (", ".join(f"{v:.2f}" for v in r[k]) for k in ("cold", "warm"))
        lines.append(
            f"| {name} | {statistics.median(r['cold']):.2f} ({cold}) | {statistics.median(r['warm']):.2f} ({warm}) |"
        )
    delta = statistics.median(this_r["warm"]) - statistics.median(base_r["warm"])
    verdict = "met" if delta <= 0.3 else "**missed**"
    lines += ["", f"Warm, this tree minus the baseline: {delta:+.2f} s (target: at most +0.30 s; {verdict})."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git commit of the app to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    started, load = time.perf_counter(), os.getloadavg()[0]
    with baseline_tree(args.baseline) as old:
        short = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=REPO, capture_output=True, text=True)
        trees = {f"baseline {short.stdout.strip()}": old, "this tree": REPO}
        results = measure(trees, args.rounds)
    minutes = (time.perf_counter() - started) / 60
    publish("sliders-load", report(results, (load, os.getloadavg()[0]), minutes), write=not args.no_write)


if __name__ == "__main__":
    main()
