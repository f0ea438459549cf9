"""Every chart on a page: a Plotly figure drawn by plotly.js in a small component (live_chart.js)
that keeps one element per key and hands each new figure to ``Plotly.react``.

Why not ``st.plotly_chart``: it puts the figure into its element's identity, so a chart that changes (the Train
page's curves, every epoch) is a new element each time (bench/live_chart.py counts the replacements), and its
plotly.js is Streamlit's full 4.7 MB bundle, parsed on every page that shows a chart. This component loads the
1.5 MB cartesian bundle (explorer/resources.py ``plotly_script``), which the browser caches.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import plotly.graph_objects as go

from explorer import charts
from explorer.charts.contract import LiveChartData
from explorer.shared import resources
from explorer.shared.browser.components import register


@cache
def _component() -> Any:
    return register("explorer.live_chart", "live_chart.js")


def chart_data(figure: go.Figure, src: str) -> LiveChartData:
    """The component's data: plotly.js's URL, the figure's test id (its layout.meta["testid"]) and its JSON."""
    meta = figure.layout.meta if isinstance(figure.layout.meta, dict) else {}
    return {"src": src, "testid": str(meta.get("testid", "")), "figure": figure.to_json()}


def draw(figure: go.Figure, key: str) -> None:
    """Draw ``figure`` under ``key``; later runs with the same key update the same plot."""
    _component()(data=chart_data(figure, resources.plotly_script()), key=key)


def chart(build_data: Callable[..., dict[str, Any]], *args: Any, key: str, **kwargs: Any) -> bool:
    """Draw the chart ``build_data(*args, **kwargs)`` describes (an explorer.charts.chart_data function) in the
    current container, under ``key``; returns whether it was drawn (see explorer.charts.build)."""
    figure = charts.build(build_data, *args, key=key, **kwargs)
    if figure is None:
        return False
    draw(figure, key)
    return True
