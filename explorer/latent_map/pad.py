"""The Latent map's pad (pad.js): both models decode the place under the pointer; a click pins it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import streamlit as st

from explorer.latent_map import cache as map_cache
from explorer.latent_map import panels as map_panels
from explorer.latent_map import state as map_state
from explorer.latent_map.contract import PadData, PadScatter
from explorer.shared import core, model_catalog, resources, ui
from explorer.shared.browser import components as browser
from explorer.shared.browser.contract import Kind, ModelEntry

_PLANES = {"pca": "PCA plane of each model's codes", "dims": "two chosen dimensions (the others at 0)"}


@cache
def _pad_component() -> Any:
    return browser.register("explorer.latent_pad", "pad.js")


def _pad_plane_choice(latent_dim: int) -> tuple[str, tuple[int, int]]:
    if latent_dim <= 2:
        return "pca", (0, 1)
    method = st.radio("Pad plane", list(_PLANES), format_func=_PLANES.get, horizontal=True, key=map_state.PAD_PLANE)
    if method == "pca":
        return method, (0, 1)
    first, second = st.columns(2)
    x = first.selectbox("Horizontal: dimension", range(latent_dim), index=0, key=map_state.PAD_DIM_X)
    options = [d for d in range(latent_dim) if d != x]
    y = second.selectbox("Vertical: dimension", options, index=0, key=map_state.PAD_DIM_Y)
    return method, (int(x), int(y))


def pad_data(
    models: Mapping[Kind, ModelEntry],
    labels: Mapping[Kind, str],
    pads: Mapping[Kind, PadScatter],
    colors: Sequence[str],
    names: Sequence[str] | None = None,
    pinned: tuple[float, float] | None = None,
) -> PadData:
    """The component's data: per model its runner entry, title and pad (latent_pad.scatter_payload), the label
    colours and names (None: the digits), a place to pin at the start, and the prior's circles."""
    from explorer.latent_map import latent_pad

    return {
        "models": dict(models),
        "labels": dict(labels),
        "pads": dict(pads),
        "colors": list(colors),
        "names": [str(n) for n in names] if names else None,
        "pinned": None if pinned is None else {"u": float(pinned[0]), "v": float(pinned[1])},
        "sigmas": list(latent_pad.PRIOR_SIGMAS),
    }


def latent_pad_section(pair: model_catalog.Pair) -> None:
    """The Latent map's pad: both models' digits decoded live under the pointer; a click pins a point."""
    from explorer.latent_map import latent_pad
    from explorer.shared import figures

    st.subheader("Latent pad: point anywhere")
    method, dims = _pad_plane_choice(pair.latent_dim)
    planes, pads = {}, {}
    for kind in pair.kinds:
        planes[kind], pads[kind] = map_cache.pad(pair.get(kind), kind, method, dims)

    names = map_panels.map_labels(pair)[1]  # a set of your own: its folder names (None: MNIST's digits)
    models = {kind: browser.model_entry(pair.get(kind)) for kind in pair.kinds}
    entry = map_state.pad_entry() if method == "pca" else None  # a place the lesson pins (on the PCA plane)
    data = pad_data(models, browser.kind_labels(pair), pads, figures.DIGIT_COLORS, names, entry)
    key = f"pad.{pair.latent_dim}.{method}.{dims[0]}.{dims[1]}"
    result = _pad_component()(data=data, key=key, on_pinned_change=browser.noop)
    st.caption(
        "The same place on both pads, in each model's own units: the VAE's in the prior's standard deviations "
        "(dashed: 1, 2, 3 sigma), the autoencoder's in its codes' spread. Where the autoencoder's pad is "
        "empty its digits fall apart; the VAE's prior is filled, so its digits stay digits. Click to pin."
    )
    pin = latent_pad.parse_pin(getattr(result, "pinned", None)) or latent_pad.parse_pin(data["pinned"])
    if pin is not None:
        _pinned_pair(pair, planes, pin)


def _pinned_pair(pair: model_catalog.Pair, planes: dict[str, Any], pin: tuple[float, float]) -> None:
    from explorer.latent_map import latent_pad

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
