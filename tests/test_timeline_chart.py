"""The timeline component's data: one fixed plane for every epoch (z=2 as is, longer codes on the PCA plane of
the final epoch's codes), where z = 0 lands, and axes that hold every epoch."""

from __future__ import annotations

import base64

import numpy as np
import torch

from explorer.latent_map import timeline_chart
from vae.timeline import LOSS_KEYS, SHOWN, Timeline


def _timeline(codes: np.ndarray, kind: str = "vae") -> Timeline:
    epochs, n, d = codes.shape
    t = Timeline(kind, d, torch.arange(n), torch.arange(n) % 10, torch.zeros(SHOWN, 28, 28, dtype=torch.uint8),
                 torch.zeros(SHOWN, d))  # fmt: skip
    for e in range(epochs):
        t.epochs.append(e + 1)
        t.mu.append(torch.tensor(codes[e], dtype=torch.float16))
        t.logvar.append(torch.zeros(n, d, dtype=torch.float16))
        t.recon.append(torch.zeros(SHOWN, 28, 28, dtype=torch.uint8))
        t.samples.append(torch.zeros(SHOWN, 28, 28, dtype=torch.uint8))
        t.losses.append(torch.arange(len(LOSS_KEYS), dtype=torch.float32))
        t.kl_per_dim.append(torch.ones(d))
    return t


def test_long_codes_go_on_the_pca_plane_of_the_final_epoch_for_every_epoch():
    rng = np.random.default_rng(0)
    final = rng.normal(size=(300, 5)) * np.array([3.0, 0.2, 2.0, 0.1, 0.1]) + 1.5  # spread along dims 0 and 2
    early = final * 0.3 + rng.normal(size=final.shape) * 0.05
    codes = np.stack([early, final]).astype(np.float16).astype(np.float64)
    points, origin, axes = timeline_chart.plane(_timeline(codes))
    assert axes == ("PC 1", "PC 2") and points.shape == (2, 300, 2)
    centre = codes[-1].mean(axis=0)
    _, _, vt = np.linalg.svd(codes[-1] - centre, full_matrices=False)
    for e in range(2):  # the same orthonormal map at both epochs (up to each axis' sign)
        expected = (codes[e] - centre) @ vt[:2].T
        assert np.allclose(np.abs(points[e]), np.abs(expected), atol=1e-6)
    assert np.allclose(np.abs(origin), np.abs(-centre @ vt[:2].T), atol=1e-6)
    assert points[-1, :, 0].std() > points[-1, :, 1].std() > 1.5  # PC 1 is the widest spread


def test_two_dimensional_codes_are_drawn_as_they_are_and_the_axes_hold_every_epoch():
    rng = np.random.default_rng(1)
    codes = np.stack([rng.normal(size=(200, 2)) * s for s in (0.5, 4.0)]).astype(np.float16).astype(np.float64)
    data = timeline_chart.model_entry(_timeline(codes, "ae"), "AE")
    points = np.frombuffer(base64.b64decode(data["points"]), "<f2").reshape(2, 200, 2)
    assert np.array_equal(points.astype(np.float64), codes)
    x0, x1, y0, y1 = data["bounds"]
    assert x0 < np.percentile(codes[..., 0], 1) and x1 > np.percentile(codes[..., 0], 99)
    assert y0 < np.percentile(codes[..., 1], 1) and y1 > np.percentile(codes[..., 1], 99)
    assert data["prior"] is None and data["axes"] == ["z0", "z1"] and data["epochs"] == [1, 2]
    assert data["losses"]["valid_loss"] == [3.0, 3.0]
