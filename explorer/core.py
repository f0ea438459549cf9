"""The computations behind the explorer's pages, free of Streamlit so tests can call them directly.

Images travel as float32 numpy arrays in [0, 1] shaped (28, 28) or (N, 28, 28); codes as float32 (N, D).
Models are only read, never changed: they are shared by every session of the server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from explorer.chart_data import finite_number
from vae.checkpoint import Checkpoint, CheckpointError
from vae.latent import interpolate, latent_grid, traverse
from vae.metrics import classify

INACTIVE_KL = 0.01  # nats; a VAE dimension carrying less than this is ignored by the decoder in practice
INACTIVE_VARIANCE = 0.01  # Var_x of the codes, the active-unit threshold of vae.evaluate
PRIOR_RANGE = 3.0  # the VAE sliders cover +-3 standard deviations of the prior
AE_MARGIN = 0.1  # the AE sliders reach this share of the codes' range beyond it on each side
OOD_PERCENTILE = 99.0
TRAVERSAL_STEPS = 9


# --------------------------------------------------------------------------------------------------------
# Which checkpoints the app uses


@dataclass(frozen=True)
class Pair:
    """The AE and the VAE of one latent size (either may be missing)."""

    latent_dim: int
    ae: Checkpoint | None = None
    vae: Checkpoint | None = None

    def get(self, kind: str) -> Checkpoint | None:
        return self.ae if kind == "ae" else self.vae

    @property
    def kinds(self) -> list[str]:
        return [kind for kind in ("ae", "vae") if self.get(kind) is not None]


@dataclass
class Catalog:
    """Every checkpoint under the root, sorted into model pairs, the classifier and the broken ones."""

    root: Path
    pairs: dict[int, Pair] = field(default_factory=dict)
    classifier: Checkpoint | None = None
    broken: list[tuple[str, str]] = field(default_factory=list)  # (folder name, reason)
    unused: list[Checkpoint] = field(default_factory=list)  # usable, but another one fills the slot


def _dataset_name(checkpoint: Checkpoint) -> str:
    return str(checkpoint.dataset.get("name", "mnist"))


def build_catalog(root: str | Path, scanned: Iterable[tuple[Path, Checkpoint | CheckpointError]]) -> Catalog:
    """Sort ``scan_checkpoints`` results; the shipped names (``vae-z16``, ``classifier``) win over others."""
    catalog = Catalog(root=Path(root))
    slots: dict[tuple[str, int], list[Checkpoint]] = {}
    classifiers: list[Checkpoint] = []
    for path, entry in scanned:
        if isinstance(entry, Exception):
            catalog.broken.append((Path(path).name, str(entry)))
        elif _dataset_name(entry) != "mnist":  # every page compares against the MNIST test set
            catalog.unused.append(entry)
        elif entry.model.kind == "classifier":
            classifiers.append(entry)
        else:
            slots.setdefault((entry.model.kind, entry.model.latent_dim), []).append(entry)

    def pick(candidates: list[Checkpoint], preferred: str) -> Checkpoint:
        chosen = next((c for c in candidates if c.name == preferred), sorted(candidates, key=lambda c: c.name)[0])
        catalog.unused.extend(c for c in candidates if c is not chosen)
        return chosen

    if classifiers:
        catalog.classifier = pick(classifiers, "classifier")
    for dim in sorted({d for _, d in slots}):
        chosen = {kind: pick(slots[kind, dim], f"{kind}-z{dim}") for kind in ("ae", "vae") if (kind, dim) in slots}
        catalog.pairs[dim] = Pair(dim, ae=chosen.get("ae"), vae=chosen.get("vae"))
    return catalog


# --------------------------------------------------------------------------------------------------------
# Metrics as shown to people

METRIC_LABELS = {
    "test_neg_elbo": "Negative ELBO (nats)",
    "test_nll_iwae": "NLL, importance-sampled (nats)",
    "test_reconstruction": "Reconstruction term",
    "test_kl": "KL term (nats)",
    "test_squared_error": "Squared error per image",
    "active_units": "Active latent units",
    "valid_loss": "Best validation loss",
    "best_epoch": "Best epoch",
    "test_accuracy": "Test accuracy",
}
SAMPLE_LABELS = {
    "recognisable_share": "Prior samples recognisable",
    "class_coverage": "Prior samples class coverage (nats, max 2.30)",
    "frechet_distance": "Prior samples Frechet distance",
}


_VAE_ONLY = {"test_neg_elbo", "test_nll_iwae", "test_kl"}  # an AE's evaluation reports its loss under these names


def metric_rows(checkpoint: Checkpoint) -> dict[str, float]:
    """The headline metrics a checkpoint has (label -> value); anything missing or malformed is skipped."""
    keys = {k: v for k, v in METRIC_LABELS.items() if checkpoint.model.kind == "vae" or k not in _VAE_ONLY}
    if checkpoint.model.kind == "ae":
        keys["test_reconstruction"] = "Reconstruction loss"
    rows = {label: v for key, label in keys.items() if (v := finite_number(checkpoint.metrics.get(key))) is not None}
    samples = checkpoint.metrics.get("prior_samples")
    if isinstance(samples, dict):
        values = {label: finite_number(samples.get(key)) for key, label in SAMPLE_LABELS.items()}
        rows.update({label: v for label, v in values.items() if v is not None})
    if (epochs := finite_number(checkpoint.progress.get("epoch"))) is not None:
        rows["Epochs trained"] = epochs
    return rows


# --------------------------------------------------------------------------------------------------------
# Sliders


@dataclass(frozen=True)
class SliderSpec:
    """One latent dimension's slider: its range, step and what the statistics say about it."""

    dim: int
    lo: float
    hi: float
    step: float
    kl: float | None
    variance: float | None
    active: bool

    @property
    def label(self) -> str:
        detail = (
            f"KL {self.kl:.2f}"
            if self.kl is not None
            else (f"var {self.variance:.2f}" if self.variance is not None else "")
        )
        return f"z{self.dim}" + (f" · {detail}" if detail else "")

    def clip(self, value: float) -> float:
        return float(min(self.hi, max(self.lo, round(value / self.step) * self.step)))


