"""The Inside the VAE page's data: what its in-page component (inside.js) needs for one digit
(explorer.inside.contract.InsideData).

Everything the page shows is computed in the browser (runner.js runs the encoder and decoder, elbo.js the
objective's terms); Python only gathers the inputs: both models' runner entries, each model's scatter on its
plane (explorer.latent_map.latent_pad: the VAE's z=2 plane itself, or the PCA plane of its test codes for z=16, and the
autoencoder's own), the VAE's dimensions in the sliders page's order, the chosen digit's pixels, and the drawing
canvas's setup (explorer.draw.drawing.canvas).

No streamlit here, so the tests call it directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from explorer.draw import drawing
from explorer.inside.contract import InsideData
from explorer.latent_map.contract import PadScatter
from explorer.shared.browser.contract import Kind, ModelEntry

BINARIZE_SEED = 1  # the page's own Bernoulli draw of the digit (torch's draw differs; both are one binarisation)
MODES = ("image", "draw")  # a picked digit (test set, upload or kept drawing), or one drawn on the page


class InsideError(ValueError):
    """The page cannot be built from these inputs; the message says why, in the user's terms."""


def image_pixels(image: np.ndarray | None) -> list[float] | None:
    """A (28, 28) or (784,) picture in [0, 1] as 784 plain numbers (NaN as 0, clipped); None stays None."""
    if image is None:
        return None
    values = np.asarray(image, dtype=np.float64)
    if values.size != 28 * 28:
        raise InsideError(f"the digit must be a 28x28 picture, got {values.shape}")
    values = np.clip(np.nan_to_num(values.reshape(-1), nan=0.0), 0.0, 1.0)
    return [round(float(v), 6) for v in values]


def has_ink(pixels: Sequence[float] | None) -> bool:
    return pixels is not None and max(pixels, default=0.0) > 0.0


def component_data(
    models: Mapping[Kind, ModelEntry],
    pads: Mapping[Kind, PadScatter],
    order: Sequence[int],
    image: np.ndarray | None,
    caption: str,
    mode: str = "image",
    colors: Sequence[str] = (),
    binarized: bool = False,
) -> InsideData:
    """The component's data. ``models`` and ``pads`` are keyed by kind ("vae", and "ae" when the pair has one):
    runner entries (browser.components.model_entry) and latent_pad.scatter_payload dicts; ``order`` is the VAE's
    dimensions as the sliders page lists them (latent_space.slider_specs). ``binarized``: the VAE was trained on
    binarised digits, so the page binarises the digit before scoring it and its bound is on log p(x); otherwise
    the numbers are cross-entropies of the grey digit and are named so (vae.likelihood)."""
    if mode not in MODES:
        raise InsideError(f"mode must be one of {MODES}, got {mode!r}")
    if "vae" not in models or "vae" not in pads:
        raise InsideError("this page needs a VAE for the chosen latent size")
    dim = int(models["vae"]["spec"]["latent_dim"])
    if sorted(int(d) for d in order) != list(range(dim)):
        raise InsideError(f"the dimension order must list each of the VAE's {dim} dimensions once")
    kinds: list[Kind] = [kind for kind in ("vae", "ae") if kind in models and kind in pads]
    return {
        "models": {kind: models[kind] for kind in kinds},
        "pads": {kind: pads[kind] for kind in kinds},
        "order": [int(d) for d in order],
        "image": None if mode == "draw" else image_pixels(image),
        "caption": str(caption),
        "mode": mode,
        "colors": list(colors),
        "canvas": drawing.canvas(),
        "scoring": {
            "binarized": bool(binarized),
            "seed": BINARIZE_SEED,
            "bound_of": "log p(x)" if binarized else "−(cross-entropy of the grey digit), not log p(x)",
        },
    }
