"""Which checkpoints the app uses (the shipped pairs, the classifier, the user runs beside them) and their
metrics as shown to people, free of Streamlit so tests can call them directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from explorer.shared.numbers import finite_number
from vae.checkpoint import Checkpoint, CheckpointError

# --------------------------------------------------------------------------------------------------------
# Which checkpoints the app uses


MNIST_LABELS = tuple(str(d) for d in range(10))
KIND_NAMES = {"ae": "Autoencoder", "vae": "VAE"}  # how pages name a model kind


@dataclass(frozen=True)
class Pair:
    """The AE and the VAE of one latent size (either may be missing). A pair trained on a person's own images
    also names its dataset (a prepared folder), the set's title and label names, and its classifier if any."""

    latent_dim: int
    ae: Checkpoint | None = None
    vae: Checkpoint | None = None
    dataset: str = "mnist"
    title: str = ""
    label_names: tuple[str, ...] = MNIST_LABELS
    classifier: Checkpoint | None = None

    @property
    def own(self) -> bool:
        """True for a pair trained on a person's own images (not MNIST)."""
        return self.dataset != "mnist"

    @property
    def key(self) -> str:
        """The sidebar picker's value for an own-images pair: "set:<folder>:<latent size>"."""
        return f"set:{Path(self.dataset).name}:{self.latent_dim}"

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


_PERCENT_LABELS = {METRIC_LABELS["test_accuracy"], SAMPLE_LABELS["recognisable_share"]}


def format_value(label: str, value: float) -> str:
    """A metric for display: shares as percentages, whole numbers without decimals, else 2 decimals."""
    if label in _PERCENT_LABELS:
        return f"{value:.1%}"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.2f}"


# --------------------------------------------------------------------------------------------------------
# User runs beside the shipped pairs


def usable_user_runs(checkpoints: Iterable[Checkpoint]) -> list[Checkpoint]:
    """The AE and VAE runs trained on MNIST (what every page can show), newest name first."""
    keep = [c for c in checkpoints if c.model.kind in ("ae", "vae") and _dataset_name(c) == "mnist"]
    return sorted(keep, key=lambda c: c.name, reverse=True)


def latent_sizes(catalog: Catalog, user_runs: Iterable[Checkpoint], own: Iterable[Pair] = ()) -> list[int]:
    """Latent sizes the sidebar offers: the shipped pairs', the user runs' and the own-images pairs'."""
    return sorted(set(catalog.pairs) | {c.model.latent_dim for c in user_runs} | {p.latent_dim for p in own})


def own_pairs(checkpoints: Iterable[Checkpoint]) -> list[Pair]:
    """Runs on a prepared set of a person's images, grouped into pairs by (dataset, latent size): the newest AE
    and VAE of each, with the newest classifier of that dataset. A set whose folder is gone is left out."""
    from vae.prepared_sets import PreparedSetError, is_prepared, read_meta

    by_set: dict[str, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        name = _dataset_name(checkpoint)
        if name != "mnist" and is_prepared(name):
            by_set.setdefault(name, []).append(checkpoint)
    pairs = []
    for dataset, found in sorted(by_set.items()):
        try:
            meta = read_meta(dataset)
        except PreparedSetError:
            continue
        newest = sorted(found, key=lambda c: c.name, reverse=True)
        classifier = next((c for c in newest if c.model.kind == "classifier"), None)
        for dim in sorted({c.model.latent_dim for c in newest if c.model.kind in ("ae", "vae")}):
            chosen = {
                kind: next((c for c in newest if c.model.kind == kind and c.model.latent_dim == dim), None)
                for kind in ("ae", "vae")
            }
            pairs.append(Pair(dim, chosen["ae"], chosen["vae"], dataset, meta.title, meta.label_names, classifier))
    return pairs


def pair_with_run(catalog: Catalog, latent_dim: int, run: Checkpoint | None) -> Pair:
    """The shipped pair of this latent size with ``run`` in the slot of its kind (the AE's or the VAE's)."""
    pair = catalog.pairs.get(latent_dim) or Pair(latent_dim)
    if run is None or run.model.latent_dim != latent_dim:
        return pair
    return Pair(
        latent_dim, ae=run if run.model.kind == "ae" else pair.ae, vae=run if run.model.kind == "vae" else pair.vae
    )