def _per_dim(stats: dict[str, Any], key: str, latent_dim: int) -> list[Any] | None:
    values = stats.get(key)
    return list(values) if isinstance(values, (list, tuple)) and len(values) == latent_dim else None


def _nice_step(width: float) -> float:
    return 10.0 ** math.floor(math.log10(max(width, 1e-6) / 100))  # at least 100 positions along the range


def slider_specs(kind: str, latent_dim: int, stats: dict[str, Any]) -> list[SliderSpec]:
    """Sliders ordered by importance: the VAE's KL per dimension (else the codes' variance), largest first.

    ``stats`` holds any of ``kl_per_dim``, ``code_variance``, ``code_range`` (vae.evaluate's names); a
    missing or malformed entry just loses its influence. VAE ranges are the prior's +-3; the AE's are the
    encoded test set's range widened by AE_MARGIN, since an AE has no prior to anchor them.
    """
    kls = _per_dim(stats, "kl_per_dim", latent_dim) if kind == "vae" else None
    variances = _per_dim(stats, "code_variance", latent_dim)
    ranges = _per_dim(stats, "code_range", latent_dim)
    specs = []
    for dim in range(latent_dim):
        kl = finite_number(kls[dim]) if kls else None
        variance = finite_number(variances[dim]) if variances else None
        lo, hi = -PRIOR_RANGE, PRIOR_RANGE
        if kind != "vae" and ranges and isinstance(ranges[dim], (list, tuple)) and len(ranges[dim]) == 2:
            a, b = (finite_number(v) for v in ranges[dim])
            if a is not None and b is not None and b > a:
                margin = AE_MARGIN * (b - a)
                lo, hi = a - margin, b + margin
        step = _nice_step(hi - lo)
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        active = not ((kl is not None and kl < INACTIVE_KL) or (variance is not None and variance < INACTIVE_VARIANCE))
        specs.append(SliderSpec(dim, round(lo, 6), round(hi, 6), step, kl, variance, active))
    importance = (lambda s: -(s.kl or 0.0)) if kls else (lambda s: -(s.variance or 0.0))
    return sorted(specs, key=lambda s: (importance(s), s.dim))


