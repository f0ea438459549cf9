"""The page-load table of bench/browser_latency.py (written by bench/latency/report.py): one header cell per value,
and the targets judged."""

from __future__ import annotations

from bench.latency import common, pages
from bench.latency.report import page_lines


def _visit(seconds: float) -> dict:
    return {"s": seconds, "boot": 0.5, "server": 0.2, "render": 0.1, "what": "image"}


def test_every_row_has_a_cell_for_every_header_and_misses_are_flagged():
    report = common.Report()
    report.pages[pages.FLOOR_PAGE] = {"start_s": 1.3, "cold": _visit(2.0), "warm": _visit(1.2), "third": _visit(0.9)}
    report.pages["Home"] = {"start_s": 7.0, "cold": _visit(2.4), "warm": _visit(1.5), "third": _visit(0.8)}
    report.switches["Home"] = {"first": 0.31, "again": 0.4, "what": "chart"}
    lines, ok = page_lines(report)
    table = [line for line in lines if line.startswith("|")]
    widths = {line.count("|") for line in table}
    assert len(table) == 4 and len(widths) == 1, table
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    home = [cell.strip() for cell in table[3].strip("|").split("|")]
    assert dict(zip(header, home, strict=True))["server start"] == "7.00"
    assert dict(zip(header, home, strict=True))["warm"] == "1.50"  # shown against the floor, not judged alone
    assert dict(zip(header, home, strict=True))["warm - floor"] == "+0.30"
    assert dict(zip(header, home, strict=True))["cold"] == "2.40"  # cold within 2.5 s
    assert dict(zip(header, home, strict=True))["cold: boot / server / render"] == "0.50 / 0.20 / 0.10"
    assert dict(zip(header, home, strict=True))["in-app switch: first / again"] == "0.31 / 0.40 **(over)**"
    floor = [cell.strip() for cell in table[2].strip("|").split("|")]
    assert dict(zip(header, floor, strict=True))["in-app switch: first / again"] == "-"  # one page: no sidebar
    assert not ok
    assert "(over)" not in table[2]  # the floor is shown, not judged
    report.switches["Home"]["again"] = 0.2
    assert page_lines(report)[1]  # a warm load over a second no longer fails the run on its own


def test_repeated_visits_are_summed_up_by_the_median_of_each_timing():
    visits = [
        {"s": 2.9, "boot": 1.5, "server": 0.9, "render": 0.5, "what": "image"},
        {"s": 1.8, "boot": 1.0, "server": 0.5, "render": 0.3, "what": "image"},
        {"s": 2.0, "boot": 1.1, "server": 0.4, "render": 0.5, "what": "image"},
    ]
    assert pages._median_visit(visits) == {"s": 2.0, "boot": 1.1, "server": 0.5, "render": 0.5, "what": "image"}
