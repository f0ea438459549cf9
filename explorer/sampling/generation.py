"""Generation for the sampling and arithmetic pages: samplers, conditional digits, attribute vectors.

Free of Streamlit, so tests call it directly; explorer/shared/resources.py caches what is costly (the fitted
densities, the scores). Images come back as numpy arrays (n, 28, 28) in [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vae.density import LatentDensity

SAMPLERS = {
    "prior": "N(0, I)",
    "tempered": "N(0, I) at temperature T",
    "mixture": "Gaussian mixture fitted to the training codes",
}
MIXTURE_COMPONENTS = 10  # stated, not chosen by BIC: BIC over 2-20 would cost the first visitor ~5x the fit
# One Gaussian per digit at this temperature: vae-z16 conditional samples were classified as the requested
# digit >= 98.0% of the time for every digit (1,000 per digit, two seeds; worst 5 and 9), against 84.2% at
# T = 1 and 95.4% at T = 0.7 (worst: 9). Two or three Gaussians per digit gained little (worst digit at
# T = 0.7: 96.9% and 97.3%; at 0.6: 98.2% and 98.5%) for ten EM fits per model.
CONDITIONAL_TEMPERATURE = 0.6
TEMPERATURE_RANGE = (0.5, 1.5)
STRENGTHS = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)  # the strip of attribute-vector strengths
MAX_GROUP = 2000  # test images per user-chosen group


def fit_density(model: torch.nn.Module, seed: int = 0, dataset: str | None = None) -> LatentDensity:
    """The model's latent density, fitted on its training images' codes (with their labels, if the set has any):
    MNIST's 50k, or the training split of a person's own set (``dataset``: where it is, if not where the
    checkpoint recorded it)."""
    from vae.data import load_dataset, release_cache
    from vae.density import fit_latent_density

    x, labels = load_dataset(dataset or str(model.checkpoint.dataset.get("name", "mnist")), "train")
    labelled = bool((labels >= 0).all())
    components = min(MIXTURE_COMPONENTS, max(1, len(x) // 20))
    density = fit_latent_density(model, x, labels if labelled else None, components=components, seed=seed)
    # vae.data keeps every split it read; the server needs the training images only for this fit, and they
    # would otherwise stay resident (~190 MB) for the life of the process.
    release_cache()
    return density


def sampler_codes(
    sampler: str, density: LatentDensity | None, latent_dim: int, n: int, seed: int, temperature: float = 1.0
) -> torch.Tensor:
    """n codes (n, latent_dim) from one of SAMPLERS, drawn from a generator seeded with ``seed``.

    The prior samplers give an AE and a VAE of the same latent size identical codes; the mixture is each
    model's own, so the two get different codes from the same seed.
    """
    from vae.latent import sample_prior

    generator = torch.Generator().manual_seed(int(seed))
    if sampler == "prior":
        return sample_prior(n, latent_dim, generator)
    if sampler == "tempered":
        return sample_prior(n, latent_dim, generator, temperature=temperature)
    if sampler == "mixture":
        if density is None:
            raise ValueError("the mixture sampler needs a fitted density")
        return density.sample(n, generator)
    raise ValueError(f"sampler must be one of {list(SAMPLERS)}, got {sampler!r}")


@torch.inference_mode()
def decode(model: torch.nn.Module, codes: torch.Tensor) -> np.ndarray:
    """Codes (n, D) -> images (n, 28, 28)."""
    from vae.latent import decode_batched

    return decode_batched(model, codes)[:, 0].numpy()


def sampler_images(
    model: torch.nn.Module, density: LatentDensity | None, sampler: str, n: int, seed: int, temperature: float = 1.0
) -> np.ndarray:
    """n decoded draws (n, 28, 28) of one sampler."""
    return decode(model, sampler_codes(sampler, density, model.config.latent_dim, n, seed, temperature))


def conditional_images(
    model: torch.nn.Module, density: LatentDensity, digit: int, n: int, seed: int, temperature: float
) -> np.ndarray:
    """n new images (n, 28, 28) of ``digit`` from its Gaussian in the model's latent space."""
    generator = torch.Generator().manual_seed(int(seed))
    return decode(model, density.sample(n, generator, digit=int(digit), temperature=temperature))


