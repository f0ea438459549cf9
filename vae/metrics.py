"""Sample-quality metrics judged by the digit classifier: can a model's prior samples pass for digits?

- recognisable share: the fraction of samples the classifier labels with probability >= 0.9;
- class coverage: the entropy (nats) of the predicted-label histogram; log(10) ~= 2.303 means all ten digits
  appear equally often;
- Frechet distance between the classifier's penultimate features of the samples and of the test images
  (the FID recipe with an MNIST classifier in place of Inception).

    python -m vae.metrics checkpoints/vae-z16 checkpoints/ae-z16 --classifier checkpoints/classifier
    python -m vae.metrics --test-ceiling --classifier checkpoints/classifier
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vae.checkpoint import CheckpointError, load, update_metrics
from vae.data import load_mnist
from vae.latent import decode_batched, sample_prior

RECOGNISABLE_THRESHOLD = 0.9
DEFAULT_SAMPLES = 10_000


@torch.inference_mode()
def classify(
    classifier: torch.nn.Module, images: torch.Tensor, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Predicted label (N,), its probability (N,) and all class probabilities (N, 10) for (N, 1, 28, 28)."""
    probs = torch.cat([torch.softmax(classifier(chunk), dim=1) for chunk in images.split(batch_size)])
    confidence, labels = probs.max(dim=1)
    return labels, confidence, probs


@torch.inference_mode()
def classifier_features(classifier: torch.nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The classifier's penultimate-layer features: (N, 1, 28, 28) -> (N, F)."""
    return torch.cat([classifier.penultimate(chunk) for chunk in images.split(batch_size)])


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a: np.ndarray | torch.Tensor, features_b: np.ndarray | torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N, F) and (M, F).

    d^2 = |mu_a - mu_b|^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2)); the trace of the matrix square root is taken
    as sum sqrt(eig(C_a^(1/2) C_b C_a^(1/2))), which is symmetric and so numerically tame.
    """
    a = np.asarray(features_a.cpu() if isinstance(features_a, torch.Tensor) else features_a, dtype=np.float64)
    b = np.asarray(features_b.cpu() if isinstance(features_b, torch.Tensor) else features_b, dtype=np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def sample_quality(
    images: torch.Tensor, classifier: torch.nn.Module, reference_features: torch.Tensor | None = None
) -> dict[str, Any]:
    """The three metrics for a batch of images (N, 1, 28, 28); Frechet distance only with reference features."""
    labels, confidence, _ = classify(classifier, images)
    histogram = torch.bincount(labels, minlength=10)
    share = histogram.float() / histogram.sum()
    entropy = float(-(share[share > 0] * share[share > 0].log()).sum())
    result: dict[str, Any] = {
        "samples": len(images),
        "recognisable_share": float((confidence >= RECOGNISABLE_THRESHOLD).float().mean()),
        "class_coverage": entropy,
        "class_coverage_max": math.log(10),
        "class_histogram": histogram.tolist(),
    }
    if reference_features is not None:
        result["frechet_distance"] = frechet_distance(classifier_features(classifier, images), reference_features)
    return result


def prior_samples(model: torch.nn.Module, n: int = DEFAULT_SAMPLES, seed: int = 0) -> torch.Tensor:
    """n seeded draws z ~ N(0, I) decoded by ``model``: (n, 1, 28, 28). The same seed gives the same z for
    every model of the same latent size, so an AE and a VAE are compared on identical codes."""
    codes = sample_prior(n, model.config.latent_dim, torch.Generator().manual_seed(seed))
    return decode_batched(model, codes)


def mnist_test_features(classifier: torch.nn.Module) -> torch.Tensor:
    """Penultimate features of the 10k MNIST test images: the reference for the Frechet distance."""
    return classifier_features(classifier, load_mnist("test")[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vae.metrics",
        description="Sample-quality metrics of decoded prior samples, judged by the digit classifier.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("checkpoints", nargs="*", type=Path, help="AE or VAE checkpoint folders")
    parser.add_argument("--classifier", type=Path, default=Path("checkpoints/classifier"))
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-ceiling", action="store_true", help="also score the 10k test images themselves")
    parser.add_argument("--no-save", action="store_true", help="do not write the metrics into the checkpoints")
    args = parser.parse_args(argv)
    try:
        classifier = load(args.classifier)
        models = [load(path) for path in args.checkpoints]
    except CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    reference = mnist_test_features(classifier)
    rows: list[tuple[str, dict[str, Any]]] = []
    if args.test_ceiling:
        ceiling = sample_quality(load_mnist("test")[0], classifier, reference)
        rows.append(("MNIST test images (ceiling)", ceiling))
        if not args.no_save:
            update_metrics(args.classifier, {"test_set_sample_quality": ceiling})
    for path, model in zip(args.checkpoints, models, strict=True):
        quality = sample_quality(prior_samples(model, args.samples, args.seed), classifier, reference)
        quality["seed"] = args.seed
        rows.append((str(path), quality))
        if not args.no_save:
            update_metrics(path, {"prior_samples": quality})
    print(f"{'source':<32} {'recognisable':>12} {'coverage':>9} {'Frechet':>9}")
    for name, q in rows:
        print(f"{name:<32} {q['recognisable_share']:>12.3f} {q['class_coverage']:>9.3f} {q['frechet_distance']:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
