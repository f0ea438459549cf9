"""The chart component's data (live_chart.js), built by explorer.charts.live_chart.chart_data."""

from __future__ import annotations

from typing import TypedDict


class LiveChartData(TypedDict):
    """A Plotly figure for the element that stays mounted while its figures change."""

    src: str  # page-relative URL of plotly.js's cartesian bundle, loaded once per page
    testid: str  # the root's data-testid, for tests
    figure: str  # the figure as Plotly's own JSON text (its encoding of numpy arrays included)