@torch.inference_mode()
def agreement(classifier: torch.nn.Module, images: np.ndarray, digit: int) -> float:
    """The share of images (n, 28, 28) the classifier labels as ``digit``."""
    from vae.metrics import classify

    labels, _, _ = classify(classifier, torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1))
    return float((labels == int(digit)).float().mean())


def score_table(scores: dict[tuple[str, str], dict], names: dict[str, str]) -> list[dict[str, object]]:
    """One row per (model kind, sampler) score from vae.metrics.sample_quality, for a table."""
    return [
        {
            "model": names.get(kind, kind),
            "sampler": SAMPLERS[sampler],
            "recognisable": f"{q['recognisable_share']:.1%}",
            "class coverage (nats, max 2.30)": round(q["class_coverage"], 3),
            "Frechet distance": round(q["frechet_distance"], 1) if "frechet_distance" in q else None,
        }
        for (kind, sampler), q in scores.items()
    ]


# --------------------------------------------------------------------------------------------------------
# Latent arithmetic


@dataclass(frozen=True)
class Groups:
    """Two groups of test-set indices and what they stand for: vector = mean code of ``to`` - of ``start``."""

    start: tuple[int, ...]
    to: tuple[int, ...]
    description: str


def digit_groups(labels: np.ndarray, digit_from: int, digit_to: int) -> Groups:
    """All test images of one digit against all of another (class means, e.g. 3 -> 8)."""
    start, to = np.flatnonzero(labels == digit_from), np.flatnonzero(labels == digit_to)
    return Groups(tuple(start.tolist()), tuple(to.tolist()), f"mean {digit_to} minus mean {digit_from}")


def ink_groups(images: np.ndarray, labels: np.ndarray, digit: int | None = None, share: float = 0.2) -> Groups:
    """The lightest ``share`` of test images against the heaviest, by total ink (all digits, or one):
    a thin-to-bold stroke vector that keeps the digit's identity, as both groups hold every digit alike."""
    pool = np.flatnonzero(labels == digit) if digit is not None else np.arange(len(images))
    ink = images[pool].reshape(len(pool), -1).sum(1)
    order = pool[np.argsort(ink, kind="stable")]
    k = max(1, int(len(order) * share))
    which = f"{digit}s" if digit is not None else "test images"
    return Groups(
        tuple(order[:k].tolist()), tuple(order[-k:].tolist()), f"boldest minus thinnest {share:.0%} of {which}"
    )


_SPAN = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_indices(text: str, size: int, limit: int = MAX_GROUP) -> tuple[int, ...]:
    """Test-set indices from text like "3, 10, 20-29" (ranges inclusive); a clear ValueError otherwise."""
    indices: list[int] = []
    for part in filter(str.strip, text.replace(";", ",").split(",")):
        match = _SPAN.match(part)
        if match is None:
            raise ValueError(f"{part.strip()!r} is not an index or a range like 20-29")
        lo, hi = int(match[1]), int(match[2] or match[1])
        if hi < lo or hi >= size:
            raise ValueError(f"{part.strip()!r}: test indices run from 0 to {size - 1}, low end first")
        indices.extend(range(lo, hi + 1))
        if len(indices) > limit:
            raise ValueError(f"at most {limit:,} images per group")
    if not indices:
        raise ValueError("the group is empty: give at least one test index, e.g. 0, 5, 10-20")
    return tuple(dict.fromkeys(indices))


def attribute(model: torch.nn.Module, images: np.ndarray, groups: Groups) -> np.ndarray:
    """vae.attribute_vector over two groups of test images (N, 28, 28): (latent_dim,)."""
    from vae.density import attribute_vector

    def batch(indices: Sequence[int]) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(images[list(indices)])).unsqueeze(1)

    return attribute_vector(model, batch(groups.start), batch(groups.to)).numpy()


def apply_vector(
    model: torch.nn.Module, code: np.ndarray, vector: np.ndarray, strengths: Sequence[float]
) -> np.ndarray:
    """decode(code + s * vector) for each strength s: (len(strengths), 28, 28)."""
    s = torch.as_tensor(np.asarray(strengths, dtype=np.float32)).unsqueeze(1)  # (S, 1)
    codes = torch.as_tensor(code, dtype=torch.float32) + s * torch.as_tensor(vector, dtype=torch.float32)  # (S, D)
    return decode(model, codes)
