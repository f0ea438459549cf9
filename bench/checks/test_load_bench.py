"""The load benchmark's bookkeeping (bench/load.py and its parts in bench/multiuser/), without a browser or a
server: the full run takes minutes on two cores and lives outside the test suite (see BENCHMARKS.md for its command)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter

import pytest

from bench import load
from bench.multiuser import report, session, usage


def test_memory_and_cpu_include_child_processes():
    holds_64_mb = "import time; block = bytearray(64 * 2**20); block[::4096] = b'x' * 16384; time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", holds_64_mb])
    try:
        deadline = time.monotonic() + 20
        while usage.rss_mb(child.pid) < 60 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert child.pid in usage.process_tree(os.getpid())
        assert usage.rss_mb(child.pid) >= 60
        assert usage.rss_mb(os.getpid()) >= usage.rss_mb(child.pid)  # the parent's figure includes the child
        assert usage.cpu_seconds(os.getpid()) >= usage.cpu_seconds(os.getpid(), without=child.pid) > 0
    finally:
        child.kill()
        child.wait()


def test_percentiles_row():
    assert report.percentiles([]) == "| – | – | – | – | 0 |"
    row = report.percentiles([float(v) for v in range(1, 101)])
    assert row == "| 50 | 90 | 99 | 100 | 100 |"


def fake_run(errors: Counter, growth: float, server_cpu: float = 100.0) -> tuple[str, bool]:
    args = argparse.Namespace(
        sessions=16, warmup_cycles=2, ramp_concurrency=2, think=0.5, settle=10.0, max_growth_mb=200.0
    )
    results = session.Results(slider_ms=[100.0, 200.0], upload_ms=[900.0], switch_ms=[300.0], first_load_ms=[2000.0])
    for kind, count in errors.items():
        for index in range(count):
            results.error(kind, f"{kind} number {index}")
    info = {
        "loadavg_start": (1.0, 2.0, 3.0),
        "loadavg_end": (4.0, 5.0, 6.0),
        "cores": 2,
        "warmup_first_load": 5000.0,
        "ramp": 40.0,
        "elapsed": 120.0,
        "rss_start": 500.0,
        "rss_open": 520.0,
        "rss_peak": 500.0 + growth,
        "rss_end": 500.0 + growth,
        "rss_after_close": 510.0,
        "cpu_used": server_cpu,
        "client_cpu": 90.0,
    }
    return report.report(args, results, info)


def test_report_passes_only_without_errors_and_with_little_growth():
    body, ok = fake_run(Counter(), growth=50)
    assert ok and "Verdict: PASS" in body and "Errors: none" in body
    assert "| slider step → server answered (new code= in the URL) | 100 | 200 | 200 | 200 | 2 |" in body
    assert "growth +50 MB" in body and "1.0 / 2.0 / 3.0" in body
    # What the machine was doing is measured, not assumed: load averages on the core count, CPU-seconds left.
    assert "on 2 cores: 1.0 / 2.0 / 3.0 before the run, 4.0 / 5.0 / 6.0 after it" in body
    assert "the remaining 50 were idle or used by other processes" in body  # 240 - 100 - 90
    assert "other jobs shared the machine" not in body

    body, ok = fake_run(Counter({"timeout": 2}), growth=50)
    assert not ok and "**Errors: 2**" in body and "`timeout number 1`" in body

    _, ok = fake_run(Counter(), growth=250)
    assert not ok


def test_report_says_when_the_server_was_not_the_bottleneck():
    busy, _ = fake_run(Counter(), growth=0, server_cpu=200)
    idle, _ = fake_run(Counter(), growth=0, server_cpu=20)
    assert "not the app" in idle and "not the app" not in busy


def test_loopback_only_and_bounded_arguments():
    assert report.HOST == "127.0.0.1"
    for bad in (["--sessions", "0"], ["--sessions", "65"], ["--duration", "0"], ["--duration", "7200"]):
        with pytest.raises(SystemExit):
            load.main(bad)
