"""Models, the MNIST test set and everything derived from them, computed once per server process.

Models and the test set are ``st.cache_resource`` (one shared object, never modified: models stay in eval
mode and are only run under ``torch.inference_mode``; the arrays are marked read-only). Derived arrays are
``st.cache_data`` keyed by the checkpoint's folder and a version stamp taken from its files' modification
times, so a checkpoint re-trained or re-evaluated while the server runs is picked up on the next rerun.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from explorer.shared import core, latent_space, model_catalog
from vae.checkpoint import CONFIG_FILE, WEIGHTS_FILE, Checkpoint

CHECKPOINTS_ENV = "VAE_CHECKPOINTS"
REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "static"  # served by Streamlit at <base>/app/static/ (server.enableStaticServing)
TSNE_POINTS = 2000  # t-SNE of all 10k codes takes minutes on two cores; a 2k subset takes ~20 s
REFERENCE_KEYS = ("kl_per_dim", "code_variance", "code_range")
FRECHET_REFERENCE = 2000  # test images behind the live Frechet distance; all 10k take ~10 s on a busy CPU


def checkpoint_root() -> Path:
    """$VAE_CHECKPOINTS, else the repository's checkpoints/ folder."""
    return Path(os.environ.get(CHECKPOINTS_ENV) or REPO / "checkpoints")


def _stamp(folder: Path) -> str:
    parts = []
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        try:
            info = (folder / name).stat()
            parts.append(f"{info.st_mtime_ns}:{info.st_size}")
        except OSError:
            parts.append("-")
    return "/".join(parts)


def version(checkpoint: Checkpoint) -> str:
    return _stamp(checkpoint.path)


def _root_stamp(root: Path) -> tuple[tuple[str, str], ...]:
    if not root.is_dir():
        return ()
    return tuple((p.name, _stamp(p)) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith("."))


@st.cache_resource(show_spinner="Checking the checkpoints…", max_entries=4)
def _catalog(root: str, stamp: tuple[tuple[str, str], ...]) -> model_catalog.Catalog:
    from vae.checkpoint import scan_checkpoints

    return model_catalog.build_catalog(root, scan_checkpoints(root))


def catalog() -> model_catalog.Catalog:
    """The checkpoints under the root, rescanned only when a folder appears, vanishes or changes."""
    root = checkpoint_root()
    return _catalog(str(root), _root_stamp(root))


@st.cache_resource(show_spinner="Loading the model…", max_entries=16)
def _model(path: str, stamp: str) -> torch.nn.Module:
    from vae.checkpoint import load

    return load(path).eval()


def model(checkpoint: Checkpoint | None) -> torch.nn.Module | None:
    """The shared, eval-mode model of a checkpoint (None for None). Read it; never train or modify it."""
    return None if checkpoint is None else _model(str(checkpoint.path), version(checkpoint))


@st.cache_resource(show_spinner=False, max_entries=16)
def _browser_model(path: str, stamp: str) -> Any:
    from explorer.shared.browser import weights

    return weights.export(_model(path, stamp))


def browser_model(checkpoint: Checkpoint) -> dict[str, Any]:
    """What the browser runner loads for a checkpoint: {"hash", "url", "spec"} (explorer/web/runner.js).

    Exported on first use, so models from $VAE_CHECKPOINTS or a fresh training run work too. The weights
    file is (re)written under static/models/ whenever it is missing, e.g. after someone cleaned the folder.
    """
    from explorer.shared.browser import weights

    exported = _browser_model(str(checkpoint.path), version(checkpoint))
    weights.write_blob(exported, STATIC)
    return {"hash": exported.hash, "url": exported.url, "spec": exported.spec}


PLOTLY_JS = "vendor/plotly-cartesian-4.1.1.min.js"  # under static/: plotly.js's cartesian bundle, from npm (MIT)


def plotly_script() -> str:
    """The page-relative URL of plotly.js for the chart component (explorer/web/live_chart.js): the cartesian
    bundle of the plotly.js release the plotly package ships (4.1.1; scatter, bar, heatmap and histogram, 1.5 MB
    instead of the full 4.8 MB), committed under static/vendor/ with its licence, served by Streamlit's static
    serving and cached by the browser; nothing loads from a CDN."""
    if not (STATIC / PLOTLY_JS).is_file():
        raise FileNotFoundError(f"{STATIC / PLOTLY_JS} is missing: the charts need the plotly.js bundle there")
    return f"app/static/{PLOTLY_JS}"


