"""Sample-quality metrics: the Frechet distance's known values, and the share/coverage bookkeeping."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vae.config import ModelConfig
from vae.metrics import frechet_distance, sample_quality
from vae.models import Classifier


def test_frechet_distance_of_gaussians_matches_the_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, size=(20_000, 3))
    b = rng.normal(0.0, 2.0, size=(20_000, 3)) + np.array([1.0, 0.0, 0.0])
    # Closed form for isotropic Gaussians: |mu|^2 + sum (s_a - s_b)^2 = 1 + 3 * (1 - 2)^2 = 4.
    assert frechet_distance(a, b) == pytest.approx(4.0, rel=0.03)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


class _Fixed(Classifier):
    """A classifier whose logits are set by the test: class i with a chosen confidence."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__(ModelConfig(kind="classifier", hidden=(4,), channels=(2, 2)))
        self.logits = logits

    def forward(self, x):
        return self.logits[: len(x)]

    def penultimate(self, x):
        return x.flatten(1)[:, :4]


def test_sample_quality_counts_confident_labels_and_entropy():
    confident = torch.full((10, 10), -20.0)
    confident[torch.arange(10), torch.arange(10)] = 20.0  # ten different digits, all certain
    unsure = torch.zeros(10, 10)  # uniform: 10% confidence
    logits = torch.cat([confident, unsure])
    quality = sample_quality(torch.rand(20, 1, 28, 28), _Fixed(logits))
    assert quality["recognisable_share"] == pytest.approx(0.5)
    assert sum(quality["class_histogram"]) == 20
    assert quality["class_coverage"] <= math.log(10) + 1e-9
    single = sample_quality(torch.rand(10, 1, 28, 28), _Fixed(confident[[3] * 10]))
    assert single["class_coverage"] == pytest.approx(0.0) and single["class_histogram"][3] == 10
    everything = sample_quality(torch.rand(10, 1, 28, 28), _Fixed(confident))
    assert everything["class_coverage"] == pytest.approx(math.log(10))


def test_frechet_distance_is_reported_with_reference_features():
    confident = torch.full((8, 10), -20.0)
    confident[:, 1] = 20.0
    images = torch.rand(8, 1, 28, 28)
    quality = sample_quality(images, _Fixed(confident), reference_features=images.flatten(1)[:, :4])
    assert quality["frechet_distance"] == pytest.approx(0.0, abs=1e-6)
