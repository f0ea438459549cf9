"""Model calls on numpy arrays and the Reconstruct and Sampling pages' computations, free of Streamlit so tests
can call them directly.

Images travel as float32 numpy arrays in [0, 1] shaped (28, 28) or (N, 28, 28); codes as float32 (N, D).
Models are only read, never changed: they are shared by every session of the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from explorer.shared.numbers import finite_number
from vae.checkpoint import Checkpoint
from vae.metrics import classify

OOD_PERCENTILE = 99.0


# --------------------------------------------------------------------------------------------------------
# Models on numpy arrays


def _batch(images: np.ndarray) -> torch.Tensor:
    # A copy: cached arrays are read-only, and torch warns about (and cannot guard) non-writable memory.
    return torch.tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)


@torch.inference_mode()
def embed(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """Codes of images (N, 28, 28) or (28, 28): the AE's code or the VAE's posterior mean, (N, D)."""
    return model.embed(_batch(images)).numpy()


@torch.inference_mode()
def decode(model: torch.nn.Module, codes: np.ndarray) -> np.ndarray:
    """Decoded images (N, 28, 28) of codes (N, D) or (D,)."""
    z = torch.as_tensor(np.asarray(codes, dtype=np.float32)).reshape(-1, model.config.latent_dim)
    return model.decode(z)[:, 0].numpy()


@torch.inference_mode()
def reconstruct(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """decode(embed(x)): (N, 28, 28) -> (N, 28, 28)."""
    return model.reconstruct(_batch(images))[:, 0].numpy()


@dataclass(frozen=True)
class Guess:
    label: int
    confidence: float

    def __str__(self) -> str:
        return f"{self.label} ({self.confidence:.0%})"


@torch.inference_mode()
def guesses(classifier: torch.nn.Module | None, images: np.ndarray) -> list[Guess | None]:
    """The classifier's label and confidence for each image; Nones when there is no classifier."""
    batch = _batch(images)
    if classifier is None:
        return [None] * len(batch)
    labels, confidence, _ = classify(classifier, batch)
    return [Guess(int(a), float(b)) for a, b in zip(labels, confidence, strict=True)]


# --------------------------------------------------------------------------------------------------------
# Reconstruct page


def pick_examples(labels: np.ndarray, digits: Sequence[int], per_digit: int, seed: int) -> list[int]:
    """``per_digit`` test-set indices for each digit, drawn with a seeded shuffle, grouped by digit."""
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for digit in digits:
        candidates = np.flatnonzero(np.asarray(labels) == digit)
        chosen += [int(i) for i in rng.permutation(candidates)[:per_digit]]
    return chosen


