"""The explorer's pictures (explorer.shared.figures) and page logic (explorer.shared's core,
latent_space and model_catalog), without a browser; the charts' data is tested in tests/test_chart_data.py.

Everything here runs on synthetic arrays or tiny untrained models, so it needs no checkpoints.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from explorer.shared import core, figures, latent_space, model_catalog


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


# --------------------------------------------------------------------------------------------------------
# Pictures


def test_digit_png_is_crisp_and_large():
    image = np.random.default_rng(1).random((28, 28)).astype(np.float32)
    pixels = png_pixels(figures.digit_png(image, scale=10))
    assert pixels.shape == (280, 280)
    # Nearest-neighbour: every 10x10 block is one flat colour, and no new grey levels appear.
    blocks = pixels.reshape(28, 10, 28, 10)
    assert (blocks == blocks[:, :1, :, :1]).all()
    assert set(np.unique(pixels)) <= set(np.unique(np.round(image * 255).astype(np.uint8)))


def test_strip_and_grid_sizes():
    images = np.zeros((9, 28, 28), dtype=np.float32)
    assert png_pixels(figures.strip_png(images, scale=3, pad=2)).shape == (3 * 32, 3 * (9 * 30 + 2))
    grid = png_pixels(figures.grid_png(np.zeros((225, 28, 28)), columns=15, scale=2, pad=0))
    assert grid.shape == (2 * 15 * 28, 2 * 15 * 28)


# --------------------------------------------------------------------------------------------------------
# Latent space


# --------------------------------------------------------------------------------------------------------
# Page logic (explorer.shared.core, explorer.shared.latent_space, explorer.shared.model_catalog)


def test_slider_specs_follow_the_kl_and_mark_inactive_dimensions():
    stats = {"kl_per_dim": [0.5, 0.001, 2.0, 1.0], "code_variance": [1, 1, 1, 0.001], "code_range": [[-9, 9]] * 4}
    specs = latent_space.slider_specs("vae", 4, stats)
    assert [s.dim for s in specs] == [2, 3, 0, 1]
    assert [s.active for s in specs] == [True, False, True, False]  # dim 3: tiny variance; dim 1: tiny KL
    assert all((s.lo, s.hi) == (-3.0, 3.0) for s in specs)  # the prior's range, not the codes'


def test_ae_slider_ranges_widen_the_code_range():
    stats = {"code_variance": [4.0, 9.0], "code_range": [[-2.0, 2.0], [0.0, 10.0]]}
    specs = latent_space.slider_specs("ae", 2, stats)
    assert [s.dim for s in specs] == [1, 0]  # larger variance first
    by_dim = {s.dim: s for s in specs}
    assert by_dim[0].lo <= -2.4 and by_dim[0].hi >= 2.4
    assert by_dim[1].lo <= -1.0 and by_dim[1].hi >= 11.0
    assert all((s.hi - s.lo) / s.step >= 100 for s in specs)


@pytest.mark.parametrize("stats", [{}, {"kl_per_dim": [1.0]}, {"code_range": "garbage"}, {"kl_per_dim": [None, "x"]}])
def test_slider_specs_survive_missing_or_malformed_metrics(stats):
    specs = latent_space.slider_specs("vae", 2, stats)
    assert sorted(s.dim for s in specs) == [0, 1] and all(s.lo == -3.0 for s in specs)


def test_codes_are_clipped_into_the_sliders_ranges_and_steps():
    specs = latent_space.slider_specs("vae", 3, {})
    clipped = latent_space.clip_code(specs, np.array([10.0, -10.0, 0.123456]))
    assert clipped.tolist() == pytest.approx([3.0, -3.0, 0.12])
    only_two = [s for s in specs if s.dim != 2]  # a dimension without a slider keeps its value
    assert latent_space.clip_code(only_two, np.array([4.0, 0.5, 7.25])).tolist() == pytest.approx([3.0, 0.5, 7.25])


def test_pick_examples_by_digit():
    labels = np.array([0, 1, 2] * 20)
    picked = core.pick_examples(labels, [2, 0], per_digit=3, seed=1)
    assert [int(labels[i]) for i in picked] == [2, 2, 2, 0, 0, 0]
    assert picked == core.pick_examples(labels, [2, 0], per_digit=3, seed=1)


def test_outlier_check_uses_the_99th_percentile():
    scores = np.arange(1000.0)
    assert not core.outlier_check(500.0, scores).out_of_distribution
    assert core.outlier_check(500.0, scores).percentile == pytest.approx(50.0)
    assert core.outlier_check(2000.0, scores).out_of_distribution


def test_pca_projection_is_orthonormal_and_keeps_2d_codes():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((300, 6)).astype(np.float32) * np.arange(1, 7)
    projection = latent_space.pca_projection(codes)
    np.testing.assert_allclose(projection.components @ projection.components.T, np.eye(2), atol=1e-5)
    assert projection(codes).shape == (300, 2)
    flat = rng.standard_normal((50, 2)).astype(np.float32)
    np.testing.assert_array_equal(latent_space.pca_projection(flat)(flat), flat)
    assert latent_space.pca_projection(flat).origin == (0.0, 0.0)


def test_nearest_neighbours_exclude_the_point_itself():
    codes = np.array([[0.0], [0.1], [5.0], [0.3], [-0.05]])
    assert latent_space.nearest_neighbours(codes, 0, k=3).tolist() == [4, 1, 3]


@pytest.fixture(scope="module")
def tiny_models():
    from vae.config import ModelConfig
    from vae.models import build_model

    torch.manual_seed(0)
    return {
        kind: build_model(ModelConfig(kind=kind, arch="mlp", latent_dim=3, hidden=(16,))).eval()
        for kind in ("ae", "vae")
    }


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_interpolation_starts_and_ends_at_the_reconstructions(tiny_models, kind):
    model = tiny_models[kind]
    images = np.random.default_rng(2).random((2, 28, 28)).astype(np.float32)
    path = latent_space.interpolation(model, images[0], images[1], steps=5, method="slerp")
    np.testing.assert_allclose(path.images[[0, -1]], core.reconstruct(model, images), atol=1e-6)
    values, strip = latent_space.traversal(model, path.codes[2], latent_space.slider_specs(kind, 3, {})[0])
    assert strip.shape == (latent_space.TRAVERSAL_STEPS, 28, 28) and values[0] == -3.0


def test_reconstruction_rows_without_classifier(tiny_models):
    images = np.random.default_rng(3).random((2, 28, 28)).astype(np.float32)
    rows = core.reconstruction_rows(
        ["a", "b"], images, tiny_models["ae"], tiny_models["vae"], None, np.arange(100.0), samples=3
    )
    assert [r.name for r in rows] == ["a", "b"]
    assert rows[0].posterior.shape == (3, 28, 28) and rows[0].guess_vae is None
    assert rows[1].check is not None and rows[1].check.score > 0


def test_build_catalog_pairs_models_and_lists_broken_ones():
    from vae.checkpoint import Checkpoint, CheckpointError
    from vae.config import ModelConfig

    def checkpoint(name, kind, dim=2):
        return Checkpoint(path=Path(name), model=ModelConfig(kind=kind, arch="mlp", latent_dim=dim, hidden=(8,)))

    scanned = [
        (Path("ae-z2"), checkpoint("ae-z2", "ae")),
        (Path("my-vae"), checkpoint("my-vae", "vae")),
        (Path("vae-z2"), checkpoint("vae-z2", "vae")),
        (Path("vae-z16"), checkpoint("vae-z16", "vae", 16)),
        (Path("classifier"), checkpoint("classifier", "classifier")),
        (Path("broken"), CheckpointError("broken/config.json: not valid JSON")),
    ]
    catalog = model_catalog.build_catalog("root", scanned)
    assert catalog.pairs[2].vae.name == "vae-z2" and catalog.pairs[2].ae.name == "ae-z2"
    assert catalog.pairs[16].ae is None and catalog.pairs[16].kinds == ["vae"]
    assert catalog.classifier.name == "classifier"
    assert [c.name for c in catalog.unused] == ["my-vae"]
    assert catalog.broken == [("broken", "broken/config.json: not valid JSON")]


def test_metric_rows_skip_missing_and_vae_only_numbers():
    from vae.checkpoint import Checkpoint
    from vae.config import ModelConfig, TrainConfig

    metrics = {"test_neg_elbo": 10.0, "test_kl": 0.0, "test_squared_error": 12.5, "active_units": "n/a"}
    ae = Checkpoint(path=Path("ae"), model=ModelConfig(kind="ae", arch="mlp", latent_dim=2, hidden=(8,)))
    ae.metrics = metrics
    assert model_catalog.metric_rows(ae) == {"Squared error per image": 12.5}
    vae = Checkpoint(path=Path("vae"), model=ModelConfig(kind="vae", arch="mlp", latent_dim=2, hidden=(8,)))
    vae.metrics = {**metrics, "prior_samples": {"recognisable_share": 0.8}}
    rows = model_catalog.metric_rows(vae)  # trained on grey levels (no training config says otherwise)
    assert rows["Cross-entropy + KL on grey pixels (nats; not a bound on −log p(x))"] == 10.0
    assert rows["Prior samples recognisable"] == 0.8 and not any("log p(x)," in label for label in rows)
    binarised = Checkpoint(path=Path("b"), model=vae.model, training=TrainConfig(binarize="dynamic"))
    binarised.metrics = metrics
    assert model_catalog.metric_rows(binarised)["Negative ELBO, binarised test digits (nats, ≥ −log p(x))"] == 10.0
    assert model_catalog.format_value("Prior samples recognisable", 0.8) == "80.0%"


def test_streamlit_config_matches_the_upload_limit():
    import tomllib

    from vae.images import MAX_UPLOAD_MB

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert config["server"]["runOnSave"] is False
    assert config["browser"]["gatherUsageStats"] is False


def test_interpolation_downloads():
    rows = [np.random.default_rng(i).random((6, 28, 28)).astype(np.float32) for i in range(2)]
    gif = Image.open(io.BytesIO(figures.interpolation_gif(rows, scale=2)))
    assert gif.format == "GIF" and gif.n_frames == 6 + 4  # forward, then back without repeating the ends
    assert gif.size == (2 * (2 * 30 + 2), 2 * 32)  # AE | VAE side by side, 2-pixel gaps, scaled x2
    strip = png_pixels(figures.interpolation_png(rows, scale=1))
    assert strip.shape == (2 * 30 + 2, 6 * 30 + 2)


def test_plane_grid_stretches_each_axis_and_keeps_latent_grid_order():
    grid = latent_space.plane_grid((-30.0, 10.0), (-2.0, 2.0), n=5)
    assert grid.shape == (25, 2)
    assert grid[:, 0].min() == -30.0 and grid[:, 0].max() == 10.0
    assert grid[0].tolist() == [-30.0, 2.0] and grid[-1].tolist() == [10.0, -2.0]  # top-left first
    assert latent_space.ae_plane_ranges({"code_range": [[-30, 10], [-2, 2]]}) == ((-30.0, 10.0), (-2.0, 2.0))
    assert latent_space.ae_plane_ranges({}) == ((-3.0, 3.0), (-3.0, 3.0))
