"""Streamlit side of the canvas chart component (explorer/web/chart.js), which draws every chart in the app but
the latent maps.

Streamlit's own st.vega_lite_chart loads and compiles its Vega chunk on first use, 1.3-1.5 s of Home's and
Reconstruct's first paint; this component is a few hundred lines of script mounted in the page. A keyed chart
keeps its element and canvas while its data changes, so the Train page's growing curves repaint in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

import streamlit as st

from explorer.components.live import component_js, web_file

log = logging.getLogger("explorer")


@cache
def _chart_component() -> Any:
    return st.components.v2.component(
        "explorer.chart", css=web_file("chart.css"), js=component_js(("mount.js",), "chart.js")
    )


def chart(build: Callable[..., dict[str, Any]], *args: Any, key: str, **kwargs: Any) -> bool:
    """Draw the chart ``build(*args, **kwargs)`` describes (an explorer.charts.chart_data function) in the current
    container, under ``key``; returns whether it was drawn.

    Data the chart cannot draw (a checkpoint's history that is not a list of epochs, say) gets one short
    warning that names the problem, in place of the chart; the rest of the page carries on.
    """
    try:
        data = build(*args, **kwargs)
    except ValueError as error:
        log.warning("chart %s not drawn: %s", key, error)
        st.warning(f"This chart cannot be drawn: {error}", icon=":material/warning:")
        return False
    _chart_component()(data=data, key=key)
    return True
