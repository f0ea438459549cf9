"""Streamlit side of the live (in-browser) components: registration, their data, and what they send back.

Browser code lives in explorer/web/. A component's ``js`` is built from shared library scripts (plain
scripts defining one namespace each, e.g. runner.js's ``LatentRunner``) followed by the component's own
module, which ends with ``export default function(...)``. Anything a user supplies reaches a component as
``data`` only, never as HTML or script text: Components v2 mounts ``html``/``js`` without sanitising them.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from explorer import resources, state, ui
from explorer.compute import core, model_catalog
from explorer.compute.latent_space import SliderSpec, clip_code
from explorer.inputs import share
from vae.checkpoint import Checkpoint
from vae.export import to_uint8

WEB = Path(__file__).resolve().parents[1] / "web"


@cache
def web_file(name: str) -> str:
    """The text of a file in explorer/web/ (read once per process)."""
    return (WEB / name).read_text(encoding="utf-8")


# Each component module (explorer/web/) and the library scripts it needs in front of it, in order. The one list:
# the registrations below and the blank-page tests (tests/_web_component.py) both read it.
LIBRARIES: dict[str, tuple[str, ...]] = {
    "sliders.js": ("runner.js", "mount.js"),
    "draw.js": ("runner.js", "prepare.js", "mount.js", "canvas.js"),
    "pad.js": ("runner.js", "mount.js", "canvas.js"),
    "map.js": ("mount.js", "sprites.js"),
    "inside.js": ("runner.js", "prepare.js", "elbo.js", "mount.js", "canvas.js", "inside_view.js"),
    "live_chart.js": ("mount.js",),
    "timeline.js": ("mount.js",),
}


# Shared stylesheets put in front of a component's own (buttons.css: Streamlit-like buttons and small inputs).
STYLES: dict[str, tuple[str, ...]] = {"draw.js": ("buttons.css",), "inside.js": ("buttons.css",)}


def register(name: str, script: str, html: str | None = None) -> Any:
    """The Components v2 component ``name`` of ``script`` (explorer/web/): its libraries in front of its module
    (LIBRARIES), its stylesheet (the script's name with .css) after the shared ones (STYLES), and ``html``."""
    css = "".join(web_file(sheet) for sheet in (*STYLES.get(script, ()), script.replace(".js", ".css")))
    return st.components.v2.component(name, html=web_file(html) if html else None, css=css, js=component_js(script))


def component_js(script: str) -> str:
    """One component module: the text of the libraries ``script`` needs (LIBRARIES), then its own."""
    parts = [f"// ---- {name}\n{web_file(name)}" for name in (*LIBRARIES[script], script)]
    return "\n".join(parts)


def model_entry(checkpoint: Checkpoint) -> dict[str, Any]:
    """The data LatentRunner.load() takes for a checkpoint: {"hash", "url", "spec"}; weights go to static/."""
    return resources.browser_model(checkpoint)


# --------------------------------------------------------------------------------------------------------
# Live sliders


@cache
def _sliders_component() -> Any:
    return register("explorer.live_sliders", "sliders.js", html="sliders.html")


@dataclass(frozen=True)
class SlidersResult:
    """What the live sliders reported: whether the in-page decoder failed (and why)."""

    failed: bool
    reason: str
    digit: np.ndarray  # (28, 28): the decoder's picture of the code shown (the component's preview)


def sliders_key(name: str) -> str:
    return f"live.sliders.{name}"


def grey_bytes(image: np.ndarray) -> str:
    """A (28, 28) picture in [0, 1] as base64 grey bytes, row by row: what the page paints without decoding."""
    return base64.b64encode(to_uint8(image).tobytes()).decode("ascii")


def start_entries(model: Any, specs: Sequence[SliderSpec], starts: Sequence[tuple[np.ndarray, str]]) -> list[dict]:
    """The images the page offers to start from: each one's grey bytes (base64), caption, and encoding
    (clipped into the sliders' ranges), which a click puts on the sliders."""
    if not starts:
        return []
    codes = core.embed(model, np.stack([image for image, _ in starts]))  # (N, latent_dim)
    return [
        {
            "caption": caption,
            "image": grey_bytes(image),
            "code": [float(v) for v in clip_code(specs, code)],
        }
        for (image, caption), code in zip(starts, codes, strict=True)
    ]


def sliders_data(
    entry: dict[str, Any],
    specs: Sequence[SliderSpec],
    code: np.ndarray,
    revision: int,
    preview: np.ndarray | None = None,
) -> dict:
    """The component's data: plain numbers and our own labels only; ``preview``, the decoded (28, 28) picture
    of ``code`` if given, as base64 grey bytes (what the page paints until its own decoder is ready)."""
    return {
        "model": entry,
        "sliders": [
            {"dim": s.dim, "label": s.label, "lo": s.lo, "hi": s.hi, "step": s.step, "active": s.active} for s in specs
        ],
        "code": [float(v) for v in np.asarray(code, dtype=np.float32)],
        "revision": int(revision),
        "preview": None if preview is None else grey_bytes(preview),
    }


def live_sliders(
    checkpoint: Checkpoint, specs: Sequence[SliderSpec], starts: Sequence[tuple[np.ndarray, str]] = ()
) -> SlidersResult:
    """One range input per dimension, the digit and the traversal strip repainted in the page while a slider
    moves; on release the code is stored through explorer.state (read it with state.current_code). Above them,
    in the page: zero, a prior draw, and the encoding of each of ``starts`` ((28, 28) image, caption)."""
    name, key = checkpoint.name, sliders_key(checkpoint.name)
    code = state.current_code(name, specs)
    # The decoded digit rides along, so the page shows it the moment the component mounts, before the weights
    # have been fetched and the in-page decoder set up (the sliders repaint in the page from then on).
    model = resources.model(checkpoint)
    preview = core.decode(model, code)[0]
    data = sliders_data(model_entry(checkpoint), specs, code, state.code_revision(name), preview)
    data["starts"] = start_entries(model, specs, starts)
    result = _sliders_component()(
        key=key,
        data=data,
        on_code_change=partial(state.store_live_code, name, list(specs), key),
        on_status_change=lambda: None,
    )
    status = getattr(result, "status", None)
    failed = isinstance(status, str) and status.startswith("error")
    return SlidersResult(failed, status[len("error: ") :] if failed else "", preview)


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


def _noop() -> None:
    """Streamlit reports a component's value only to a registered on_<name>_change callback."""


def _kind_labels(pair: model_catalog.Pair) -> dict[str, str]:
    return {kind: ui.KIND_NAMES[kind] for kind in pair.kinds}


# --------------------------------------------------------------------------------------------------------
# Draw a digit


@cache
def _draw_component() -> Any:
    return register("explorer.draw_digit", "draw.js")


def draw_digit(pair: model_catalog.Pair, key: str) -> Any:
    """The drawing canvas with both models' live reconstructions; returns what "Use this drawing" sent on the
    run it was clicked (validate it with explorer.inputs.drawing), else None."""
    data = {
        "models": {kind: model_entry(pair.get(kind)) for kind in pair.kinds},
        "labels": _kind_labels(pair),
    }
    result = _draw_component()(data=data, key=key, on_use_change=_noop)
    return getattr(result, "use", None)


# --------------------------------------------------------------------------------------------------------
# Latent pad

_PLANES = {"pca": "PCA plane of each model's codes", "dims": "two chosen dimensions (the others at 0)"}


@cache
def _pad_component() -> Any:
    return register("explorer.latent_pad", "pad.js")


def _pad_plane_choice(latent_dim: int) -> tuple[str, tuple[int, int]]:
    if latent_dim <= 2:
        return "pca", (0, 1)
    method = st.radio("Pad plane", list(_PLANES), format_func=_PLANES.get, horizontal=True, key="pad.plane")
    if method == "pca":
        return method, (0, 1)
    first, second = st.columns(2)
    x = first.selectbox("Horizontal: dimension", range(latent_dim), index=0, key="pad.dim_x")
    options = [d for d in range(latent_dim) if d != x]
    y = second.selectbox("Vertical: dimension", options, index=0, key="pad.dim_y")
    return method, (int(x), int(y))


def latent_pad_section(pair: model_catalog.Pair) -> None:
    """The Latent map's pad: both models' digits decoded live under the pointer; a click pins a point."""
    from explorer.charts import figures
    from explorer.compute import latent_pad

    st.subheader("Latent pad: point anywhere")
    method, dims = _pad_plane_choice(pair.latent_dim)
    planes, pads = {}, {}
    for kind in pair.kinds:
        planes[kind], pads[kind] = resources.pad(pair.get(kind), kind, method, dims)
    from explorer.ui import panels

    names = panels.map_labels(pair)[1]  # a set of your own: its folder names (None: MNIST's digits)
    data = {
        "models": {kind: model_entry(pair.get(kind)) for kind in pair.kinds},
        "labels": _kind_labels(pair),
        "pads": pads,
        "colors": list(figures.DIGIT_COLORS),
        "names": list(names) if names else None,
        "pinned": None,
    }
    entry = state.pad_entry() if method == "pca" else None  # a place the lesson pins (on the PCA plane)
    if entry is not None:
        data["pinned"] = {"u": entry[0], "v": entry[1]}
    key = f"pad.{pair.latent_dim}.{method}.{dims[0]}.{dims[1]}"
    result = _pad_component()(data=data, key=key, on_pinned_change=_noop)
    st.caption(
        "The same place on both pads, in each model's own units: the VAE's in the prior's standard deviations "
        "(dashed: 1, 2, 3 sigma), the autoencoder's in its codes' spread. Where the autoencoder's pad is "
        "empty its digits fall apart; the VAE's prior is filled, so its digits stay digits. Click to pin."
    )
    pin = latent_pad.parse_pin(getattr(result, "pinned", None)) or latent_pad.parse_pin(data["pinned"])
    if pin is not None:
        _pinned_pair(pair, planes, pin)


def _pinned_pair(pair: model_catalog.Pair, planes: dict[str, Any], pin: tuple[float, float]) -> None:
    from explorer.compute import latent_pad

    codes = latent_pad.pinned_codes(planes, pin)
    cells = st.columns(len(codes) + 1)
    cells[0].markdown(f"**Pinned** at pad position ({pin[0]:+.2f}, {pin[1]:+.2f})")
    for cell, (kind, code) in zip(cells[1:], codes.items(), strict=True):
        picture = core.decode(resources.model(pair.get(kind)), code[None])[0]
        with cell:
            ui.digit(picture, caption=f"{ui.KIND_NAMES[kind]}, decoded on the server", scale=5)
            point = planes[kind].project(code[None])[0]
            titles = planes[kind].axis_titles
            st.caption(f"{titles[0]} = {point[0]:.2f}, {titles[1]} = {point[1]:.2f}; z = {_short(code)}")


def _short(code: Any, shown: int = 4) -> str:
    values = ", ".join(f"{v:.2f}" for v in code[:shown])
    return f"({values}{', …' if len(code) > shown else ''})"


# --------------------------------------------------------------------------------------------------------
# Latent map scatter


@cache
def _map_component() -> Any:
    return register("explorer.latent_map", "map.js")


def latent_map_chart(data: dict[str, Any], key: str, on_pick: Any = None) -> int | None:
    """One model's test-set codes as a canvas scatter (``data`` from explorer.charts.map_chart.payload); returns the
    test-set index the user last clicked in it, or None. ``on_pick`` runs when a new point is clicked; without
    it clicks pick nothing."""
    from explorer.charts import map_chart

    data = {**data, "pickable": on_pick is not None}
    result = _map_component()(data=data, key=key, on_picked_change=on_pick or _noop)
    return map_chart.parse_pick(getattr(result, "picked", None), len(ui.test_images()[1]))


# --------------------------------------------------------------------------------------------------------
# Training timeline


@cache
def _timeline_component() -> Any:
    return register("explorer.training_timeline", "timeline.js")


def training_timeline(checkpoints: dict[str, Checkpoint], key: str, quiet: bool = False, static: bool = False) -> None:
    """The epoch scrubber over each checkpoint's training timeline (kind -> checkpoint, drawn side by side); a
    model without a usable timeline is named with the reason (``quiet``: not, e.g. mid-swap on a live run).
    ``static`` serves the data as a content-hashed file from static/ (fetched once, cached by the browser)
    instead of in every run's message: for timelines that do not change, like the shipped models'."""
    from explorer.charts import figures, timeline_chart
    from vae.timeline import Timeline

    timelines, problems = {}, []
    for kind, checkpoint in checkpoints.items():
        found = resources.timeline(checkpoint)
        if isinstance(found, Timeline) and found.epochs:
            timelines[kind] = found
        else:
            problems.append(f"{ui.KIND_NAMES.get(kind, kind)}: no training timeline ({found})")
    if not quiet:
        for problem in problems:
            st.info(problem, icon=":material/info:")
    if timelines:
        titles = {kind: ui.KIND_NAMES.get(kind, kind) for kind in timelines}
        data = timeline_chart.payload(timelines, titles, figures.DIGIT_COLORS, testid=key)
        if static:
            data = timeline_chart.write_payload(data, resources.STATIC)
        _timeline_component()(data=data, key=key)


def timeline_section(pair: model_catalog.Pair) -> None:
    """The Latent map's "how the space formed" section: the pair's timelines side by side."""
    st.subheader("How the space formed during training")
    training_timeline({kind: pair.get(kind) for kind in pair.kinds}, key=f"timeline.{pair.latent_dim}", static=True)
    st.caption(
        "Drag the epoch slider or press play: the same held-out digits' codes at every epoch, on fixed axes"
        " (16-D codes on the PCA plane of the final epoch's codes). The VAE's KL term gathers its codes into the"
        " prior's circles and switches unneeded dimensions off (the bars); the autoencoder's codes drift wherever"
        " training puts them. Below each map: reconstructions and prior samples decoded with that epoch's weights."
    )


# --------------------------------------------------------------------------------------------------------
# Inside the VAE


@cache
def _inside_component() -> Any:
    return register("explorer.inside_vae", "inside.js")


def inside_vae(pair: model_catalog.Pair, image: np.ndarray | None, caption: str, mode: str, key: str) -> None:
    """The whole chain encoder -> q(z|x) -> z -> decoder -> p(x|z) -> ELBO for one digit, computed in the page
    (explorer/web/inside.js); ``mode`` "draw" gives it a canvas of its own instead of ``image``."""
    from explorer.charts import figures
    from explorer.compute import inside, latent_space

    kinds = [kind for kind in ("vae", "ae") if pair.get(kind) is not None]
    models = {kind: model_entry(pair.get(kind)) for kind in kinds}
    pads = {kind: resources.pad(pair.get(kind), kind, "pca", (0, 1))[1] for kind in kinds}
    stats = resources.latent_stats(pair.vae)
    order = [spec.dim for spec in latent_space.slider_specs("vae", pair.latent_dim, stats)]
    data = inside.component_data(models, pads, order, image, caption, mode, figures.DIGIT_COLORS)
    _inside_component()(data=data, key=key)
