"""The Inside the VAE component (inside.js): the whole chain for one digit, computed in the page."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from explorer.latent_map import cache as map_cache
from explorer.shared import model_catalog, resources
from explorer.shared.browser import components as browser


@cache
def _inside_component() -> Any:
    return browser.register("explorer.inside_vae", "inside.js")


def inside_vae(pair: model_catalog.Pair, image: np.ndarray | None, caption: str, mode: str, key: str) -> None:
    """The whole chain encoder -> q(z|x) -> z -> decoder -> p(x|z) -> ELBO for one digit, computed in the page
    (explorer/inside/inside.js); ``mode`` "draw" gives it a canvas of its own instead of ``image``."""
    from explorer.inside import data as inside
    from explorer.shared import figures, latent_space
    from vae.likelihood import trained_on_binary

    kinds = [kind for kind in ("vae", "ae") if pair.get(kind) is not None]
    models = {kind: browser.model_entry(pair.get(kind)) for kind in kinds}
    pads = {kind: map_cache.pad(pair.get(kind), kind, "pca", (0, 1))[1] for kind in kinds}
    stats = resources.latent_stats(pair.vae)
    order = [spec.dim for spec in latent_space.slider_specs("vae", pair.latent_dim, stats)]
    binarized = trained_on_binary(pair.vae.training)
    data = inside.component_data(models, pads, order, image, caption, mode, figures.DIGIT_COLORS, binarized)
    _inside_component()(data=data, key=key)
