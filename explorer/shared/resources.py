"""Models, the MNIST test set and everything derived from them, computed once per server process.

Models and the test set are ``st.cache_resource`` (one shared object, never modified: models stay in eval
mode and are only run under ``torch.inference_mode``; the arrays are marked read-only). Derived arrays are
``st.cache_data`` keyed by the checkpoint's folder and a version stamp taken from its files' modification
times, so a checkpoint re-trained or re-evaluated while the server runs is picked up on the next rerun.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
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
def model_at(path: str, stamp: str) -> torch.nn.Module:
    """The shared, eval-mode model of the checkpoint at ``path`` with version ``stamp`` (what a feature's own cache
    calls, keyed like it by path and version)."""
    from vae.checkpoint import load

    return load(path).eval()


def model(checkpoint: Checkpoint | None) -> torch.nn.Module | None:
    """The shared, eval-mode model of a checkpoint (None for None). Read it; never train or modify it."""
    return None if checkpoint is None else model_at(str(checkpoint.path), version(checkpoint))


@st.cache_resource(show_spinner=False, max_entries=16)
def _browser_model(path: str, stamp: str) -> Any:
    from explorer.shared.browser import weights

    return weights.export(model_at(path, stamp))


def browser_model(checkpoint: Checkpoint) -> dict[str, Any]:
    """What the browser runner loads for a checkpoint: {"hash", "url", "spec"} (explorer/shared/browser/runner.js).

    Exported on first use, so models from $VAE_CHECKPOINTS or a fresh training run work too. The weights
    file is (re)written under static/models/ whenever it is missing, e.g. after someone cleaned the folder.
    """
    from explorer.shared.browser import weights

    exported = _browser_model(str(checkpoint.path), version(checkpoint))
    weights.write_blob(exported, STATIC)
    return {"hash": exported.hash, "url": exported.url, "spec": exported.spec}


PLOTLY_JS = "vendor/plotly-cartesian-4.1.1.min.js"  # under static/: plotly.js's cartesian bundle, from npm (MIT)


def plotly_script() -> str:
    """The page-relative URL of plotly.js for the chart component (explorer/charts/live_chart.js): the cartesian
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


def datasets_root() -> Path:
    """Where this server keeps the sets prepared from people's images (under the runs folder)."""
    from explorer.train.run_records import runs_root
    from vae.prepared_sets import datasets_root as under

    return under(runs_root())


def dataset_of(checkpoint: Checkpoint) -> str:
    """The dataset a checkpoint's pages use: "mnist", or its prepared set where this server has it (the recorded
    path, else the folder of the same name here: a run copied from another machine)."""
    name = str(checkpoint.dataset.get("name", "mnist"))
    if name == "mnist":
        return name
    found = model_catalog.locate_set(checkpoint, datasets_root())
    return str(found) if found is not None else name


