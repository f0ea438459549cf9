"""The app's charts: Plotly figures (explorer.charts.plots) of the data explorer.charts.chart_data builds and
checks. ``build`` turns a chart's data into its figure, or into one short warning when the data cannot be drawn;
``explorer.charts.live_chart.chart`` puts it on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from explorer.charts import plots

log = logging.getLogger("explorer")


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
