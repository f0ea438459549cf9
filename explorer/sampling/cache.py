"""AE vs VAE sampling's caches: each model's fitted latent density and the scores of its samples, shared by every
session. Keyed by checkpoint path and version like explorer.shared.resources."""

from __future__ import annotations

from typing import Any

import streamlit as st

from explorer.shared import core, resources
from vae.checkpoint import Checkpoint


@st.cache_resource(show_spinner="Fitting a density to the model's training codes (once per model)…", max_entries=8)
def _density(path: str, stamp: str) -> Any:
    from explorer.sampling.generation import fit_density

    model = resources.model_at(path, stamp)
    return fit_density(model, dataset=resources.dataset_of(model.checkpoint))


def density(checkpoint: Checkpoint) -> Any:
    """The model's vae.density.LatentDensity (a 10-component mixture and one Gaussian per digit), fitted once
    per checkpoint on its training codes and shared by every session; sampling never modifies it."""
    return _density(str(checkpoint.path), resources.version(checkpoint))


@st.cache_data(show_spinner="Scoring the samples…", max_entries=64)
def _sampler_quality(
    path: str, stamp: str, classifier_path: str, classifier_stamp: str, sampler: str, n: int, seed: int, t: float
) -> dict:
    from explorer.sampling.generation import sampler_images

    fitted = _density(path, stamp) if sampler == "mixture" else None
    images = sampler_images(resources.model_at(path, stamp), fitted, sampler, n, seed, t)
    reference = resources.reference_features_at(classifier_path, classifier_stamp)
    return core.sample_quality(images, resources.model_at(classifier_path, classifier_stamp), reference)


def sampler_quality(
    checkpoint: Checkpoint, classifier: Checkpoint, sampler: str, n: int, seed: int, temperature: float = 1.0
) -> dict[str, Any]:
    """vae.metrics.sample_quality of n seeded draws of one sampler (explorer.sampling.generation.SAMPLERS)."""
    t = float(temperature) if sampler == "tempered" else 1.0  # the others ignore it: one cache entry, not many
    key = (str(checkpoint.path), resources.version(checkpoint), str(classifier.path), resources.version(classifier))
    return _sampler_quality(*key, sampler, n, seed, t)


@st.cache_data(show_spinner="Asking the classifier…", max_entries=64)
def _conditional_agreement(
    path: str, stamp: str, classifier_path: str, classifier_stamp: str, digit: int, n: int, seed: int, t: float
) -> float:
    from explorer.sampling.generation import agreement, conditional_images

    images = conditional_images(resources.model_at(path, stamp), _density(path, stamp), digit, n, seed, t)
    return agreement(resources.model_at(classifier_path, classifier_stamp), images, digit)


def conditional_agreement(
    checkpoint: Checkpoint, classifier: Checkpoint, digit: int, n: int, seed: int, temperature: float
) -> float:
    """The share of n seeded conditional samples of ``digit`` that the classifier labels as that digit."""
    key = (str(checkpoint.path), resources.version(checkpoint), str(classifier.path), resources.version(classifier))
    return _conditional_agreement(*key, int(digit), n, seed, float(temperature))
