"""The browser-latency benchmark's BENCHMARKS.md sections (browser-latency and page-loads) from a filled-in
Report, and whether the targets were met."""

from __future__ import annotations

import os
import subprocess

import numpy as np

from bench._report import command_line
from bench.latency.common import TARGETS, Report, stats
from bench.latency.pages import FLOOR_PAGE, _split


def live_summary(report: Report) -> list[str]:
    live = report.live
    if not live or not live["latency"]:
        return []
    lat, shown, floor = live["latency"], live.get("presented") or {}, live.get("floor_presented") or {}
    rounds = ", ".join(f"{a}/{live['moves']}" for a in live["answered"])
    own_frame = ", ".join(f"{n}/{live['moves']}" for n in live.get("in_frame", []))
    verdict = "met" if shown and shown["p95"] <= TARGETS["live_presented_p95_ms"] else "**missed**"
    return [
        "Live sliders (decoder in the page), mouse held on a slider, 30 small moves 60 ms apart per round, then the"
        " same drags on a bare page (one range input and a canvas repainted in the next frame, no Streamlit):",
        "",
        "| pointer move -> | p50 | p95 | max |",
        "| --- | ---: | ---: | ---: |",
        *(
            [
                f"| the repainted digit presented (Chromium's EventLatency), Latent sliders | {shown['p50']:.1f} ms"
                f" | **{shown['p95']:.1f} ms** | {shown['max']:.1f} ms |",
                f"| the same, the bare page | {floor['p50']:.1f} ms | {floor['p95']:.1f} ms | {floor['max']:.1f} ms |"
                if floor
                else "| the same, the bare page | - | - | - |",
            ]
            if shown
            else []
        ),
        f"| the frame after the repaint (rAF after the repaint; adds up to a frame) | {lat['p50']:.1f} ms"
        f" | {lat['p95']:.1f} ms | {lat['max']:.1f} ms |",
        "",
        f"Target: the repaint presented within one 60 Hz frame (p95 at most {TARGETS['live_presented_p95_ms']} ms):"
        f" {verdict}. Moves repainted, per round: {rounds}; repaints in the move's own frame: {own_frame or '-'};"
        f" {np.median(live['fps']):.0f} repaints per second; sliders page navigation -> live digit, cold / warm:"
        f" {live['cold_s']:.2f} / {np.median(live['warm_s']):.2f} s.",
        "",
    ]


def machine_lines(report: Report) -> list[str]:
    """The command and what else the machine was doing while it ran."""
    lines: list[str] = []
    ps = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    busy = [ln.split(None, 1) for ln in ps.splitlines()[1:6]]
    lines.append(f"Command: `{command_line()}`  ")
    lines.append(
        f"Machine: {os.cpu_count()} cores, shared. Load average / CPU pressure (share of the last minute in which "
        "some task waited for a CPU) during the slider runs: "
        + ", ".join(f"{label} {load:.1f} / {psi:.0f}%" for label, load, psi in report.load)
        + "; busiest processes at the end: "
        + ", ".join(f"{c.strip()} {p}%" for p, c in busy)
        + "."
    )
    lines.append("")
    return lines


