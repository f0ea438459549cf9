"""The Draw a digit component (draw.js): the canvas and both models' live reconstructions."""

from __future__ import annotations

from functools import cache
from typing import Any

from explorer.shared import model_catalog
from explorer.shared.browser import components as browser


@cache
def _draw_component() -> Any:
    return browser.register("explorer.draw_digit", "draw.js")


def draw_digit(pair: model_catalog.Pair, key: str) -> Any:
    """The drawing canvas with both models' live reconstructions; returns what "Use this drawing" sent on the
    run it was clicked (validate it with explorer.draw.drawing), else None."""
    data = {
        "models": {kind: browser.model_entry(pair.get(kind)) for kind in pair.kinds},
        "labels": browser.kind_labels(pair),
    }
    result = _draw_component()(data=data, key=key, on_use_change=browser.noop)
    return getattr(result, "use", None)
