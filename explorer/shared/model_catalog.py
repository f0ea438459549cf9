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

# Labels of the numbers every kind has; what a likelihood number is depends on the model (vae.likelihood).
METRIC_LABELS = {
    "active_units": "Active latent units",
    "best_epoch": "Best epoch",
    "test_accuracy": "Test accuracy",
}
SAMPLE_LABELS = {
    "recognisable_share": "Prior samples recognisable",
    "class_coverage": "Prior samples class coverage (nats, max 2.30)",
    "frechet_distance": "Prior samples Frechet distance",
}
_SCORE_ORDER = (
    "test_neg_elbo",
    "test_nll_iwae",
    "test_reconstruction",
    "test_kl",
    "test_squared_error",
    "test_bce",
    "valid_loss",
)


def score_labels(checkpoint: Checkpoint) -> dict[str, str]:
    """Metric key -> label for this checkpoint's likelihood numbers, saying what each is: -log p(x) of binarised
    digits, a cross-entropy on grey pixels, or an autoencoder's squared error (vae.likelihood.metric_labels)."""
    from vae.likelihood import metric_labels, score_meaning

    if checkpoint.model.kind not in ("ae", "vae"):
        return {}
    labels = metric_labels(score_meaning(checkpoint.model, checkpoint.training))
    if checkpoint.model.kind == "ae":  # an older evaluation stored its loss under the VAE's names too
        labels = {k: v for k, v in labels.items() if k not in ("test_neg_elbo", "test_nll_iwae", "test_kl")}
    return {key: labels[key] for key in _SCORE_ORDER if key in labels}


def metric_rows(checkpoint: Checkpoint) -> dict[str, float]:
    """The headline metrics a checkpoint has (label -> value); anything missing or malformed is skipped."""
    keys = {**score_labels(checkpoint), **METRIC_LABELS}
    keys.setdefault("valid_loss", "Best validation loss")
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


def locate_set(checkpoint: Checkpoint, datasets_root: Path | None) -> Path | None:
    """The prepared set a checkpoint was trained on: where it was recorded, else the folder of the same name (the
    name carries the content's hash) under this server's ``datasets_root``, e.g. for a run copied from another
    machine; None when neither holds it."""
    from vae.prepared_sets import is_prepared

    recorded = Path(_dataset_name(checkpoint))
    if is_prepared(recorded):
        return recorded
    moved = None if datasets_root is None else datasets_root / recorded.name
    return moved if moved is not None and is_prepared(moved) else None


def own_pairs(checkpoints: Iterable[Checkpoint], datasets_root: Path | None = None) -> list[Pair]:
    """Runs on a prepared set of a person's images, grouped into pairs by (dataset, latent size): the newest AE
    and VAE of each, with the newest classifier of that dataset. Label names and the set's title come from the
    checkpoint itself (vae.checkpoint.label_names), so a copied run keeps its folder names. A set that is on
    this server under neither its recorded path nor its name is left out (``missing_sets`` names those runs)."""
    from vae.checkpoint import label_names

    by_set: dict[str, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        if _dataset_name(checkpoint) != "mnist" and (found := locate_set(checkpoint, datasets_root)) is not None:
            by_set.setdefault(str(found), []).append(checkpoint)
    pairs = []
    for dataset, found in sorted(by_set.items()):
        newest = sorted(found, key=lambda c: c.name, reverse=True)
        classifier = next((c for c in newest if c.model.kind == "classifier"), None)
        for dim in sorted({c.model.latent_dim for c in newest if c.model.kind in ("ae", "vae")}):
            chosen = {
                kind: next((c for c in newest if c.model.kind == kind and c.model.latent_dim == dim), None)
                for kind in ("ae", "vae")
            }
            model = chosen["vae"] or chosen["ae"]
            title = str(model.dataset.get("title") or Path(dataset).name)
            pairs.append(Pair(dim, chosen["ae"], chosen["vae"], dataset, title, label_names(model), classifier))
    return pairs


def missing_sets(checkpoints: Iterable[Checkpoint], datasets_root: Path | None = None) -> list[tuple[str, str]]:
    """(run name, reason) of each run on a set of a person's images whose prepared set is not on this server."""
    return [
        (
            c.name,
            f"{c.name}: its images ({Path(_dataset_name(c)).name}) are not on this server; prepare the same "
            "images again on the Train page (Your images) to use it",
        )
        for c in checkpoints
        if c.model.kind in ("ae", "vae") and _dataset_name(c) != "mnist" and locate_set(c, datasets_root) is None
    ]


def pair_with_run(catalog: Catalog, latent_dim: int, run: Checkpoint | None) -> Pair:
    """The shipped pair of this latent size with ``run`` in the slot of its kind (the AE's or the VAE's)."""
    pair = catalog.pairs.get(latent_dim) or Pair(latent_dim)
    if run is None or run.model.latent_dim != latent_dim:
        return pair
    return Pair(
        latent_dim, ae=run if run.model.kind == "ae" else pair.ae, vae=run if run.model.kind == "vae" else pair.vae
    )