def slider_lines(report: Report) -> tuple[list[str], bool]:
    """The slider tables and whether the targets against the floor were met."""
    lines: list[str] = []
    ok = True
    if not report.runs:
        return lines, ok
    lines.append(
        "Slider release -> the server's answer (ms, in the page's clock): for the floor, the new decoded image "
        "painted; for Latent sliders, whose digit is repainted in the page as the slider moves (see the live "
        "sliders table), the fragment's rerun writing the new code= into the URL:"
    )
    lines.append("")
    lines.append("| run | moves | p50 | p95 | max | lost | server CPU per move |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = {}
    for name, label in [
        ("floor", "floor (bench/floor_app.py, the repository's config), 1 session"),
        ("floor-gc", "floor with Streamlit's default post-run GC, 1 session"),
        ("app", "Latent sliders (live), 1 session: release -> server answered"),
        ("floor+4", "floor, while 4 other sessions move sliders"),
        ("app+4", "Latent sliders (live), release -> server answered, while 4 other sessions move sliders"),
        ("app-idle", "Latent sliders, 1 session, before a training run (its own server)"),
        ("app+training", "the same, while a Train-page run trains and another session watches it"),
    ]:
        runs = report.runs.get(name)
        if not runs:
            continue
        good = [r["total"] for r in runs if r]
        summary[name] = stats(good)
        s = summary[name]
        cpu = f"{report.cpu_ms[name]:.0f} ms" if name in report.cpu_ms else ""
        lines.append(
            f"| {label} | {len(good)} | {s['p50']:.0f} | {s['p95']:.0f} | {s['max']:.0f} "
            f"| {len(runs) - len(good)} | {cpu} |"
        )
    lines.append("")
    if "floor" in summary and "app" in summary:
        f, a = summary["floor"], summary["app"]
        checks = [
            ("p50 within 1.3x the floor", a["p50"] / f["p50"], TARGETS["p50"]),
            ("p95 within 1.5x the floor", a["p95"] / f["p95"], TARGETS["p95"]),
        ]
        if "app+4" in summary:
            checks.append(
                ("p95 with 4 other sessions under 2.5x the floor's p95", summary["app+4"]["p95"] / f["p95"], 2.5)
            )
        lines.append("| target | ratio | met |")
        lines.append("| --- | ---: | --- |")
        for label, ratio, limit in checks:
            met = ratio <= limit
            ok &= met
            lines.append(f"| {label} | {ratio:.2f}x | {'yes' if met else '**no**'} |")
        lines.append("")

    return lines, ok


def split_lines(report: Report) -> tuple[list[str], bool]:
    """Where each run's moves spent their time (no targets here)."""
    lines: list[str] = []
    if not report.runs:
        return lines, True
    lines.append("Where a move's time goes (medians, ms):")
    lines.append("")
    lines.append("| run | key -> send | server + websocket | React | image fetch | decode + paint | decoded image |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, runs in report.runs.items():
        good = [r for r in runs if r]
        if not good:
            continue

        def med(key: str, rows: list[dict] = good) -> float:
            return float(np.median([r[key] for r in rows]))

        picture = f"{med('image_bytes') / 1024:.1f} KB, " + ("inline PNG" if med("inline") else "/media file")
        if any(r.get("answer") for r in good):
            picture = "none sent: painted in the page; the answer is the new code= in the URL"
        lines.append(
            f"| {name} | {med('frontend'):.0f} | {med('server'):.0f} | {med('react'):.0f} | {med('fetch'):.0f} "
            f"| {med('paint'):.0f} | {picture} |"
        )
    lines.append("")
    if report.panel_ms:
        p = stats(report.panel_ms)
        c = stats(report.panel_cpu_ms)
        lines.append(
            f"The sliders fragment itself (server log, EXPLORER_TIMING=1, single-session rounds): "
            f"{p['p50']:.0f} ms wall p50, {p['p95']:.0f} ms p95; {c['p50']:.0f} ms CPU p50."
        )
    if report.background_moves:
        lines.append(
            "Background sessions completed "
            + ", ".join(f"{n} moves on {k}" for k, n in report.background_moves.items())
            + " while the measured session made its moves."
        )
    lines.append("")
    return lines, True


def _switch_cell(switch: dict | None) -> tuple[str, bool]:
    """A page's in-app switch times, each flagged when over its target; and whether both were met."""
    if not switch:
        return "-", True
    first_over = switch["first"] > TARGETS["switch_first_s"]
    again_over = switch["again"] > TARGETS["switch_again_s"]
    first = f"{switch['first']:.2f}" + (" **(over)**" if first_over else "")
    again = f"{switch['again']:.2f}" + (" **(over)**" if again_over else "")
    return f"{first} / {again}", not (first_over or again_over)


def page_lines(report: Report) -> tuple[list[str], bool]:
    """The page-load table and whether every page met its targets (cold loads and in-app switches; warm loads are
    shown against the floor's, the floor is not judged)."""
    lines: list[str] = []
    ok = True
    if not report.pages:
        return lines, ok
    cold_target = TARGETS["cold_first_s"]
    floor = report.pages.get(FLOOR_PAGE)
    rounds = min(result.get("rounds", 1) for result in report.pages.values())
    lines.append(
        "Navigation -> first content painted (the first image, chart, form or live component), seconds; targets: "
        f"cold at most {cold_target:g} s; an in-app switch at most {TARGETS['switch_first_s']:g} s on a page's first "
        f"visit in the session and {TARGETS['switch_again_s']:g} s on a return. A warm load cannot beat Streamlit's "
        "own floor here, so it is shown against the floor's warm load in the same run (warm - floor). Each visit is "
        "a new tab of one browser profile on a fresh server: cold is the first, warm the second, third the third. "
        f"Each figure is the median over {rounds} such servers per page (rounds over all pages in turn). Server "
        "start: from launching the process to its health check answering (the app is started as ./scripts/run.sh "
        "does, `python -m explorer.serve`, which loads the models first). In-app switch: from a click on the page's "
        "sidebar link to its first content, on one more fresh server, touring every page from Home and back, "
        "twice: first is the page's first visit in the session, again the return."
    )
    lines.append("")
    lines.append(
        "| page | server start | cold | cold: boot / server / render | warm | warm - floor | warm: page boot "
        "| warm: server | warm: render | third visit | in-app switch: first / again | first content |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, result in report.pages.items():
        cold, w = result["cold"]["s"], result["warm"]
        judged = name != FLOOR_PAGE
        cold_flag = " **(over)**" if judged and cold > cold_target else ""
        switched, switch_ok = _switch_cell(report.switches.get(name))
        ok &= not cold_flag and switch_ok
        over_floor = f"{w['s'] - floor['warm']['s']:+.2f}" if judged and floor else "-"
        lines.append(
            f"| {name} | {result['start_s']:.2f} | {cold:.2f}{cold_flag} | {_split(result['cold'])} "
            f"| {w['s']:.2f} | {over_floor} "
            f"| {w['boot']:.2f} | {w['server']:.2f} | {w['render']:.2f} | {result['third']['s']:.2f} | {switched} "
            f"| {w['what']} |"
        )
    lines.append("")
    return lines, ok


def summarise(report: Report) -> tuple[dict[str, str], bool]:
    """The report in Markdown by BENCHMARKS.md section (sliders and live drags; page loads), only for the
    parts that ran, and whether every target was met."""
    sections, ok = {}, True
    if report.runs or report.live:
        lines = machine_lines(report)
        for part in (slider_lines, split_lines):
            more, met = part(report)
            lines += more
            ok &= met
        sections["browser-latency"] = "\n".join(lines + live_summary(report))
    if report.pages:
        loads = ", ".join(f"{label} {load:.1f}" for label, load, _ in report.page_load)
        lines, met = page_lines(report)
        ok &= met
        head = [f"Command: `{command_line()}`  ", f"Machine: {os.cpu_count()} cores; load average {loads}.", ""]
        sections["page-loads"] = "\n".join(head + lines)
    return sections, ok
