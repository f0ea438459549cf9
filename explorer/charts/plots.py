"""Plotly figures for the charts that are charts: training curves, bars, the score histogram and error maps.

Each figure is drawn from the plain data ``explorer.charts.chart_data`` builds (and checks), so what a chart
shows is tested there without Plotly, and how it is drawn here. No Streamlit: ``explorer.charts`` puts a
figure on the page. Every figure carries its chart's test id in ``layout.meta`` so tests can find it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

FONT = {"family": "sans-serif", "size": 12}
MARGIN = {"l": 48, "r": 12, "t": 28, "b": 40}
LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.04, "xanchor": "right", "x": 1.0}
LINE_COLUMNS = 3  # the most curve panels in a row when the data leaves it open (0)


def _finish(figure: go.Figure, data: Mapping[str, Any], height: int, **layout: Any) -> go.Figure:
    figure.update_layout(
        height=int(height),
        margin=MARGIN,
        font=FONT,
        meta={"testid": data.get("testid", ""), "kind": data["kind"]},
        template="plotly_white",
        legend=LEGEND,
        **layout,
    )
    if data.get("title"):
        figure.update_layout(title={"text": str(data["title"]), "x": 0.0, "font": {"size": 13}})
        figure.update_layout(margin={**MARGIN, "t": 48})
    return figure


def _lines(data: Mapping[str, Any]) -> go.Figure:
    panels = data["panels"]
    columns = max(1, min(len(panels), data.get("columns") or LINE_COLUMNS))
    rows = max(1, math.ceil(len(panels) / columns))
    titles = [str(p["title"]) for p in panels]
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=titles or None, horizontal_spacing=0.08)
    mode = "lines+markers" if data.get("markers") else "lines"
    for index, panel in enumerate(panels):
        row, column = divmod(index, columns)
        for series, values in zip(data["series"], panel["values"], strict=True):
            line = {"color": series["color"], "dash": "dash" if series["dash"] else "solid", "width": 2}
            trace = go.Scatter(
                x=data["x"],
                y=values,
                name=series["name"],
                mode=mode,
                line=line,
                legendgroup=series["name"],
                showlegend=index == 0,
                connectgaps=False,
                hovertemplate=f"{panel['title']} %{{y:.2f}}<br>epoch %{{x}}<extra>{series['name']}</extra>",
            )
            figure.add_trace(trace, row=row + 1, col=column + 1)
    figure.update_xaxes(title_text=data.get("x_title", ""), row=rows)
    height = rows * data["height"] + (40 if rows > 1 else 0) + 24
    figure = _finish(figure, data, height)
    # The legend sits above the panels' titles (which take the top of the plot area), not over them.
    plot_height = height - MARGIN["b"] - (MARGIN["t"] + 24)
    figure.update_layout(margin={**MARGIN, "t": MARGIN["t"] + 24}, legend={**LEGEND, "y": 1 + 26 / plot_height})
    return figure


def _bars(data: Mapping[str, Any]) -> go.Figure:
    figure = go.Figure()
    percent = data.get("y_format") == "percent"
    for series, values in zip(data["series"], data["values"], strict=True):
        value = "%{y:.1%}" if percent else "%{y:.3f}"
        figure.add_trace(
            go.Bar(
                x=data["categories"],
                y=values,
                name=series["name"],
                marker_color=series["color"],
                hovertemplate=f"%{{x}}: {value}<extra>{series['name']}</extra>",
            )
        )
    figure.update_xaxes(title_text=data.get("x_title") or data.get("category_title", ""), type="category")
    figure.update_yaxes(title_text=data.get("y_title", ""), tickformat=".0%" if percent else None)
    return _finish(figure, data, data["height"], barmode="group", showlegend=len(data["series"]) > 1)


def _histogram(data: Mapping[str, Any]) -> go.Figure:
    edges, counts = data["edges"], data["counts"]
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    width = (edges[-1] - edges[0]) / max(1, len(counts))
    (series,) = data["series"]
    figure = go.Figure(
        go.Bar(
            x=centres,
            y=counts,
            width=width,
            marker_color=series["color"],
            name="test images",
            hovertemplate="%{y} images near %{x:.1f} nats<extra></extra>",
        )
    )
    for rule in data["rules"]:
        figure.add_vline(x=rule["x"], line={"color": rule["color"], "width": 2})
        label = {"text": str(rule["label"]), "showarrow": False, "xanchor": "left", "font": {"color": rule["color"]}}
        figure.add_annotation(x=rule["x"], xref="x", y=1.0 - 0.09 * rule["row"], yref="paper", xshift=4, **label)
    figure.update_xaxes(title_text=data["x_title"], range=data["domain"])
    figure.update_yaxes(title_text=data["y_title"])
    return _finish(figure, data, data["height"], bargap=0.0, showlegend=False)


def _colorscale(scale: Mapping[str, Any]) -> list[list[Any]]:
    """The data's diverging scale (ascending domain, a colour at each stop) as Plotly's [[0..1, colour]] list."""
    domain = scale["domain"]
    lo, hi = domain[0], domain[-1]
    return [[(d - lo) / (hi - lo), color] for d, color in zip(domain, scale["colors"], strict=True)]


def _heatmap(data: Mapping[str, Any]) -> go.Figure:
    rows, columns = data["shape"]
    panels = data["panels"]
    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[str(p["title"]) for p in panels])
    domain = data["scale"]["domain"]
    for index, panel in enumerate(panels):
        values = panel["values"]
        grid = [values[r * columns : (r + 1) * columns] for r in range(rows)]  # row 0 is the top of the image
        heatmap = go.Heatmap(
            z=grid,
            zmin=domain[0],
            zmax=domain[-1],
            colorscale=_colorscale(data["scale"]),
            showscale=index == 0,
            colorbar={"title": {"text": data.get("legend_title", "")}, "len": 0.9, "thickness": 12},
            hovertemplate=f"row %{{y}}, column %{{x}}: {data.get('value_title', '')} %{{z:.3f}}<extra></extra>",
        )
        figure.add_trace(heatmap, row=1, col=index + 1)
    for index in range(len(panels)):
        suffix = "" if index == 0 else str(index + 1)
        figure.update_yaxes(autorange="reversed", scaleanchor=f"x{suffix}", showticklabels=False, row=1, col=index + 1)
        figure.update_xaxes(showticklabels=False, constrain="domain", row=1, col=index + 1)
    figure.update_xaxes(showgrid=False, zeroline=False)
    figure.update_yaxes(showgrid=False, zeroline=False)
    return _finish(figure, data, data["height"] + 60, plot_bgcolor="white")


FIGURES = {"lines": _lines, "bars": _bars, "histogram": _histogram, "heatmap": _heatmap}


def figure(data: Mapping[str, Any]) -> go.Figure:
    """The Plotly figure for one chart's data (any ``explorer.charts.chart_data`` result)."""
    return FIGURES[data["kind"]](data)
