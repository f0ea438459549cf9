"""The load benchmark's BENCHMARKS.md section (setup, latencies, memory and CPU, errors) and its verdict."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess

from bench._report import command_line
from bench.multiuser.common import SLIDER_MOVES_PER_CYCLE, SLIDERS_USED
from bench.multiuser.session import Results
from tests._browser import CHROMIUM, HOST


def percentiles(values: list[float]) -> str:
    if not values:
        return "| – | – | – | – | 0 |"
    ordered = sorted(values)

    def at(q: float) -> float:  # nearest rank: the smallest value with at least q of the values at or below it
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return f"| {at(0.5):,.0f} | {at(0.9):,.0f} | {at(0.99):,.0f} | {ordered[-1]:,.0f} | {len(ordered)} |"


def _setup_lines(args, results: Results, info: dict) -> list[str]:
    """The command, the versions, and what the sessions did."""
    import platform

    import streamlit
    import torch

    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = ""
    la0, la1, cores = info["loadavg_start"], info["loadavg_end"], info["cores"]
    root = os.environ.get("VAE_CHECKPOINTS") or "checkpoints/"
    return [
        f"Command: `{command_line()}` · {dt.date.today().isoformat()} · Streamlit {streamlit.__version__}, "
        f"torch {torch.__version__}, Python {platform.python_version()}, {chromium or 'chromium'} (headless); "
        f"checkpoints from `{root}`.",
        "",
        f"{args.sessions} browser sessions (one Chromium, one context each) against `streamlit run app.py` on "
        f"{HOST}. One session first warms every cache up ({args.warmup_cycles} cycles; its first page load "
        f"took {info['warmup_first_load'] / 1000:.0f} s); then the {args.sessions} sessions open, "
        f"{args.ramp_concurrency} page loads at a time ({info['ramp']:.0f} s), and for {info['elapsed']:.0f} s "
        f"all of them loop: on Latent sliders (the default model pair and VAE; {results.sliders_seen} live sliders "
        f"shown) {SLIDER_MOVES_PER_CYCLE} keyboard steps (ArrowRight) on one of the "
        f"{min(SLIDERS_USED, results.sliders_seen)} most important sliders, each timed until the server's "
        "answer to the release (the digit itself is repainted in the page), then on Reconstruct an upload of a "
        "fresh 200x200 digit scan. After "
        f"each action a session waits for the page to finish drawing, then pauses {args.think:g} s ± 50 %. "
        f"Browser and server share the machine's {cores} cores.",
        "",
        f"Load average (1/5/15 min) on {cores} cores: {la0[0]:.1f} / {la0[1]:.1f} / {la0[2]:.1f} before the run, "
        f"{la1[0]:.1f} / {la1[1]:.1f} / {la1[2]:.1f} after it.",
        "",
    ]


def _resource_lines(args, info: dict) -> list[str]:
    """The server's memory over the run and where the window's CPU time went."""
    growth = info["rss_end"] - info["rss_start"]
    cores = info["cores"]
    capacity = cores * info["elapsed"]  # CPU-seconds the machine had in the window
    spare = max(0.0, capacity - info["cpu_used"] - info["client_cpu"])
    return [
        f"Server resident memory (VmRSS, process and children): {info['rss_start']:.0f} MB after the warm-up, "
        f"{info['rss_open']:.0f} MB with all {args.sessions} sessions open, peak {info['rss_peak']:.0f} MB, "
        f"{info['rss_end']:.0f} MB at the end of the window (growth {growth:+.0f} MB since the warm-up; target "
        f"< {args.max_growth_mb:.0f} MB), {info['rss_after_close']:.0f} MB {args.settle:.0f} s after the sessions "
        f"closed.",
        "",
        f"CPU in the window ({info['elapsed']:.0f} s, so {capacity:.0f} CPU-seconds on {cores} cores): the server "
        f"used {info['cpu_used']:.0f}, the browser and this script {info['client_cpu']:.0f}; the remaining "
        f"{spare:.0f} were idle or used by other processes."
        + (
            " The server was busy for a small share of the window, so the latencies above mostly measure "
            f"{args.sessions} browser tabs (and whatever else ran) queueing for {cores} cores, not the app."
            if info["cpu_used"] < 0.25 * capacity
            else ""
        ),
        "",
    ]


def report(args, results: Results, info: dict) -> tuple[str, bool]:
    """The BENCHMARKS.md section and whether the run passed (no errors, memory growth under the limit)."""
    errors = sum(results.errors.values())
    ok = errors == 0 and info["rss_end"] - info["rss_start"] < args.max_growth_mb
    lines = _setup_lines(args, results, info)
    lines += [
        "| latency (ms) | p50 | p90 | p99 | max | count |",
        "|---|---:|---:|---:|---:|---:|",
        f"| slider step → server answered (new code= in the URL) {percentiles(results.slider_ms)}",
        f"| upload → result row shown {percentiles(results.upload_ms)}",
        f"| page switch (sidebar link → page drawn) {percentiles(results.switch_ms)}",
        f"| first page load (while sessions open) {percentiles(results.first_load_ms)}",
        "",
    ]
    lines += _resource_lines(args, info)
    if errors:
        lines.append(f"**Errors: {errors}**")
        for kind, count in results.errors.most_common():
            lines.append(f"- {kind}: {count}, e.g. " + "; ".join(f"`{e}`" for e in results.examples[kind]))
    else:
        lines.append(
            "Errors: none (no exception or error boxes, console or page errors, HTTP errors, timeouts, failed "
            "uploads, or server-log tracebacks)."
        )
    lines.append("")
    lines.append(f"Verdict: {'PASS' if ok else 'FAIL'} (zero errors, memory growth < {args.max_growth_mb:.0f} MB).")
    return "\n".join(lines), ok
