"""Streamlit side of the live (in-browser) components: registration, their data, and what they send back.

Browser code lives in explorer/web/. A component's ``js`` is built from shared library scripts (plain
scripts defining one namespace each, e.g. runner.js's ``LatentRunner``) followed by the component's own
module, which ends with ``export default function(...)``. Anything a user supplies reaches a component as
``data`` only, never as HTML or script text: Components v2 mounts ``html``/``js`` without sanitising them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from explorer import resources, share, state
from explorer.core import SliderSpec
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


# --------------------------------------------------------------------------------------------------------
# Live sliders


@cache
def _sliders_component() -> Any:
    import streamlit as st

    return st.components.v2.component(
        "explorer.live_sliders",
        html=web_file("sliders.html"),
        css=web_file("sliders.css"),
        js=component_js(["runner.js"], "sliders.js"),
    )


@dataclass(frozen=True)
class SlidersResult:
    """What the live sliders reported: whether the in-page decoder failed (and why)."""

    failed: bool
    reason: str


def sliders_key(name: str) -> str:
    return f"live.sliders.{name}"


def sliders_data(entry: dict[str, Any], specs: Sequence[SliderSpec], code: np.ndarray, revision: int) -> dict:
    """The component's data: plain numbers and our own labels only."""
    return {
        "model": entry,
        "sliders": [
            {"dim": s.dim, "label": s.label, "lo": s.lo, "hi": s.hi, "step": s.step, "active": s.active} for s in specs
        ],
        "code": [float(v) for v in np.asarray(code, dtype=np.float32)],
        "revision": int(revision),
    }


def live_sliders(checkpoint: Checkpoint, specs: Sequence[SliderSpec]) -> SlidersResult:
    """One range input per dimension, the digit and the traversal strip repainted in the page while a slider
    moves; on release the code is stored through explorer.state (read it with state.current_code)."""
    name, key = checkpoint.name, sliders_key(checkpoint.name)
    data = sliders_data(model_entry(checkpoint), specs, state.current_code(name, specs), state.code_revision(name))
    result = _sliders_component()(
        key=key,
        data=data,
        on_code_change=partial(state.store_live_code, name, list(specs), key),
        on_status_change=lambda: None,
    )
    status = getattr(result, "status", None)
    failed = isinstance(status, str) and status.startswith("error")
    return SlidersResult(failed, status[len("error: ") :] if failed else "")


# --------------------------------------------------------------------------------------------------------
# Shareable links and code files


def take_link(pair: Any) -> share.Link | None:
    """A newly opened link's view: sets the sliders page's model kind now (before its radio is drawn);
    the code is applied by apply_link_code once the sliders are known. None without a new link."""
    params = state.new_link()
    if params is None:
        return None
    state.mark_link_seen(params)
    link = share.parse_link(params, _sizes(), pair.latent_dim)
    if link.kind is not None and pair.get(link.kind) is not None:
        state.set_sliders_kind(link.kind)
    return link


def _sizes() -> list[int]:
    return sorted(resources.catalog().pairs)


def apply_link_code(link: share.Link | None, name: str, specs: Sequence[SliderSpec]) -> list[str]:
    """Move the sliders to the link's code (clipped into range); returns what could not be used."""
    if link is None:
        return []
    if link.code is not None:
        state.set_sliders(name, specs, link.code)
    return list(link.problems)
