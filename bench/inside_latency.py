"""Inside the VAE in headless Chromium: an eps draw or a drag of the point -> every panel repainted.

Starts the app as ./scripts/run.sh does, opens Inside the VAE at latent size 16 on the test 7 (n = 16 Monte
Carlo draws, k = 100 importance samples, the page's defaults), waits for the estimator to finish, then
  - clicks "Draw eps again" ``--clicks`` times in the page (two animation frames apart), and
  - drags the dot across the plane in ``--moves`` small mouse moves, and
  - draws a stroke on the page's canvas (each frame re-encodes, re-estimates and repaints),
and reads the stamps the component records per repaint (explorer/inside/inside.js, ``stamps``: the triggering
event's time, the frame's start and its end, all performance.now()). "work" is the frame's recompute and
repaint of every panel; "event -> painted" adds the wait for the animation frame.

    python bench/inside_latency.py [--clicks 200] [--moves 200] [--no-write]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._report import command_line, publish  # noqa: E402
from tests import _browser  # noqa: E402

# Components v2 mounts the component in a shadow root, so scripts reach it through a locator's element.
CONTROLLER = "root.parentNode.__insideVae"
CLICKS = """(root, count) => new Promise(done => {
  const button = root.querySelector('button.eps-again');
  let left = count;
  const next = () => { if (left-- <= 0) return done(); button.click();
    requestAnimationFrame(() => requestAnimationFrame(next)); };
  next();
})"""
FRAME_BUDGET_MS = 1000 / 60


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def summary(stamps: list[dict], cause: str) -> dict[str, float]:
    chosen = [s for s in stamps if cause in s["causes"]]
    work = [s["end"] - s["work"] for s in chosen]
    latency = [s["end"] - s["start"] for s in chosen]
    return {
        "count": len(chosen),
        "work_p50": statistics.median(work),
        "work_p95": percentile(work, 0.95),
        "work_max": max(work),
        "latency_p50": statistics.median(latency),
        "latency_p95": percentile(latency, 0.95),
    }


def open_page(page, url: str) -> None:
    page.goto(url + "/inside")
    page.locator("h1", has_text="Inside the VAE").wait_for(timeout=120_000)
    page.get_by_text("16 dimensions").click()
    _browser.wait_idle(page, 800, 120_000)
    page.locator('.inside-vae[data-state="ready"]').wait_for(timeout=120_000)
    root = page.locator(".inside-vae")
    for _ in range(600):
        if root.evaluate(f"root => {CONTROLLER}.estimator?.iw.done === 100"):
            break
        page.wait_for_timeout(100)
    values = root.evaluate("root => JSON.parse(root.dataset.values)")
    assert len(values["mu"]) == 16 and values["recon"]["n"] == 16 and values["iw"]["k"] == 100, values
    page.wait_for_timeout(1000)


def drag(page, moves: int) -> None:
    box = page.locator(".inside-vae canvas.plane").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    for i in range(moves):
        t = i / max(1, moves - 1)
        x = box["x"] + box["width"] * (0.3 + 0.4 * t)
        y = box["y"] + box["height"] * (0.3 + 0.4 * math.sin(3 * math.pi * t) ** 2)
        page.mouse.move(x, y)
        page.wait_for_timeout(16)
    page.mouse.up()


def stroke(page, moves: int) -> None:
    page.get_by_text("Draw one here").click()
    page.locator('.inside-vae[data-state="blank"]').wait_for(timeout=60_000)
    box = page.locator(".inside-vae canvas.draw-pad").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    for i in range(moves):
        angle = 2 * math.pi * i / moves
        page.mouse.move(
            box["x"] + box["width"] * (0.5 + 0.2 * math.sin(angle)),
            box["y"] + box["height"] * (0.5 - 0.3 * math.cos(angle)),
        )
        page.wait_for_timeout(16)
    page.mouse.up()
    page.wait_for_timeout(500)


def run(clicks: int, moves: int) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    log = REPO / "test-output" / "bench" / "inside-server.log"
    with _browser.streamlit_server("app.py", log, warm_start=True) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_browser.CHROMIUM, args=_browser.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        open_page(page, server.url)
        root = page.locator(".inside-vae")
        reset = f"root => {{ {CONTROLLER}.stamps = []; }}"
        root.evaluate(reset)
        root.evaluate(CLICKS, clicks)
        drag(page, moves)
        stamps = root.evaluate(f"root => {CONTROLLER}.stamps")
        root.evaluate(reset)
        stroke(page, moves // 2)
        strokes = root.evaluate(f"root => {CONTROLLER}.stamps")
        browser.close()
    return {"eps": summary(stamps, "eps"), "drag": summary(stamps, "drag"), "draw": summary(strokes, "draw")}


def table(results: dict[str, dict[str, float]]) -> str:
    names = {
        "eps": '"Draw eps again" click',
        "drag": "drag of the dot on the plane",
        "draw": "pen stroke on the page's canvas (re-encode, n = 16 draws, k-bound for up to 6 ms)",
    }
    lines = [
        "| trigger | repaints | work p50 | work p95 | work max | event -> painted p50 | p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, row in results.items():
        lines.append(
            f"| {names[key]} | {row['count']} | {row['work_p50']:.1f} ms | {row['work_p95']:.1f} ms | "
            f"{row['work_max']:.1f} ms | {row['latency_p50']:.1f} ms | {row['latency_p95']:.1f} ms |"
        )
    return "\n".join(lines)


def report(results: dict[str, dict[str, float]], load: tuple[float, float], seconds: float) -> str:
    verdicts = []
    for key, what in (("eps", "an eps draw"), ("drag", "a drag")):
        p95 = results[key]["work_p95"]
        verdicts.append(f"{what} {p95:.1f} ms ({'met' if p95 <= FRAME_BUDGET_MS else '**missed**'})")
    return "\n".join(
        [
            "## Inside the VAE: an eps draw or a drag -> every panel repainted (headless Chromium)",
            "",
            f"Command: `{command_line()}` · {seconds:.0f} s · latent size 16 (vae-z16, ae-z16), the test 7 (#0),"
            f" n = 16 Monte Carlo draws, k = 100 importance samples · load average {load[0]:.1f} before,"
            f" {load[1]:.1f} after.",
            "",
            table(results),
            "",
            '"work" is one animation frame\'s recompute and repaint of every panel (bars, plane with ellipses and',
            "dot, the autoencoder's map, the code table, mean image, 16 pixel samples, KL bars, the numbers),",
            'from the stamps inside.js records; "event -> painted" adds the wait for that frame, which a click',
            "or a pointer move spends whatever the page does (up to one frame at 60 Hz). Target: work p95 at most one",
            f"frame ({FRAME_BUDGET_MS:.1f} ms), so the repaint is ready for the next frame: "
            + "; ".join(verdicts)
            + ".",
            "A pen stroke changes the digit every frame (re-encode, the 16 draws, up to 6 ms of the k-sample bound",
            "per frame): not part of the target.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    before, started = os.getloadavg()[0], time.perf_counter()
    results = run(args.clicks, args.moves)
    body = report(results, (before, os.getloadavg()[0]), time.perf_counter() - started)
    publish("inside-latency", body, write=not args.no_write)


if __name__ == "__main__":
    main()
