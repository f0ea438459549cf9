"""The Draw a digit component (draw.js): the canvas and both models' live reconstructions."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from explorer.draw import drawing
from explorer.draw.contract import DrawData
from explorer.shared import model_catalog
from explorer.shared.browser import components as browser
from explorer.shared.browser.contract import Kind, ModelEntry


@cache
def _draw_component() -> Any:
    return browser.register("explorer.draw_digit", "draw.js")


def draw_data(models: Mapping[Kind, ModelEntry], labels: Mapping[Kind, str]) -> DrawData:
    """The component's data: each model's runner entry and caption, and the canvas (drawing.canvas)."""
    return {"models": dict(models), "labels": dict(labels), "canvas": drawing.canvas()}


def draw_digit(pair: model_catalog.Pair, key: str) -> Any:
    """The drawing canvas with both models' live reconstructions; returns what "Use this drawing" sent on the
    run it was clicked (validate it with explorer.draw.drawing), else None."""
    models = {kind: browser.model_entry(pair.get(kind)) for kind in pair.kinds}
    result = _draw_component()(data=draw_data(models, browser.kind_labels(pair)), key=key, on_use_change=browser.noop)
    return getattr(result, "use", None)
