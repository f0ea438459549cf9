"""Latent operations are pure functions: check their invariants on small tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vae.latent import interpolate, latent_grid, project_2d, sample_prior, traverse


@pytest.mark.parametrize("method", ["linear", "slerp"])
@pytest.mark.parametrize("shape", [(8,), (3, 8)])
def test_interpolation_endpoints_equal_the_inputs(method, shape):
    g = torch.Generator().manual_seed(1)
    z0, z1 = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    path = interpolate(z0, z1, 7, method)
    assert path.shape == (7, *shape)
    assert torch.equal(path[0], z0) and torch.equal(path[-1], z1)


def test_linear_interpolation_is_evenly_spaced():
    path = interpolate(torch.zeros(2), torch.tensor([4.0, -2.0]), 5, "linear")
    assert torch.allclose(path[2], torch.tensor([2.0, -1.0]))
    steps = path.diff(dim=0).norm(dim=1)
    assert torch.allclose(steps, steps[0].expand_as(steps))


def test_slerp_keeps_norms():
    g = torch.Generator().manual_seed(2)
    z0, z1 = torch.randn(16, generator=g), torch.randn(16, generator=g)
    z1 = z1 / z1.norm() * z0.norm()  # equal norms: the whole path keeps that norm
    path = interpolate(z0, z1, 11, "slerp")
    assert torch.allclose(path.norm(dim=1), z0.norm().expand(11), rtol=1e-5)
    linear_mid = interpolate(z0, z1, 11, "linear")[5].norm()
    assert float(linear_mid) < float(z0.norm())  # the straight line cuts through the middle


def test_slerp_of_unequal_norms_moves_the_norm_linearly():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 3.0])
    path = interpolate(z0, z1, 3, "slerp")
    assert torch.allclose(path[1], torch.tensor([2**0.5, 2**0.5]), atol=1e-5)  # 45 degrees, norm 2


def test_slerp_handles_parallel_and_zero_codes():
    z = torch.tensor([1.0, 2.0])
    assert torch.isfinite(interpolate(z, 2 * z, 4, "slerp")).all()
    assert torch.isfinite(interpolate(torch.zeros(2), z, 4, "slerp")).all()
    assert torch.isfinite(interpolate(z, -z, 4, "slerp")).all()


def test_interpolation_errors_are_clear():
    with pytest.raises(ValueError, match="different shapes"):
        interpolate(torch.zeros(3), torch.zeros(4), 5)
    with pytest.raises(ValueError, match="at least 2 steps"):
        interpolate(torch.zeros(3), torch.ones(3), 1)
    with pytest.raises(ValueError, match="method"):
        interpolate(torch.zeros(3), torch.ones(3), 3, "cubic")


def test_traversal_changes_one_dimension_only():
    z = torch.randn(6)
    codes = traverse(z, 2, [-3.0, 0.0, 3.0])
    assert codes.shape == (3, 6)
    assert torch.equal(codes[:, 2], torch.tensor([-3.0, 0.0, 3.0]))
    others = [d for d in range(6) if d != 2]
    assert torch.equal(codes[:, others], z[others].expand(3, 5))
    with pytest.raises(ValueError, match="out of range"):
        traverse(z, 6, [0.0])


def test_prior_samples_are_seeded_and_standard_normal():
    a = sample_prior(5, 3, torch.Generator().manual_seed(7))
    b = sample_prior(5, 3, torch.Generator().manual_seed(7))
    assert a.shape == (5, 3) and torch.equal(a, b)
    many = sample_prior(50_000, 2, torch.Generator().manual_seed(0))
    assert float(many.mean().abs()) < 0.02 and abs(float(many.std()) - 1) < 0.02


def test_projection_keeps_2d_codes_and_reduces_larger_ones():
    codes2 = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    assert np.array_equal(project_2d(codes2), codes2)
    codes = np.random.default_rng(0).normal(size=(60, 5)) * np.array([10, 1, 1, 1, 0.1])
    pca = project_2d(codes, "pca")
    assert pca.shape == (60, 2)
    assert np.var(pca[:, 0]) > 10 * np.var(pca[:, 1])  # the first axis is the widest direction
    assert project_2d(codes, "tsne").shape == (60, 2)
    with pytest.raises(ValueError, match="projection method"):
        project_2d(codes, "umap")


def test_latent_grid_covers_the_square_from_the_top_left():
    grid = latent_grid(-2.0, 2.0, 3)
    assert grid.shape == (9, 2)
    assert grid[0].tolist() == [-2.0, 2.0] and grid[-1].tolist() == [2.0, -2.0]
