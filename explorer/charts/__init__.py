"""The app's charts on a page: Plotly figures (explorer.charts.plots) of the data explorer.charts.chart_data
builds and checks.

``chart`` draws with ``st.plotly_chart``, for charts drawn once per page run (Home's curves, Reconstruct's
error maps and histogram, Sampling's class shares). A chart that changes while the page is open goes through
``explorer.components.live_chart`` instead (the Train page), which updates one plot in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from explorer.charts import plots

log = logging.getLogger("explorer")
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def build(build_data: Callable[..., dict[str, Any]], *args: Any, key: str, **kwargs: Any) -> go.Figure | None:
    """The figure of the chart ``build_data(*args, **kwargs)`` describes (an explorer.charts.chart_data function),
    or None after one short warning naming the problem when its data cannot be drawn (a checkpoint's history
    that is not a list of epochs, say), so the rest of the page carries on."""
    try:
        return plots.figure(build_data(*args, **kwargs))
    except ValueError as error:
        log.warning("chart %s not drawn: %s", key, error)
        st.warning(f"This chart cannot be drawn: {error}", icon=":material/warning:")
        return None


def chart(build_data: Callable[..., dict[str, Any]], *args: Any, key: str, **kwargs: Any) -> bool:
    """Draw the chart ``build_data(*args, **kwargs)`` describes in the current container, under ``key``;
    returns whether it was drawn."""
    figure = build(build_data, *args, key=key, **kwargs)
    if figure is None:
        return False
    st.plotly_chart(figure, key=key, config=CONFIG, theme=None)
    return True
