"""The Latent map's scatter component (map.js), also used by Interpolate and the Train page."""

from __future__ import annotations

from functools import cache
from typing import Any

from explorer.shared import context
from explorer.shared.browser import components as browser


@cache
def _map_component() -> Any:
    return browser.register("explorer.latent_map", "map.js")


def latent_map_chart(data: dict[str, Any], key: str, on_pick: Any = None) -> int | None:
    """One model's test-set codes as a canvas scatter (``data`` from explorer.latent_map.map_chart.payload); returns the
    test-set index the user last clicked in it, or None. ``on_pick`` runs when a new point is clicked; without
    it clicks pick nothing."""
    from explorer.latent_map import map_chart

    data = {**data, "pickable": on_pick is not None}
    result = _map_component()(data=data, key=key, on_picked_change=on_pick or browser.noop)
    return map_chart.parse_pick(getattr(result, "picked", None), len(context.test_images()[1]))
