"""Latent arithmetic's cache: attribute vectors of two groups of test images, per checkpoint."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.shared import resources
from vae.checkpoint import Checkpoint


@st.cache_data(show_spinner=False, max_entries=64)
def _attribute(path: str, stamp: str, start: tuple[int, ...], to: tuple[int, ...]) -> np.ndarray:
    from explorer.sampling.generation import Groups, attribute

    return attribute(resources.model_at(path, stamp), resources.test_set_at(path, stamp)[0], Groups(start, to, ""))


def attribute(checkpoint: Checkpoint, start: tuple[int, ...], to: tuple[int, ...]) -> np.ndarray:
    """vae.attribute_vector of two groups of test images (by index): (latent_dim,)."""
    return _attribute(str(checkpoint.path), resources.version(checkpoint), tuple(start), tuple(to))
