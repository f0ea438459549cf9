"""The run's context: which models exist (the checkpoints folder and the runs folder, each read once per run) and
the pair the session looks at, with its test split, label names and classifier.

app.py calls ``begin()`` at the top of every full run: the one read of both folders. The sidebar draws its pickers
from ``models()`` and then ``settle()``s the run's context; every page and helper reads it with ``current()``. A
fragment rerun (which does not run app.py) keeps the context of the full run before it. Nothing here writes,
deletes or signals anything: reading the runs folder is a read (explorer.train.runs says why a dead job's runs
read as failed without being rewritten).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import streamlit as st

from explorer.shared import model_catalog, resources, state
from vae.checkpoint import Checkpoint

_MODELS = "explorer.context.models"  # this run's Models (replaced by begin() on every full run)
_SETTLED = "explorer.context.settled"  # this run's RunContext once the sidebar has settled it
_RUNS_UNSEEN = "explorer.context.runs_unseen"  # True from begin() until a fragment takes this run's runs view


@dataclass(frozen=True)
class Models:
    """Every model the app can offer this run: the shipped catalog and the usable user runs and own-image pairs."""

    catalog: model_catalog.Catalog
    user_runs: tuple[Checkpoint, ...] = ()
    own_pairs: tuple[model_catalog.Pair, ...] = ()
    broken_runs: tuple[tuple[str, str], ...] = ()  # (name, reason): runs whose checkpoint or state file is damaged
    runs: Any = None  # the runs folder as read this run (explorer.train.runs.RunsView), for the Train page

    @property
    def sizes(self) -> list[int]:
        """The latent sizes the sidebar offers."""
        return model_catalog.latent_sizes(self.catalog, self.user_runs, self.own_pairs)

    @property
    def broken(self) -> list[tuple[str, str]]:
        """Every damaged checkpoint: the shipped root's, then the runs root's."""
        return [*self.catalog.broken, *self.broken_runs]

    def has_shipped(self, size: int) -> bool:
        pair = self.catalog.pairs.get(size)
        return pair is not None and bool(pair.kinds)

    def runs_of(self, size: int) -> list[Checkpoint]:
        return [r for r in self.user_runs if r.model.latent_dim == size]

    def sets_of(self, size: int) -> list[model_catalog.Pair]:
        return [p for p in self.own_pairs if p.latent_dim == size]

    def pair(self, size: int | None, chosen: str | None) -> model_catalog.Pair | None:
        """The pair of ``size`` with the sidebar's choice ``chosen`` (a run's name, an own set's key, or None for
        the shipped pair) in it; with nothing shipped of that size, the first user run or set stands in."""
        if size is None:
            return None
        runs, sets = self.runs_of(size), self.sets_of(size)
        if chosen is None and not self.has_shipped(size) and (runs or sets):
            chosen = runs[0].name if runs else sets[0].key
        if chosen is not None and chosen.startswith("set:"):
            found = next((p for p in sets if p.key == chosen), None)
            if found is not None:
                return found
        run = next((r for r in runs if r.name == chosen), None)
        return model_catalog.pair_with_run(self.catalog, size, run)


@dataclass(frozen=True)
class RunContext:
    """The pair this run shows and what goes with it; derived arrays are read from the cache on first use."""

    models: Models
    pair: model_catalog.Pair | None

    @property
    def classifier_checkpoint(self) -> Checkpoint | None:
        """MNIST's classifier, or the one trained on the pair's own images (None when there is none)."""
        if self.pair is not None and self.pair.own:
            return self.pair.classifier
        return self.models.catalog.classifier

    @cached_property
    def classifier(self) -> Any:
        """The classifier model, or None (missing, broken, or an unlabelled set)."""
        return resources.model(self.classifier_checkpoint)

    @cached_property
    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        """The pair's test images (N, 28, 28) and labels (N,): MNIST's, or its own set's held-out split."""
        return resources.pair_test_set(self.pair)

    @property
    def label_names(self) -> tuple[str, ...]:
        """Label names by index (MNIST's digits; empty for an unlabelled set of your own)."""
        return model_catalog.MNIST_LABELS if self.pair is None else self.pair.label_names

    @property
    def own(self) -> bool:
        return self.pair is not None and self.pair.own


