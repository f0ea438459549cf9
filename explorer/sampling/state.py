"""AE vs VAE sampling's widget keys, and the settings another feature (the lesson) may ask the page to start with."""

from __future__ import annotations

from explorer.sampling.generation import SAMPLERS

SAMPLER = "sample.sampler"
SEED = "sample.seed"
COUNT = "sample.n"
TEMPERATURE = "sample.temperature"
HISTOGRAM = "sample.hist"
SCORE_ALL = "sample.score_all"
DIGIT = "sample.digit"
DIGIT_TEMPERATURE = "sample.digit_temperature"
DIGIT_SEED = "sample.digit_seed"
DIGIT_AGREEMENT = "sample.digit_agreement"


def sampler_settings(sampler: str) -> dict[str, str]:
    """The widget values that open the page on ``sampler`` (a key of explorer.sampling.generation.SAMPLERS)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"no sampler {sampler!r}")
    return {SAMPLER: sampler}