def start_code(how: str, specs: Sequence[SliderSpec], seed: int = 0, code: np.ndarray | None = None) -> np.ndarray:
    """Slider values to start from: "zero", "random" (a seeded N(0, I) draw) or "encoding" (``code``).

    The result is clipped into each slider's range, since a slider cannot show a value outside it.
    """
    dim = len(specs)
    if how == "zero":
        raw = np.zeros(dim)
    elif how == "random":
        raw = np.random.default_rng(seed).standard_normal(dim)
    elif how == "encoding" and code is not None:
        raw = np.asarray(code, dtype=np.float64).reshape(dim)
    else:
        raise ValueError(f"unknown start {how!r}")
    by_dim = {s.dim: s for s in specs}
    return np.array([by_dim[i].clip(raw[i]) if i in by_dim else raw[i] for i in range(dim)], dtype=np.float32)


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


def traversal(model: torch.nn.Module, code: np.ndarray, spec: SliderSpec, steps: int = TRAVERSAL_STEPS):
    """What one dimension does: ``steps`` values across its slider range, the rest of ``code`` fixed.

    Returns (values (steps,), images (steps, 28, 28)).
    """
    values = torch.linspace(spec.lo, spec.hi, steps)
    codes = traverse(torch.as_tensor(np.asarray(code, dtype=np.float32)), spec.dim, values)
    return values.numpy(), decode(model, codes.numpy())


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
    """Single-sample negative ELBO per image (nats), the same estimator used for the test set's scores."""
    from vae.evaluate import per_image_scores

    generator = torch.Generator().manual_seed(seed)
    return per_image_scores(vae, _batch(images), generator)["neg_elbo"].numpy()


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
# Interpolate page and latent map


