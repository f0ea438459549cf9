"""Streamlit side of the canvas chart component (explorer/web/chart.js), which draws every chart in the app.

Streamlit's own st.vega_lite_chart loads and compiles its Vega chunk on first use, 1.3-1.5 s of Home's and
Reconstruct's first paint; this component is a few hundred lines of script mounted in the page. Build the data
with explorer.chart_data; a keyed chart keeps its element and canvas while its data changes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import streamlit as st

from explorer.live import component_js, web_file


@cache
def _chart_component() -> Any:
    return st.components.v2.component(
        "explorer.chart", css=web_file("chart.css"), js=component_js(("mount.js",), "chart.js")
    )


def chart(data: dict[str, Any], key: str) -> None:
    """Draw one chart (``data`` from an explorer.chart_data function) in the current container; ``key`` keeps the
    same element, so new data repaints it in place instead of mounting a new one."""
    _chart_component()(data=data, key=key)