@st.cache_resource(show_spinner="Loading the test set…", max_entries=8)
def _test_set(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    from vae.data import load_dataset

    images, labels = load_dataset(dataset, "test")
    x, y = images[:, 0].numpy().copy(), labels.numpy().copy()
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def test_set(dataset: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    """A dataset's test images (N, 28, 28) float32 and labels (N,), both read-only: the 10k MNIST test images,
    or a prepared set's held-out split (labels -1 when it has none)."""
    return _test_set(str(dataset))


def pair_test_set(pair: model_catalog.Pair | None) -> tuple[np.ndarray, np.ndarray]:
    """The test images every page shows for this pair: MNIST's, or its own set's held-out split."""
    return test_set(pair.dataset if pair is not None else "mnist")


def _model_test_set(path: str, stamp: str) -> tuple[np.ndarray, np.ndarray]:
    """The test set of the dataset the checkpoint was trained on."""
    return test_set(str(_model(path, stamp).checkpoint.dataset.get("name", "mnist")))


@st.cache_resource(show_spinner=False, max_entries=8)
def digit_atlas(dataset: str = "mnist") -> dict[str, Any]:
    """A dataset's test images as the sprite atlas of the maps' digit mode (MNIST's, or a set of your own's
    held-out split), written once to static/atlas/ under its content hash (charts.sprites)."""
    from explorer.latent_map import sprites

    return sprites.write_atlas(test_set(dataset)[0], STATIC)


@st.cache_resource(show_spinner=False, max_entries=16)
def _timeline(path: str, stamp: str) -> Any:
    from vae.timeline import TimelineError, read_timeline

    try:
        return read_timeline(path)
    except TimelineError as error:  # kept too: a damaged file is read (and refused) once
        return error


def timeline(checkpoint: Checkpoint) -> Any:
    """The checkpoint's training timeline (vae.timeline.Timeline), or the TimelineError saying why there is none."""
    from vae.timeline import TIMELINE_FILE

    file = checkpoint.path / TIMELINE_FILE
    stamp = f"{file.stat().st_mtime_ns}:{file.stat().st_size}" if file.is_file() else "-"
    return _timeline(str(checkpoint.path), f"{version(checkpoint)}/{stamp}")


# The codes and projections are process-wide resources (read-only arrays, one copy for every session) rather
# than st.cache_data values, which live in the server's runtime: explorer.serve computes them before the server
# listens, so the first visitor finds them ready, and no page pays for unpickling 10k codes on every run.
@st.cache_resource(show_spinner="Encoding the test set…", max_entries=16)
def _codes(path: str, stamp: str) -> np.ndarray:
    from vae.latent import embed_batched

    x = torch.from_numpy(_model_test_set(path, stamp)[0].copy()).unsqueeze(1)
    codes = embed_batched(_model(path, stamp), x).numpy()
    codes.setflags(write=False)
    return codes


def codes(checkpoint: Checkpoint) -> np.ndarray:
    """The test set's codes (N, D), read-only: the AE's code or the VAE's posterior mean."""
    return _codes(str(checkpoint.path), version(checkpoint))


@st.cache_data(show_spinner="Measuring the latent dimensions…", max_entries=16)
def _latent_stats(path: str, stamp: str) -> dict[str, Any]:
    from vae.evaluate import latent_statistics

    model = _model(path, stamp)
    stored = {k: model.checkpoint.metrics[k] for k in REFERENCE_KEYS if k in model.checkpoint.metrics}
    wanted = REFERENCE_KEYS if model.config.kind == "vae" else REFERENCE_KEYS[1:]
    if all(k in stored for k in wanted):
        return stored
    # Not evaluated yet: measure on the test set ourselves (about a second), keeping what was stored.
    x = torch.from_numpy(_model_test_set(path, stamp)[0].copy()).unsqueeze(1)
    return {**latent_statistics(model, x), **stored}


def latent_stats(checkpoint: Checkpoint) -> dict[str, Any]:
    """KL per dimension (VAE), code variance and code range over the test set, as vae.evaluate stores them."""
    return _latent_stats(str(checkpoint.path), version(checkpoint))


@st.cache_resource(show_spinner="Fitting the PCA projection…", max_entries=16)
def _projection(path: str, stamp: str) -> latent_space.Projection:
    view = latent_space.pca_projection(_codes(path, stamp))
    for array in (view.mean, view.components):
        array.setflags(write=False)
    return view


def projection(checkpoint: Checkpoint) -> latent_space.Projection:
    """The 2-D view shared by the latent map and the interpolation path (PCA, or the codes for z = 2)."""
    return _projection(str(checkpoint.path), version(checkpoint))


@st.cache_data(show_spinner=f"Running t-SNE on {TSNE_POINTS:,} codes; this takes a while the first time…")
def _tsne(path: str, stamp: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import sklearn.manifold  # noqa: F401  (loaded first, so the thread limit below reaches its OpenMP pool)
    from threadpoolctl import threadpool_limits

    from vae.latent import project_2d

    subset = np.sort(np.random.default_rng(seed).permutation(len(_model_test_set(path, stamp)[0]))[:TSNE_POINTS])
    # As many threads as torch uses (see ui.configure_threads): on a busy shared CPU, one thread ran a
    # t-SNE of 2,000 codes in 9 s where two took 21 s.
    with threadpool_limits(torch.get_num_threads()):
        return subset, project_2d(_codes(path, stamp)[subset], "tsne", seed=seed)


def tsne(checkpoint: Checkpoint, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(test-set indices, t-SNE points) for a seeded subset of TSNE_POINTS codes."""
    return _tsne(str(checkpoint.path), version(checkpoint), seed)


@st.cache_resource(show_spinner="Scoring the test set…", max_entries=8)  # a resource for explorer.serve, as codes
def _test_scores(path: str, stamp: str) -> np.ndarray:
    scores = core.neg_elbo_scores(_model(path, stamp), _model_test_set(path, stamp)[0], seed=0)
    scores.setflags(write=False)
    return scores


def test_scores(checkpoint: Checkpoint) -> np.ndarray:
    """The VAE's single-sample negative ELBO of each test image (N,), read-only: the reference for outlier
    checks."""
    return _test_scores(str(checkpoint.path), version(checkpoint))


@st.cache_data(show_spinner="Computing the classifier's reference features…", max_entries=4)
def _reference_features(path: str, stamp: str) -> np.ndarray:
    from vae.metrics import classifier_features

    x = torch.from_numpy(_model_test_set(path, stamp)[0][:FRECHET_REFERENCE].copy()).unsqueeze(1)
    return classifier_features(_model(path, stamp), x).numpy()


@st.cache_data(show_spinner="Scoring the samples…", max_entries=32)
def _quality(path: str, stamp: str, classifier_path: str, classifier_stamp: str, n: int, seed: int) -> dict:
    images = core.prior_images(_model(path, stamp), n, seed)
    reference = _reference_features(classifier_path, classifier_stamp)
    return core.sample_quality(images, _model(classifier_path, classifier_stamp), reference)


def sample_quality(checkpoint: Checkpoint, classifier: Checkpoint, n: int, seed: int) -> dict[str, Any]:
    """vae.metrics.sample_quality of n seeded prior samples, with the Frechet distance to the test set."""
    return _quality(str(checkpoint.path), version(checkpoint), str(classifier.path), version(classifier), n, seed)


def map_points(checkpoint: Checkpoint, method: str) -> tuple[np.ndarray, np.ndarray, tuple | None, tuple[str, str]]:
    """What the latent map draws: (points (N, 2), test indices (N,), prior origin or None, axis titles).

    PCA (or the codes themselves for z = 2) maps the prior N(0, I) to a unit Gaussian around ``origin``;
    t-SNE is not linear, so it gets no prior circles.
    """
    if method == "tsne":
        indices, points = tsne(checkpoint)
        return points, indices, None, ("t-SNE 1", "t-SNE 2")
    view = projection(checkpoint)
    points = view(codes(checkpoint))
    axes = ("z0", "z1") if view.name == "z" else ("PC 1", "PC 2")
    return points, np.arange(len(points)), view.origin, axes


# --------------------------------------------------------------------------------------------------------
# User runs (the Train page): checkpoints under explorer.train.run_records.runs_root(), beside the shipped ones


def _folders_stamp(folders: list[Path]) -> tuple[tuple[str, str], ...]:
    return tuple((str(p), _stamp(p)) for p in folders)


@st.cache_resource(show_spinner="Checking your training runs…", max_entries=4)
def _user_runs(stamp: tuple[tuple[str, str], ...]) -> tuple[list[Checkpoint], list[tuple[str, str]], list[Any]]:
    from vae.checkpoint import CheckpointError, load

    found, broken = [], []
    for path, _ in stamp:
        if not (Path(path) / CONFIG_FILE).exists():  # a run stopped before its first epoch ended: nothing to offer
            continue
        shown = str(Path(path).parent) + os.sep  # reasons name files relative to the runs folder
        try:
            found.append(load(path).checkpoint)
        except CheckpointError as error:  # damaged: listed with its reason, like a damaged shipped checkpoint
            broken.append((Path(path).name, str(error).replace(shown, "")))
        except Exception as error:  # anything else a hostile folder provokes must not take every page down
            broken.append((Path(path).name, f"{Path(path).name}: could not be read ({type(error).__name__})"))
    return model_catalog.usable_user_runs(found), broken, model_catalog.own_pairs(found)


def _scanned_user_runs() -> tuple[list[Checkpoint], list[tuple[str, str]], list[Any]]:
    """One read of the runs folder (explorer.train.runs.scan, which changes nothing); its run-state files that
    cannot be read are listed with the damaged checkpoints, by their path in the runs folder."""
    from explorer.train import runs

    view = runs.scan()
    found, broken, own = _user_runs(_folders_stamp(list(view.folders)))
    return found, [*broken, *((d.path, d.reason) for d in view.damaged)], own


def user_runs() -> list[Checkpoint]:
    """The finished or stopped runs under the runs root that pages may use (AE/VAE on MNIST)."""
    return _scanned_user_runs()[0]


def own_pairs() -> list[model_catalog.Pair]:
    """The pairs trained on a person's own images (Train page, Your images), by dataset and latent size."""
    return _scanned_user_runs()[2]


def broken_user_runs() -> list[tuple[str, str]]:
    """(folder name, reason) of each run under the runs root whose checkpoint cannot be used, then (path, reason)
    of each run-state file there that cannot be read (a run's status, the lock of a dead job)."""
    return _scanned_user_runs()[1]


def broken_checkpoints() -> list[tuple[str, str]]:
    """Every damaged checkpoint the app found: the shipped root's, then the runs root's."""
    return [*catalog().broken, *broken_user_runs()]


@st.cache_resource(show_spinner=False, max_entries=8)
def validation_slice(dataset: str = "mnist") -> np.ndarray:
    """The first explorer.train.run_view.SNAPSHOT_IMAGES validation images (N, 28, 28) of a dataset
    (MNIST, or a prepared set of a person's images), read-only."""
    from explorer.train.run_view import SNAPSHOT_IMAGES
    from vae.data import load_dataset

    images = load_dataset(dataset, "valid")[0][:SNAPSHOT_IMAGES, 0].numpy().copy()
    images.setflags(write=False)
    return images


@st.cache_data(show_spinner=False, max_entries=8)
def run_snapshot(path: str, epoch: int, stamp: str) -> Any:
    """explorer.train.run_view.snapshot of a run's checkpoint as saved after ``epoch`` (cached by path and epoch)."""
    from explorer.train import run_view
    from vae.checkpoint import load

    model = load(path)
    return run_view.snapshot(model, validation_slice(str(model.checkpoint.dataset.get("name", "mnist"))), epoch)


# Generation: fitted latent densities and the scores of their samples


@st.cache_resource(show_spinner="Fitting a density to the model's training codes (once per model)…", max_entries=8)
def _density(path: str, stamp: str) -> Any:
    from explorer.sampling.generation import fit_density

    return fit_density(_model(path, stamp))


def density(checkpoint: Checkpoint) -> Any:
    """The model's vae.density.LatentDensity (a 10-component mixture and one Gaussian per digit), fitted once
    per checkpoint on its training codes and shared by every session; sampling never modifies it."""
    return _density(str(checkpoint.path), version(checkpoint))


@st.cache_data(show_spinner="Scoring the samples…", max_entries=64)
def _sampler_quality(
    path: str, stamp: str, classifier_path: str, classifier_stamp: str, sampler: str, n: int, seed: int, t: float
) -> dict:
    from explorer.sampling.generation import sampler_images

    fitted = _density(path, stamp) if sampler == "mixture" else None
    images = sampler_images(_model(path, stamp), fitted, sampler, n, seed, t)
    reference = _reference_features(classifier_path, classifier_stamp)
    return core.sample_quality(images, _model(classifier_path, classifier_stamp), reference)


def sampler_quality(
    checkpoint: Checkpoint, classifier: Checkpoint, sampler: str, n: int, seed: int, temperature: float = 1.0
) -> dict[str, Any]:
    """vae.metrics.sample_quality of n seeded draws of one sampler (explorer.sampling.generation.SAMPLERS)."""
    t = float(temperature) if sampler == "tempered" else 1.0  # the others ignore it: one cache entry, not many
    key = (str(checkpoint.path), version(checkpoint), str(classifier.path), version(classifier))
    return _sampler_quality(*key, sampler, n, seed, t)


@st.cache_data(show_spinner="Asking the classifier…", max_entries=64)
def _conditional_agreement(
    path: str, stamp: str, classifier_path: str, classifier_stamp: str, digit: int, n: int, seed: int, t: float
) -> float:
    from explorer.sampling.generation import agreement, conditional_images

    images = conditional_images(_model(path, stamp), _density(path, stamp), digit, n, seed, t)
    return agreement(_model(classifier_path, classifier_stamp), images, digit)


def conditional_agreement(
    checkpoint: Checkpoint, classifier: Checkpoint, digit: int, n: int, seed: int, temperature: float
) -> float:
    """The share of n seeded conditional samples of ``digit`` that the classifier labels as that digit."""
    key = (str(checkpoint.path), version(checkpoint), str(classifier.path), version(classifier))
    return _conditional_agreement(*key, int(digit), n, seed, float(temperature))


@st.cache_data(show_spinner=False, max_entries=64)
def _attribute(path: str, stamp: str, start: tuple[int, ...], to: tuple[int, ...]) -> np.ndarray:
    from explorer.sampling.generation import Groups, attribute

    return attribute(_model(path, stamp), _model_test_set(path, stamp)[0], Groups(start, to, ""))


def attribute(checkpoint: Checkpoint, start: tuple[int, ...], to: tuple[int, ...]) -> np.ndarray:
    """vae.attribute_vector of two groups of test images (by index): (latent_dim,)."""
    return _attribute(str(checkpoint.path), version(checkpoint), tuple(start), tuple(to))


@st.cache_data(show_spinner=False, max_entries=32)
def _pad(path: str, stamp: str, kind: str, method: str, dims: tuple[int, int]) -> tuple[Any, dict[str, Any]]:
    from explorer.latent_map import latent_pad

    codes = _codes(path, stamp)
    view = _projection(path, stamp)
    plane = latent_pad.pad_plane(codes, kind, method, dims, fitted=(view.mean, view.components))
    return plane, latent_pad.scatter_payload(plane, codes, _model_test_set(path, stamp)[1])


def pad(checkpoint: Checkpoint, kind: str, method: str, dims: tuple[int, int]) -> tuple[Any, dict[str, Any]]:
    """The Latent map pad for one model of `kind` ("ae" / "vae"): (its PadPlane, the browser's scatter
    payload, ~107 KB).

    Cached per checkpoint and plane: projecting and packing 10k codes on every rerun of the page (each
    click on the map reruns it) was wasted work.
    """
    return _pad(str(checkpoint.path), version(checkpoint), kind, method, tuple(int(d) for d in dims))
