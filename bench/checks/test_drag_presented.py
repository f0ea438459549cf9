"""The live drag's presented latency (bench/latency/live.py): a move counts to the presentation of its own frame
when its repaint made that frame, else to the first frame presented after the repaint; moves without a repaint
are left out."""

from __future__ import annotations

import pytest

from bench.latency.live import presented_latencies

SYNC_TS_US, SYNC_MS = 5_000_000, 1_000.0  # the sync mark: trace clock 5 s = performance.now() 1,000 ms


def _drag(start_us: int, end_us: int, local: str) -> list[dict]:
    begin = {"name": "EventLatency", "ph": "b", "pid": 1, "ts": start_us, "id2": {"local": local}}
    begin["args"] = {"event_latency": {"event_type": "MOUSE_DRAGGED"}}
    return [begin, {"name": "EventLatency", "ph": "e", "pid": 1, "ts": end_us, "id2": {"local": local}, "args": {}}]


def _trace() -> dict:
    events = [{"name": "explorer:drag-sync", "ph": "R", "pid": 1, "ts": SYNC_TS_US}]
    events += _drag(5_100_000, 5_108_000, "0x1")  # repainted at +102 ms: inside its frame (presented at +108)
    events += _drag(5_200_000, 5_206_000, "0x2")  # repainted at +210 ms: after its frame, shown at +222
    events += _drag(5_300_000, 5_305_000, "0x3")  # never repainted
    events.append({"name": "Display::FrameDisplayed", "ph": "X", "pid": 2, "ts": 5_222_000})
    return {"traceEvents": events}


def test_own_frame_then_next_frame_shown_and_moves_without_a_repaint_left_out():
    repainted = [SYNC_MS + 102.0, SYNC_MS + 210.0]  # performance.now() of the two repaints
    result = presented_latencies(_trace(), SYNC_MS, repainted)
    assert result["in_frame"] == 1
    assert result["latencies"] == pytest.approx([8.0, 22.0])


def test_other_event_types_are_not_drags():
    trace = _trace()
    for event in trace["traceEvents"]:
        if event.get("ph") == "b":
            event["args"]["event_latency"]["event_type"] = "MOUSE_MOVED_EVENT"
    assert presented_latencies(trace, SYNC_MS, [SYNC_MS + 102.0]) == {"latencies": [], "in_frame": 0}
