"""What a model's test numbers measure: the fixed binarisation of the test images, and the meaning of each score.

A Bernoulli decoder gives probabilities of black-and-white images: p(x|z) = prod_p l_p^x_p (1 - l_p)^(1 - x_p)
for x_p in {0, 1} sums to 1 over the 2^P binary images. On grey levels the same formula is a cross-entropy, not
the probability (nor a density) of x. It equals the mean of -log p(x'|z) over random binarisations x' of the
grey image (the formula is linear in x), so a negative ELBO on grey pixels bounds the binarisations' mean
-log p(x') from above, not -log p(x) of the grey image itself.

A VAE trained on dynamically binarised digits (``TrainConfig.binarize == "dynamic"``) is therefore scored on
:func:`binarize`'s fixed binarisation of the test set (as bench/nll.py and the published MNIST numbers are), and
its negative ELBO and importance-sampled NLL are a bound on and an estimate of -log p(x) in nats. A VAE trained on
grey levels is scored on grey images and its numbers are recorded as cross-entropies; an autoencoder's as
squared error per image. :func:`score_meaning` says which, :func:`metric_labels` names the stored metrics so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from vae.config import ModelConfig, TrainConfig

TEST_BINARIZATION_SEED = 0  # bench/nll.py's fixed binarised test set uses this seed too

NEGATIVE_LOG_LIKELIHOOD = "negative_log_likelihood"  # -log p(x) of binary images, nats
CROSS_ENTROPY = "cross_entropy"  # Bernoulli formula on grey levels, nats, not a log-probability of x
NEGATIVE_LOG_DENSITY = "negative_log_density"  # the Gaussian likelihood: -log of a density of x, nats
SQUARED_ERROR = "squared_error"  # the plain autoencoder: sum over pixels of (reconstruction - x)^2

_BINARISED = f"binarised: one Bernoulli draw (seed {TEST_BINARIZATION_SEED}) of each grey test image"
_GREY = "grey levels in [0, 1], as stored"


def binarize(x: torch.Tensor, seed: int = TEST_BINARIZATION_SEED) -> torch.Tensor:
    """A fixed stochastic binarisation: each pixel 1 with probability its grey level, from a generator seeded with
    ``seed``: (N, ...) in [0, 1] -> the same shape, float 0/1.

    torch.bernoulli draws pixel after pixel in order, so ``binarize(x)[:n]`` equals ``binarize(x[:n])`` (a slice of
    the test set is binarised as in the whole) and an image that is already 0/1 is returned as it is.
    """
    return torch.bernoulli(x, generator=torch.Generator(device=x.device).manual_seed(seed))


def trained_on_binary(training: TrainConfig | None) -> bool:
    """True if the model saw fresh binarisations of its images (``--binarize dynamic``), not grey levels."""
    return training is not None and training.binarize == "dynamic"


@dataclass(frozen=True)
class ScoreMeaning:
    """What a model's reconstruction, negative-ELBO and NLL numbers are: ``measure`` (one of the four constants
    above), whether they were computed on a binarised x, that x in words, and whether the model is an autoencoder
    (whose loss has no KL term)."""

    measure: str
    binarized: bool
    data: str
    autoencoder: bool = False

    @property
    def is_log_likelihood(self) -> bool:
        """True when the numbers are -log of a probability or a density of x (a true bound / estimate)."""
        return self.measure in (NEGATIVE_LOG_LIKELIHOOD, NEGATIVE_LOG_DENSITY)

    @property
    def unit(self) -> str:
        return "squared error per image" if self.measure == SQUARED_ERROR else "nats per image"

    def to_metrics(self) -> dict[str, Any]:
        """The fields :func:`vae.evaluate.evaluate` stores beside the numbers, so a reader can label them."""
        record: dict[str, Any] = {"scores_are": self.measure, "test_binarized": self.binarized}
        record["likelihood_data"] = self.data
        if self.binarized:
            record["binarization_seed"] = TEST_BINARIZATION_SEED
        return record


def score_meaning(model: ModelConfig, training: TrainConfig | None) -> ScoreMeaning:
    """What the test numbers of an AE or a VAE with these configs measure (a classifier's are accuracies)."""
    if model.kind == "classifier":
        raise ValueError("a classifier's scores are accuracy and cross-entropy of labels, not of images")
    if model.kind == "ae":
        measure = CROSS_ENTROPY if model.likelihood == "bernoulli" else SQUARED_ERROR
        return ScoreMeaning(measure, False, f"{_GREY}; an autoencoder defines no likelihood", autoencoder=True)
    if model.likelihood == "gaussian":
        return ScoreMeaning(NEGATIVE_LOG_DENSITY, False, f"{_GREY} (Gaussian pixels, std {model.gaussian_std:g})")
    if trained_on_binary(training):
        return ScoreMeaning(NEGATIVE_LOG_LIKELIHOOD, True, _BINARISED)
    return ScoreMeaning(
        CROSS_ENTROPY,
        False,
        f"{_GREY}; the model was trained on grey levels, so its Bernoulli numbers are cross-entropies, not "
        "-log p(x) (the reconstruction term is the mean of -log p(x'|z) over binarisations x' of each image)",
    )


def scored_images(x: torch.Tensor, meaning: ScoreMeaning) -> torch.Tensor:
    """The images the likelihood numbers are computed on: :func:`binarize` (x) when ``meaning`` says so, else x."""
    return binarize(x) if meaning.binarized else x


_LABELS = {
    NEGATIVE_LOG_LIKELIHOOD: {
        "test_neg_elbo": "Negative ELBO, binarised test digits (nats, ≥ −log p(x))",
        "test_nll_iwae": "−log p(x), importance-sampled, binarised test digits (nats)",
        "test_reconstruction": "Reconstruction term E[−log p(x|z)] (nats)",
        "valid_loss": "Best validation negative ELBO (nats, binarised)",
    },
    CROSS_ENTROPY: {
        "test_neg_elbo": "Cross-entropy + KL on grey pixels (nats; not a bound on −log p(x))",
        "test_nll_iwae": "Importance-sampled cross-entropy on grey pixels (not an NLL)",
        "test_reconstruction": "Reconstruction cross-entropy on grey pixels (nats)",
        "valid_loss": "Best validation loss (cross-entropy + KL)",
    },
    NEGATIVE_LOG_DENSITY: {
        "test_neg_elbo": "Negative ELBO (nats of a Gaussian density, ≥ −log p(x))",
        "test_nll_iwae": "−log p(x), importance-sampled (nats of a Gaussian density)",
        "test_reconstruction": "Reconstruction term E[−log p(x|z)] (nats of a density)",
        "valid_loss": "Best validation negative ELBO (nats of a density)",
    },
}
_AUTOENCODER_LOSS = {SQUARED_ERROR: "squared error per image", CROSS_ENTROPY: "binary cross-entropy per image"}


def metric_labels(meaning: ScoreMeaning) -> dict[str, str]:
    """A label for each stored metric key that says what its number is (metric key -> label)."""
    labels = {
        "test_squared_error": "Squared error per image",
        "test_bce": "Binary cross-entropy per image (not a likelihood)",
    }
    if meaning.autoencoder:  # older checkpoints stored the AE's loss as test_reconstruction (and test_neg_elbo)
        loss = _AUTOENCODER_LOSS[meaning.measure]
        return {**labels, "test_reconstruction": loss.capitalize(), "valid_loss": f"Best validation {loss}"}
    return {**labels, "test_kl": "KL term (nats)", **_LABELS[meaning.measure]}
