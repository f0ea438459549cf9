"""The page behind bench/live_chart.py: a training curve that gains a point every half second, drawn either by
``st.plotly_chart`` with a key (``?mode=plotly_chart``) or by the app's live Plotly component (``?mode=live``),
the way the Train page draws a run's curves while it trains."""

import math
import os
import sys
from pathlib import Path

import streamlit as st

# bench/live_chart.py runs a copy of this file from a folder whose static/ is the repository's (the live chart's
# plotly.js is served from there); the repository itself comes in through $EXPLORER_REPO.
sys.path.insert(0, os.environ.get("EXPLORER_REPO", str(Path(__file__).resolve().parent.parent)))

from explorer.charts import chart_data, live_chart, plots

MODE = st.query_params.get("mode", "live")
st.title(f"live chart: {MODE}")


@st.fragment(run_every=0.5)
def curve() -> None:
    epochs = st.session_state.setdefault("epochs", 0) + 1
    st.session_state["epochs"] = epochs
    history = [
        {"epoch": e, "train_loss": 100 + 50 * math.exp(-e / 5), "valid_loss": 104 + 50 * math.exp(-e / 5)}
        for e in range(1, epochs + 1)
    ]
    figure = plots.figure(chart_data.training_curves(history, testid="bench-curves"))
    if MODE == "plotly_chart":
        st.plotly_chart(figure, key="bench.curves", theme=None)
    else:
        live_chart.draw(figure, key="bench.curves")


curve()