def test_set(dataset: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    """A dataset's test images (N, 28, 28) float32 and labels (N,), both read-only: the 10k MNIST test images,
    or a prepared set's held-out split (labels -1 when it has none)."""
    return _test_set(str(dataset))


def pair_test_set(pair: model_catalog.Pair | None) -> tuple[np.ndarray, np.ndarray]:
    """The test images every page shows for this pair: MNIST's, or its own set's held-out split."""
    return test_set(pair.dataset if pair is not None else "mnist")


def test_set_at(path: str, stamp: str) -> tuple[np.ndarray, np.ndarray]:
    """The test set of the dataset the checkpoint at ``path`` was trained on."""
    return test_set(dataset_of(model_at(path, stamp).checkpoint))


# The codes and projections are process-wide resources (read-only arrays, one copy for every session) rather
# than st.cache_data values, which live in the server's runtime: explorer.serve computes them before the server
# listens, so the first visitor finds them ready, and no page pays for unpickling 10k codes on every run.
@st.cache_resource(show_spinner="Encoding the test set…", max_entries=16)
def codes_at(path: str, stamp: str) -> np.ndarray:
    from vae.latent import embed_batched

    x = torch.from_numpy(test_set_at(path, stamp)[0].copy()).unsqueeze(1)
    codes = embed_batched(model_at(path, stamp), x).numpy()
    codes.setflags(write=False)
    return codes


def codes(checkpoint: Checkpoint) -> np.ndarray:
    """The test set's codes (N, D), read-only: the AE's code or the VAE's posterior mean."""
    return codes_at(str(checkpoint.path), version(checkpoint))


@st.cache_data(show_spinner="Measuring the latent dimensions…", max_entries=16)
def _latent_stats(path: str, stamp: str) -> dict[str, Any]:
    from vae.evaluate import latent_statistics

    model = model_at(path, stamp)
    stored = {k: model.checkpoint.metrics[k] for k in REFERENCE_KEYS if k in model.checkpoint.metrics}
    wanted = REFERENCE_KEYS if model.config.kind == "vae" else REFERENCE_KEYS[1:]
    if all(k in stored for k in wanted):
        return stored
    # Not evaluated yet: measure on the test set ourselves (about a second), keeping what was stored.
    x = torch.from_numpy(test_set_at(path, stamp)[0].copy()).unsqueeze(1)
    return {**latent_statistics(model, x), **stored}


def latent_stats(checkpoint: Checkpoint) -> dict[str, Any]:
    """KL per dimension (VAE), code variance and code range over the test set, as vae.evaluate stores them."""
    return _latent_stats(str(checkpoint.path), version(checkpoint))


@st.cache_resource(show_spinner="Fitting the PCA projection…", max_entries=16)
def projection_at(path: str, stamp: str) -> latent_space.Projection:
    view = latent_space.pca_projection(codes_at(path, stamp))
    for array in (view.mean, view.components):
        array.setflags(write=False)
    return view


def projection(checkpoint: Checkpoint) -> latent_space.Projection:
    """The 2-D view shared by the latent map and the interpolation path (PCA, or the codes for z = 2)."""
    return projection_at(str(checkpoint.path), version(checkpoint))


@st.cache_resource(show_spinner="Scoring the test set…", max_entries=8)  # a resource for explorer.serve, as codes
def _test_scores(path: str, stamp: str) -> np.ndarray:
    scores = core.neg_elbo_scores(model_at(path, stamp), test_set_at(path, stamp)[0], seed=0)
    scores.setflags(write=False)
    return scores


def test_scores(checkpoint: Checkpoint) -> np.ndarray:
    """The VAE's single-sample negative ELBO of each test image (N,), read-only: the reference for outlier
    checks."""
    return _test_scores(str(checkpoint.path), version(checkpoint))


@st.cache_data(show_spinner="Computing the classifier's reference features…", max_entries=4)
def reference_features_at(path: str, stamp: str) -> np.ndarray:
    """The classifier's features of the first FRECHET_REFERENCE test images: the Frechet distance's reference."""
    from vae.metrics import classifier_features

    x = torch.from_numpy(test_set_at(path, stamp)[0][:FRECHET_REFERENCE].copy()).unsqueeze(1)
    return classifier_features(model_at(path, stamp), x).numpy()


# --------------------------------------------------------------------------------------------------------
# User runs (the Train page): checkpoints under explorer.train.run_records.runs_root(), beside the shipped ones


def _folders_stamp(folders: list[Path]) -> tuple[tuple[str, str], ...]:
    return tuple((str(p), _stamp(p)) for p in folders)


@st.cache_resource(show_spinner="Checking your training runs…", max_entries=4)
def _user_runs(
    stamp: tuple[tuple[str, str], ...], sets: str, sets_stamp: tuple[str, ...]
) -> tuple[list[Checkpoint], list[tuple[str, str]], list[Any]]:
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
    broken += model_catalog.missing_sets(found, Path(sets))
    return model_catalog.usable_user_runs(found), broken, model_catalog.own_pairs(found, Path(sets))


def user_runs(folders: Sequence[Path]) -> tuple[list[Checkpoint], list[tuple[str, str]], list[Any]]:
    """(usable runs, (folder name, reason) of damaged ones, pairs trained on a person's own images) among these run
    folders (explorer.train.runs.scan's), cached by their files' versions and by the sets prepared here."""
    sets = datasets_root()  # the sets prepared here, where a copied run's images may be found
    sets_stamp = tuple(sorted(p.name for p in sets.iterdir())) if sets.is_dir() else ()
    return _user_runs(_folders_stamp(list(folders)), str(sets), sets_stamp)


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
    return run_view.snapshot(model, validation_slice(dataset_of(model.checkpoint)), epoch)
