"""A Plotly chart that updates in place (explorer/web/live_chart.js), for charts that change while a page
is open: the Train page's curves and latent bars.

``st.plotly_chart`` puts the figure into its element's identity, so a figure that changes every epoch is a new
element every epoch and the chart blanks while it mounts (bench/live_chart.py measures it). This component
keeps one element per key and hands each new figure to ``Plotly.react``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from explorer import resources
from explorer.components.live import component_js, web_file


@cache
def _component() -> Any:
    return st.components.v2.component(
        "explorer.live_chart", css=web_file("live_chart.css"), js=component_js("live_chart.js")
    )


def live_chart(figure: go.Figure, key: str) -> None:
    """Draw ``figure`` under ``key``; later runs with the same key update the same plot."""
    testid = (figure.layout.meta or {}).get("testid", "") if isinstance(figure.layout.meta, dict) else ""
    _component()(data={"src": resources.plotly_script(), "testid": testid, "figure": figure.to_json()}, key=key)