@torch.inference_mode()
def posterior_samples(vae: torch.nn.Module, image: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n decodes of z = mu + sigma * eps from the VAE's posterior for one image: (n, 28, 28)."""
    posterior = vae.encode(_batch(image))  # (1, D)
    z = posterior.expand(n).sample(torch.Generator().manual_seed(seed))  # (n, D)
    return vae.decode(z)[:, 0].numpy()


@torch.inference_mode()
def neg_elbo_scores(vae: torch.nn.Module, images: np.ndarray, seed: int = 0) -> np.ndarray:
    """Single-sample negative ELBO per image (nats), the same estimator used for the test set's scores. A VAE
    trained on binarised digits scores the fixed binarisation of each image (vae.likelihood.binarize), so the
    number bounds -log p(x) of that binary image; one trained on grey levels scores the grey image (a
    cross-entropy, see score_name)."""
    from vae.evaluate import per_image_scores
    from vae.likelihood import score_meaning, scored_images

    checkpoint = getattr(vae, "checkpoint", None)  # a model built here, not loaded, has none: grey levels
    meaning = score_meaning(vae.config, checkpoint.training if checkpoint is not None else None)
    generator = torch.Generator().manual_seed(seed)
    return per_image_scores(vae, scored_images(_batch(images), meaning), generator)["neg_elbo"].numpy()


def score_name(checkpoint: Checkpoint) -> str:
    """What neg_elbo_scores' numbers are, in words for a page (they are in nats either way)."""
    from vae.likelihood import score_meaning

    if score_meaning(checkpoint.model, checkpoint.training).binarized:
        return "negative ELBO of the binarised image (≥ −log p(x))"
    return "cross-entropy + KL on grey pixels (not a likelihood)"


@dataclass(frozen=True)
class OutlierCheck:
    score: float
    percentile: float  # share of test images (in %) that score lower, i.e. fit the model better
    threshold: float  # the test set's OOD_PERCENTILE-th percentile

    @property
    def out_of_distribution(self) -> bool:
        return self.score > self.threshold


def outlier_check(score: float, test_scores: np.ndarray) -> OutlierCheck:
    """Where an image's negative ELBO falls among the test set's (higher = less like the training data)."""
    test_scores = np.asarray(test_scores)
    return OutlierCheck(
        score=float(score),
        percentile=float(100.0 * np.mean(test_scores < score)),
        threshold=float(np.percentile(test_scores, OOD_PERCENTILE)),
    )


@dataclass
class ReconstructionRow:
    """One image on the Reconstruct page and everything the page shows about it."""

    name: str
    original: np.ndarray
    ae: np.ndarray | None
    vae: np.ndarray | None
    posterior: np.ndarray | None
    guess_original: Guess | None
    guess_ae: Guess | None
    guess_vae: Guess | None
    check: OutlierCheck | None


def reconstruction_rows(
    names: Sequence[str],
    images: np.ndarray,
    ae: torch.nn.Module | None,
    vae: torch.nn.Module | None,
    classifier: torch.nn.Module | None,
    test_scores: np.ndarray | None,
    samples: int = 4,
    seed: int = 0,
) -> list[ReconstructionRow]:
    """Reconstructions, posterior samples, classifier guesses and outlier checks for a batch of images."""
    images = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)
    ae_out = reconstruct(ae, images) if ae is not None else None
    vae_out = reconstruct(vae, images) if vae is not None else None
    scores = neg_elbo_scores(vae, images, seed) if vae is not None else None
    g_orig = guesses(classifier, images)
    g_ae = guesses(classifier, ae_out) if ae_out is not None else [None] * len(images)
    g_vae = guesses(classifier, vae_out) if vae_out is not None else [None] * len(images)
    rows = []
    for i, name in enumerate(names):
        check = None
        if scores is not None and test_scores is not None and len(test_scores):
            check = outlier_check(float(scores[i]), test_scores)
        rows.append(
            ReconstructionRow(
                name=name,
                original=images[i],
                ae=ae_out[i] if ae_out is not None else None,
                vae=vae_out[i] if vae_out is not None else None,
                posterior=posterior_samples(vae, images[i], samples, seed + i) if vae is not None else None,
                guess_original=g_orig[i],
                guess_ae=g_ae[i],
                guess_vae=g_vae[i],
                check=check,
            )
        )
    return rows


# --------------------------------------------------------------------------------------------------------
# Sampling page


def prior_images(model: torch.nn.Module, n: int, seed: int) -> np.ndarray:
    """n seeded N(0, I) draws decoded by ``model``: (n, 28, 28). Same seed and latent size, same codes."""
    from vae.metrics import prior_samples

    with torch.inference_mode():
        return prior_samples(model, n, seed)[:, 0].numpy()


def sample_quality(
    images: np.ndarray, classifier: torch.nn.Module, reference_features: np.ndarray | None = None
) -> dict[str, Any]:
    """vae.metrics.sample_quality on numpy images (the Frechet distance only with reference features)."""
    from vae.metrics import sample_quality as quality

    reference = torch.as_tensor(reference_features) if reference_features is not None else None
    with torch.inference_mode():
        return quality(_batch(images), classifier, reference)


def stored_sample_quality(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    """The sample-quality metrics vae.metrics stored in a checkpoint (on 10k samples), if any."""
    stored = checkpoint.metrics.get("prior_samples") if checkpoint is not None else None
    return stored if isinstance(stored, dict) and finite_number(stored.get("recognisable_share")) is not None else None


def error_map(original: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Reconstruction minus original, (28, 28): positive where the model added ink."""
    from vae.export import error_heatmap

    return error_heatmap(np.asarray(original).reshape(28, 28), np.asarray(reconstruction).reshape(28, 28))
