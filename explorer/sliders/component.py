"""The live sliders component (sliders.js): its data, shareable links and code files, what it sends back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import numpy as np

from explorer.shared import context, core, resources
from explorer.shared.browser import components as browser
from explorer.shared.browser.contract import ModelEntry
from explorer.shared.latent_space import TRAVERSAL_STEPS, SliderSpec, clip_code
from explorer.sliders import share
from explorer.sliders import state as sliders_state
from explorer.sliders.contract import SlidersData, Start
from vae.checkpoint import Checkpoint


@cache
def _sliders_component() -> Any:
    return browser.register("explorer.live_sliders", "sliders.js", html="sliders.html")


@dataclass(frozen=True)
class SlidersResult:
    """What the live sliders reported: whether the in-page decoder failed (and why)."""

    failed: bool
    reason: str
    digit: np.ndarray  # (28, 28): the decoder's picture of the code shown (the component's preview)


def sliders_key(name: str) -> str:
    return f"live.sliders.{name}"


def start_entries(model: Any, specs: Sequence[SliderSpec], starts: Sequence[tuple[np.ndarray, str]]) -> list[Start]:
    """The images the page offers to start from: each one's grey bytes (base64), caption, and encoding
    (clipped into the sliders' ranges), which a click puts on the sliders."""
    if not starts:
        return []
    codes = core.embed(model, np.stack([image for image, _ in starts]))  # (N, latent_dim)
    return [
        {
            "caption": caption,
            "image": browser.grey_bytes(image),
            "code": [float(v) for v in clip_code(specs, code)],
        }
        for (image, caption), code in zip(starts, codes, strict=True)
    ]


def sliders_data(
    entry: ModelEntry,
    specs: Sequence[SliderSpec],
    code: np.ndarray,
    revision: int,
    preview: np.ndarray | None = None,
    starts: Sequence[Start] = (),
) -> SlidersData:
    """The component's data: plain numbers and our own labels only; ``preview``, the decoded (28, 28) picture
    of ``code`` if given, as grey bytes (what the page paints until its own decoder is ready); ``starts`` from
    start_entries."""
    return {
        "model": entry,
        "sliders": [
            {"dim": s.dim, "label": s.label, "lo": s.lo, "hi": s.hi, "step": s.step, "active": s.active} for s in specs
        ],
        "code": [float(v) for v in np.asarray(code, dtype=np.float32)],
        "revision": int(revision),
        "preview": None if preview is None else browser.grey_bytes(preview),
        "starts": list(starts),
        "strip_steps": TRAVERSAL_STEPS,
    }


def live_sliders(
    checkpoint: Checkpoint, specs: Sequence[SliderSpec], starts: Sequence[tuple[np.ndarray, str]] = ()
) -> SlidersResult:
    """One range input per dimension, the digit and the traversal strip repainted in the page while a slider
    moves; on release the code is stored through explorer.state (read it with sliders_state.current_code). Above them,
    in the page: zero, a prior draw, and the encoding of each of ``starts`` ((28, 28) image, caption)."""
    name, key = checkpoint.name, sliders_key(checkpoint.name)
    code = sliders_state.current_code(name, specs)
    # The decoded digit rides along, so the page shows it the moment the component mounts, before the weights
    # have been fetched and the in-page decoder set up (the sliders repaint in the page from then on).
    model = resources.model(checkpoint)
    preview = core.decode(model, code)[0]
    entries = start_entries(model, specs, starts)
    data = sliders_data(
        browser.model_entry(checkpoint), specs, code, sliders_state.code_revision(name), preview, entries
    )
    result = _sliders_component()(
        key=key,
        data=data,
        on_code_change=partial(sliders_state.store_live_code, name, list(specs), key),
        on_status_change=lambda: None,
    )
    status = getattr(result, "status", None)
    failed = isinstance(status, str) and status.startswith("error")
    return SlidersResult(failed, status[len("error: ") :] if failed else "", preview)


def take_link(pair: Any) -> share.Link | None:
    """A newly opened link's view: sets the sliders page's model kind now (before its radio is drawn);
    the code is applied by apply_link_code once the sliders are known. None without a new link."""
    params = sliders_state.new_link()
    if params is None:
        return None
    sliders_state.mark_link_seen(params)
    link = share.parse_link(params, _sizes(), pair.latent_dim)
    if link.kind is not None and pair.get(link.kind) is not None:
        sliders_state.set_sliders_kind(link.kind)
    return link


def _sizes() -> list[int]:
    return sorted(context.models().catalog.pairs)


def apply_link_code(link: share.Link | None, name: str, specs: Sequence[SliderSpec]) -> list[str]:
    """Move the sliders to the link's code (clipped into range); returns what could not be used."""
    if link is None:
        return []
    if link.code is not None:
        sliders_state.set_sliders(name, specs, link.code)
    return list(link.problems)


# --------------------------------------------------------------------------------------------------------
