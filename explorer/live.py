"""Streamlit side of the live (in-browser) components: registration, their data, and what they send back.

Browser code lives in explorer/web/. A component's ``js`` is built from shared library scripts (plain
scripts defining one namespace each, e.g. runner.js's ``LatentRunner``) followed by the component's own
module, which ends with ``export default function(...)``. Anything a user supplies reaches a component as
``data`` only, never as HTML or script text: Components v2 mounts ``html``/``js`` without sanitising them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from explorer import core, resources, ui
from vae.checkpoint import Checkpoint

WEB = Path(__file__).resolve().parent / "web"


@cache
def web_file(name: str) -> str:
    """The text of a file in explorer/web/ (read once per process)."""
    return (WEB / name).read_text(encoding="utf-8")


def component_js(libraries: Sequence[str], script: str) -> str:
    """One component module: the library scripts' text, then ``script`` (a file name in explorer/web/)."""
    parts = [f"// ---- {name}\n{web_file(name)}" for name in (*libraries, script)]
    return "\n".join(parts)


def model_entry(checkpoint: Checkpoint) -> dict[str, Any]:
    """The data LatentRunner.load() takes for a checkpoint: {"hash", "url", "spec"}; weights go to static/."""
    return resources.browser_model(checkpoint)


def _noop() -> None:
    """Streamlit reports a component's value only to a registered on_<name>_change callback."""


def _kind_labels(pair: core.Pair) -> dict[str, str]:
    return {kind: ui.KIND_NAMES[kind] for kind in pair.kinds}


# --------------------------------------------------------------------------------------------------------
# Draw a digit


@cache
def _draw_component() -> Any:
    return st.components.v2.component(
        "explorer.draw_digit", css=web_file("draw.css"), js=component_js(("runner.js", "prepare.js"), "draw.js")
    )


def draw_digit(pair: core.Pair, key: str) -> Any:
    """The drawing canvas with both models' live reconstructions; returns what "Use this drawing" sent on the
    run it was clicked (validate it with explorer.drawing), else None."""
    data = {
        "models": {kind: model_entry(pair.get(kind)) for kind in pair.kinds},
        "labels": _kind_labels(pair),
    }
    result = _draw_component()(data=data, key=key, on_use_change=_noop)
    return getattr(result, "use", None)