@dataclass(frozen=True)
class Projection:
    """A linear map of codes to the plane: the codes themselves for D == 2, else their first two PCs."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (2, D), orthonormal rows
    name: str = "PCA"

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        return ((np.asarray(codes, dtype=np.float32) - self.mean) @ self.components.T).astype(np.float32)

    @property
    def origin(self) -> tuple[float, float]:
        """Where z = 0 lands; the prior N(0, I) maps to N(origin, I_2) under an orthonormal projection."""
        x, y = self(np.zeros((1, len(self.mean)), dtype=np.float32))[0]
        return float(x), float(y)


def pca_projection(codes: np.ndarray) -> Projection:
    """The projection used by the latent map and the interpolation path (identity for 2-D codes)."""
    codes = np.asarray(codes, dtype=np.float32)
    dim = codes.shape[1]
    if dim <= 2:
        eye = np.eye(2, dim, dtype=np.float32)
        return Projection(np.zeros(dim, dtype=np.float32), eye, name="z")
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(codes)
    return Projection(pca.mean_.astype(np.float32), pca.components_.astype(np.float32))


@dataclass(frozen=True)
class Interpolation:
    codes: np.ndarray  # (steps, D), endpoints = the two encodings
    images: np.ndarray  # (steps, 28, 28)


def interpolation(
    model: torch.nn.Module, start: np.ndarray, end: np.ndarray, steps: int, method: str = "linear"
) -> Interpolation:
    """Encode two images, walk ``steps`` codes between them (vae.interpolate) and decode each one."""
    with torch.inference_mode():
        z = torch.as_tensor(embed(model, np.stack([start, end])))
        path = interpolate(z[0], z[1], steps, method).numpy()
    return Interpolation(path, decode(model, path))


def nearest_neighbours(codes: np.ndarray, index: int, k: int = 8) -> np.ndarray:
    """Indices of the k codes closest (Euclidean, full latent space) to ``codes[index]``, nearest first."""
    codes = np.asarray(codes, dtype=np.float32)
    distances = ((codes - codes[index]) ** 2).sum(1)
    distances[index] = np.inf
    k = min(k, len(codes) - 1)
    nearest = np.argpartition(distances, k)[:k]
    return nearest[np.argsort(distances[nearest])]


Range = tuple[float, float]


def plane_grid(x_range: Range, y_range: Range, n: int = 15) -> np.ndarray:
    """An n x n grid of 2-D codes over x_range x y_range, row by row from the top (high y): (n*n, 2).

    vae.latent_grid's unit square stretched per axis, so a plane whose axes differ in scale (an AE's
    codes often do, by a factor of ten) is covered without leaving most of the grid off the data.
    """
    unit = latent_grid(0.0, 1.0, n).numpy()
    low = np.array([x_range[0], y_range[0]], dtype=np.float32)
    span = np.array([x_range[1] - x_range[0], y_range[1] - y_range[0]], dtype=np.float32)
    return (low + unit * span).astype(np.float32)


def manifold(model: torch.nn.Module, x_range: Range, y_range: Range, n: int = 15) -> np.ndarray:
    """Decodes of plane_grid(x_range, y_range, n) of a 2-D latent space, row by row: (n*n, 28, 28)."""
    return decode(model, plane_grid(x_range, y_range, n))


def ae_plane_ranges(stats: dict[str, Any]) -> tuple[Range, Range]:
    """Each axis's range of an AE's 2-D codes (their 0.5-99.5% quantiles), or +-3 where unknown."""
    ranges = _per_dim(stats, "code_range", 2) or [None, None]
    out = []
    for r in ranges:
        try:
            lo, hi = float(r[0]), float(r[1])  # type: ignore[index]
        except (TypeError, ValueError, IndexError):
            lo, hi = -PRIOR_RANGE, PRIOR_RANGE
        ok = hi > lo and math.isfinite(lo) and math.isfinite(hi)
        out.append((lo, hi) if ok else (-PRIOR_RANGE, PRIOR_RANGE))
    return out[0], out[1]


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


_PERCENT_LABELS = {METRIC_LABELS["test_accuracy"], SAMPLE_LABELS["recognisable_share"]}


def format_value(label: str, value: float) -> str:
    """A metric for display: shares as percentages, whole numbers without decimals, else 2 decimals."""
    if label in _PERCENT_LABELS:
        return f"{value:.1%}"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.2f}"


def error_map(original: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Reconstruction minus original, (28, 28): positive where the model added ink."""
    from vae.export import error_heatmap

    return error_heatmap(np.asarray(original).reshape(28, 28), np.asarray(reconstruction).reshape(28, 28))


# --------------------------------------------------------------------------------------------------------
# User runs beside the shipped pairs


def usable_user_runs(checkpoints: Iterable[Checkpoint]) -> list[Checkpoint]:
    """The AE and VAE runs trained on MNIST (what every page can show), newest name first."""
    keep = [c for c in checkpoints if c.model.kind in ("ae", "vae") and _dataset_name(c) == "mnist"]
    return sorted(keep, key=lambda c: c.name, reverse=True)


def latent_sizes(catalog: Catalog, user_runs: Iterable[Checkpoint]) -> list[int]:
    """Latent sizes the sidebar offers: the shipped pairs' and the user runs'."""
    return sorted(set(catalog.pairs) | {c.model.latent_dim for c in user_runs})


def pair_with_run(catalog: Catalog, latent_dim: int, run: Checkpoint | None) -> Pair:
    """The shipped pair of this latent size with ``run`` in the slot of its kind (the AE's or the VAE's)."""
    pair = catalog.pairs.get(latent_dim) or Pair(latent_dim)
    if run is None or run.model.latent_dim != latent_dim:
        return pair
    return Pair(
        latent_dim, ae=run if run.model.kind == "ae" else pair.ae, vae=run if run.model.kind == "vae" else pair.vae
    )