def scan() -> Models:
    """Read the checkpoints folder and the runs folder (explorer.train.runs.scan, which changes nothing, the one
    place the sidebar's context reaches into a feature): the catalog, the usable runs, own pairs, damaged ones."""
    from explorer.train import runs

    view = runs.scan()
    found, broken, own = resources.user_runs(view.folders)
    damaged = tuple((d.path, d.reason) for d in view.damaged)
    return Models(resources.catalog(), tuple(found), tuple(own), (*broken, *damaged), view)


def begin() -> Models:
    """The top of a full run (app.py): the one read of both folders, kept for this run and its fragments."""
    models = scan()
    st.session_state[_MODELS] = models
    st.session_state[_RUNS_UNSEEN] = True
    st.session_state.pop(_SETTLED, None)
    return models


def fresh_runs() -> Any:
    """The runs folder as this full run read it (an explorer.train.runs.RunsView), to a fragment that is drawn in
    the full run; None when the fragment reruns on its own later (it must then read the folder itself)."""
    if st.session_state.pop(_RUNS_UNSEEN, False):
        return models().runs
    return None


def models() -> Models:
    """This run's models (read now if begin() has not run in this session, e.g. a helper called on its own)."""
    found = st.session_state.get(_MODELS)
    return found if isinstance(found, Models) else begin()


def resolve() -> RunContext:
    """The context the session's choices give now (latent size, user run), without keeping it."""
    found = models()
    size = state.latent_size(found.sizes, shipped=list(found.catalog.pairs))
    names = [*(r.name for r in found.runs_of(size)), *(p.key for p in found.sets_of(size))] if size else []
    chosen = state.user_run(size, names) if size is not None else None
    return RunContext(found, found.pair(size, chosen))


def settle() -> RunContext:
    """Resolve and keep the run's context (the sidebar, once its pickers are drawn)."""
    context = resolve()
    st.session_state[_SETTLED] = context
    return context


def current() -> RunContext:
    """The run's context: the one the sidebar settled, else (before the sidebar, or without it) resolved now."""
    found = st.session_state.get(_SETTLED)
    return found if isinstance(found, RunContext) else resolve()


# --------------------------------------------------------------------------------------------------------
# The run's pair and what goes with it, for pages and helpers


def current_pair() -> model_catalog.Pair | None:
    """The pair this run shows (explorer.shared.context: resolved once per run)."""
    return current().pair


def require_pair(*kinds: str) -> model_catalog.Pair:
    """The chosen model pair; stops the page with a hint when it lacks the model kinds the page needs (without
    ``kinds``: when it has no model at all). A page that gets past this works with what the pair has."""
    pair = current_pair()
    missing = [model_catalog.KIND_NAMES[k] for k in kinds or ("ae", "vae") if pair is None or pair.get(k) is None]
    if pair is None or not pair.kinds or (kinds and missing):
        root = resources.checkpoint_root()
        size = f"latent size {pair.latent_dim}" if pair is not None else "this latent size"
        st.warning(
            f"This page needs the {' and the '.join(missing)} of {size}, and there is no usable one under `{root}`"
            " or among your training runs. Train one on the Train page or pick another latent size in the sidebar."
        )
        st.stop()
    return pair  # type: ignore[return-value]


def classifier_checkpoint(pair: model_catalog.Pair | None = None) -> Any:
    """The classifier for this pair (default: the chosen one): MNIST's, or the one trained on the pair's own
    images; None when there is none."""
    if pair is None:
        return current().classifier_checkpoint
    return pair.classifier if pair.own else models().catalog.classifier


def classifier() -> Any:
    """The chosen pair's classifier model, or None when there is none (missing, broken, or an unlabelled set)."""
    return current().classifier


def test_images() -> tuple[np.ndarray, np.ndarray]:
    """The chosen pair's test images and labels: MNIST's test set, or its own set's held-out images."""
    return current().test_set


def label_names() -> tuple[str, ...]:
    """The chosen pair's label names by index (MNIST's digits; empty for an unlabelled own set)."""
    return current().label_names


def label_formatter(names: Sequence[str] | None = None) -> Callable[[int], str]:
    """A widget's format_func for label indices, bound to the names now (AppTest calls it outside a run)."""
    bound = tuple(label_names() if names is None else names)
    return lambda index: label_of(int(index), bound)


def label_of(index: int, names: Sequence[str] | None = None) -> str:
    """A label's name for the page (text, never markup): '7', 'circles', or 'image' for an unlabelled one. Given
    ``names``, it needs no context (a widget's format_func may be called after the run, as AppTest does)."""
    names = label_names() if names is None else names
    return names[index] if 0 <= index < len(names) else "image"
