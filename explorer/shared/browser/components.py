"""The Streamlit side of every in-browser component: each feature's JS module and the shared libraries in front of
it, registered as a Components v2 component, and the helpers their data share (model entries, grey bytes).

Anything a user supplies reaches a component as ``data`` only, never as HTML or script text: Components v2 mounts
``html``/``js`` without sanitising them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from explorer.shared import model_catalog, resources, ui
from explorer.shared.browser import packing
from explorer.shared.browser.contract import Kind, ModelEntry, PackedUint8
from vae.checkpoint import Checkpoint
from vae.export import to_uint8

EXPLORER = Path(__file__).resolve().parents[2]
WEB_SUFFIXES = (".js", ".css", ".html")


@cache
def _web_files() -> dict[str, Path]:
    """Every browser file under explorer/, by its name: each feature keeps its JS and CSS in its own folder, and
    the names are unique across them (a test checks it), so a component names its files without a folder."""
    return {p.name: p for p in sorted(EXPLORER.rglob("*")) if p.suffix in WEB_SUFFIXES}


def web_path(name: str) -> Path:
    """Where the browser file ``name`` (e.g. "runner.js") lives under explorer/."""
    try:
        return _web_files()[name]
    except KeyError:
        raise FileNotFoundError(f"no browser file named {name} under {EXPLORER}") from None


@cache
def web_file(name: str) -> str:
    """The text of a browser file under explorer/ (read once per process)."""
    return web_path(name).read_text(encoding="utf-8")


# Each component module and the library scripts it needs in front of it, in order. The one list:
# the registrations below and the blank-page tests (tests/_web_component.py) both read it.
LIBRARIES: dict[str, tuple[str, ...]] = {
    "sliders.js": ("runner.js", "mount.js"),
    "draw.js": ("runner.js", "pixel_math.js", "prepare.js", "mount.js", "canvas.js"),
    "pad.js": ("runner.js", "mount.js", "canvas.js"),
    "map.js": ("mount.js", "sprites.js", "map_paint.js"),
    "inside.js": (
        "runner.js",
        "pixel_math.js",
        "prepare.js",
        "elbo.js",
        "mount.js",
        "canvas.js",
        "inside_layout.js",
        "inside_chain.js",
        "inside_view.js",
    ),
    "live_chart.js": ("mount.js",),
    "timeline.js": ("mount.js", "timeline_panel.js"),
}


# Shared stylesheets put in front of a component's own (buttons.css: Streamlit-like buttons and small inputs).
STYLES: dict[str, tuple[str, ...]] = {"draw.js": ("buttons.css",), "inside.js": ("buttons.css",)}


def register(name: str, script: str, html: str | None = None) -> Any:
    """The Components v2 component ``name`` of ``script``: its libraries in front of its module
    (LIBRARIES), its stylesheet (the script's name with .css) after the shared ones (STYLES), and ``html``."""
    css = "".join(web_file(sheet) for sheet in (*STYLES.get(script, ()), script.replace(".js", ".css")))
    return st.components.v2.component(name, html=web_file(html) if html else None, css=css, js=component_js(script))


def component_js(script: str) -> str:
    """One component module: the text of the libraries ``script`` needs (LIBRARIES), then its own."""
    parts = [f"// ---- {name}\n{web_file(name)}" for name in (*LIBRARIES[script], script)]
    return "\n".join(parts)


def model_entry(checkpoint: Checkpoint) -> ModelEntry:
    """The data LatentRunner.load() takes for a checkpoint: {"hash", "url", "spec"}; weights go to static/."""
    return resources.browser_model(checkpoint)


def grey_bytes(image: np.ndarray) -> PackedUint8:
    """A (28, 28) picture in [0, 1] as packed grey bytes, row by row: what the page paints without decoding."""
    return packing.uint8(to_uint8(image))


def noop() -> None:
    """Streamlit reports a component's value only to a registered on_<name>_change callback."""


def kind_labels(pair: model_catalog.Pair) -> dict[Kind, str]:
    return {kind: ui.KIND_NAMES[kind] for kind in pair.kinds}
