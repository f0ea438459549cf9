"""The true posterior on a grid and the inference gap (vae.true_posterior, vae.inference_gap): sums checked on
known Gaussians, then on the shipped VAEs against independent Monte Carlo estimates."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pytest
import torch
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

from vae.checkpoint import load
from vae.config import ModelConfig
from vae.data import load_dataset
from vae.evaluate import importance_log_weights, iwae_standard_error
from vae.inference_gap import gap_split, k_sample_bounds, optimal_gaussian, sampled_elbo_estimate
from vae.latent import latent_grid
from vae.losses import reconstruction_nll
from vae.models import build_model
from vae.posterior import DiagonalGaussian, prior_log_prob
from vae.true_posterior import (
    LatentGrid,
    Plane,
    covering_grid,
    decode_grid,
    elbo_on_grid,
    gaussian_on_grid,
    kl_to_posterior_on_grid,
    log_marginal,
    posterior_on_grid,
    posterior_slice,
    prior_view,
)

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
DIGITS = range(20)  # the first 20 test digits, binarised once with seed 0
AMBIGUOUS = 159  # a 4 whose posterior has a mode that decodes to a 4 and one that decodes to a 9
FAR_MODE = 160  # a 4 whose posterior has a second mode 2.4 away from the first, far outside q


def _log_normal(z: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    return MultivariateNormal(mean.double(), cov.double()).log_prob(z.double())


# ------------------------------------------------------------------------------------ the grid, on known sums


def test_grid_nodes_run_as_the_latent_maps_grid():
    grid = LatentGrid.spanning((-2.0, -2.0), (2.0, 2.0), 5)
    assert torch.equal(grid.points(), latent_grid(-2.0, 2.0, 5))  # row 0 at the top, z1 growing to the right
    assert grid.spacing == (1.0, 1.0) and grid.cell_area == 1.0
    assert grid.coarse_index().tolist() == [0, 2, 4, 10, 12, 14, 20, 22, 24]
    assert len(grid.border_index()) == 16 and 12 not in grid.border_index().tolist()
    with pytest.raises(ValueError, match="odd number"):
        LatentGrid((0.0, 0.0), (1.0, 1.0), 4)


def test_quadrature_of_a_gaussian_is_exact_and_knows_its_error():
    """log of the integral of c * N(z; m, S) is log c; a grid too coarse for it says so in its error."""
    mean, cov, log_c = torch.tensor([0.3, -0.2]), torch.tensor([[0.04, 0.01], [0.01, 0.02]]), -87.5
    fine = LatentGrid((0.3, -0.2), (1.5, 1.5), 97)
    result = log_marginal(_log_normal(fine.points(), mean, cov) + log_c, fine)
    assert result.log_px == pytest.approx(log_c, abs=1e-9)
    assert float(result.probabilities.sum()) == pytest.approx(1.0, abs=1e-12)
    assert result.error_bound < 1e-8
    coarse = LatentGrid((0.3, -0.2), (1.5, 1.5), 9)  # spacing 0.375, about 2.6 standard deviations
    rough = log_marginal(_log_normal(coarse.points(), mean, cov) + log_c, coarse)
    assert 1e-3 < abs(rough.log_px - log_c) <= rough.error_bound


def test_a_box_that_cuts_the_posterior_reports_its_border_mass():
    mean, cov = torch.tensor([0.9, 0.0]), torch.eye(2) * 0.04
    grid = LatentGrid((0.0, 0.0), (1.0, 1.0), 81)  # the right edge is half a standard deviation from the mean
    result = log_marginal(_log_normal(grid.points(), mean, cov), grid)
    assert result.border_mass > 0.01 and result.error_bound > 0.01  # flagged: do not trust this box


def test_kl_on_the_grid_equals_the_closed_form_between_gaussians():
    mu, logvar = torch.tensor([0.1, 0.2], dtype=torch.float64), torch.tensor([-3.0, -2.5], dtype=torch.float64)
    other_mean, other_var = torch.tensor([0.15, 0.1], dtype=torch.float64), torch.tensor([0.04, 0.12]).double()
    grid = LatentGrid((0.1, 0.1), (2.5, 2.5), 129)  # 8.6 standard deviations of q
    log_density = _log_normal(grid.points(), other_mean, torch.diag(other_var))
    var = logvar.exp()
    closed = 0.5 * float((var / other_var + (mu - other_mean).pow(2) / other_var - 1 + other_var.log() - logvar).sum())
    assert kl_to_posterior_on_grid(mu, logvar, grid, log_density) == pytest.approx(closed, abs=1e-6)


def test_the_best_gaussian_for_a_gaussian_posterior_is_that_posterior():
    """p(x|z) p(z) = c N(z; m, S) with diagonal S: q* = N(m, S), ELBO(q*) = log c, no approximation gap."""
    m, s = torch.tensor([0.4, -0.3]), torch.tensor([0.05, 0.02])
    grid = LatentGrid((0.4, -0.3), (1.6, 1.2), 97)  # 7 and 8.5 posterior standard deviations
    log_c = -50.0
    log_likelihood = _log_normal(grid.points(), m, torch.diag(s)) + log_c - prior_log_prob(grid.points()).double()
    qstar = optimal_gaussian(
        lambda mu, logvar: elbo_on_grid(mu, logvar, grid, log_likelihood),
        torch.tensor([0.1, 0.0]),  # a poor encoder, 1.5 to 2 posterior standard deviations off
        torch.tensor([-2.0, -2.0]),
    )
    assert qstar.start_elbo < qstar.elbo == pytest.approx(log_c, abs=1e-5)
    assert torch.allclose(qstar.mu, m.double(), atol=1e-3)
    assert torch.allclose(qstar.logvar.exp(), s.double(), rtol=1e-3)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_the_grid_decoder_is_the_models_own_likelihood(likelihood):
    """x . weights + bias (+ the Gaussian's pixel term) is -reconstruction_nll at every node, for grey and binary x."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", latent_dim=2, hidden=(16,), likelihood=likelihood, gaussian_std=0.3))
    grid = LatentGrid((0.2, -0.1), (2.0, 1.0), 9)
    decoder = decode_grid(model, grid)
    with torch.inference_mode():
        logits = model.decode_logits(grid.points())  # (M, 1, 28, 28)
    for x in (torch.rand(1, 28, 28), torch.rand(1, 28, 28).round()):
        expected = -reconstruction_nll(logits.double(), x.double().expand(len(logits), 1, 28, 28), model.config)
        assert torch.allclose(decoder.log_likelihood(x), expected, rtol=1e-5, atol=1e-3)
        assert torch.allclose(decoder.log_joint(x) - decoder.log_likelihood(x), prior_log_prob(grid.points()).double())


# ------------------------------------------------------------------------------------- the shipped z = 2 VAE


@cache
def _z2() -> tuple:
    model = load(CHECKPOINTS / "vae-z2")
    images = load_dataset("mnist", "test")[0][:200]
    x = torch.bernoulli(images, generator=torch.Generator().manual_seed(0))  # binary, so log p(x) is a log-probability
    return model, x, decode_grid(model, prior_view())


@cache
def _split(i: int):
    model, x, prior = _z2()
    return gap_split(model, x[i], prior=prior)


def _covering_estimate(model, x: torch.Tensor, split, k: int, seed: int = 0) -> float:
    """log p(x) by importance sampling from a broad proposal: two Gaussians with the grid posterior's mean and 1.5
    and 6 times its covariance. Any proposal that covers the posterior gives an unbiased p(x); this one only
    borrows the grid's first two moments, and so checks the quadrature without sharing its arithmetic."""
    codes, p = split.decoder.grid.points().double(), split.quadrature.probabilities
    mean = p @ codes
    cov = ((codes - mean).T * p) @ (codes - mean)
    proposal = MixtureSameFamily(
        Categorical(torch.tensor([0.5, 0.5], dtype=torch.float64)),
        MultivariateNormal(torch.stack([mean, mean]), torch.stack([1.5 * cov, 6 * cov])),
    )
    torch.manual_seed(seed)
    log_w = []
    with torch.inference_mode():
        for _ in range(k // 10_000):
            z = proposal.sample((10_000,))  # (10000, 2)
            logits = model.decode_logits(z.float())
            log_px_z = -reconstruction_nll(logits, x.expand(10_000, 1, 28, 28), model.config).double()
            log_w.append(log_px_z + prior_log_prob(z) - proposal.log_prob(z))
    log_w = torch.cat(log_w)
    return float(torch.logsumexp(log_w, 0)) - math.log(len(log_w))


@pytest.mark.parametrize("i", DIGITS)
def test_the_gap_on_the_grid_adds_up(i):
    split = _split(i)
    assert split.exact and split.log_px_error < 0.01
    assert float(split.quadrature.probabilities.sum()) == pytest.approx(1.0, abs=1e-9)
    assert split.quadrature.border_mass < 1e-6
    assert split.total_gap == pytest.approx(split.kl_grid, abs=0.01)  # log p(x) - ELBO = KL(q || p(z|x))
    assert split.elbo_q <= split.elbo_qstar <= split.log_px + split.log_px_error
    assert split.approximation_gap + split.amortisation_gap == pytest.approx(split.total_gap)


@pytest.mark.parametrize("i", [0, 18, AMBIGUOUS])
def test_grid_elbos_match_monte_carlo(i):
    """The ELBOs summed on the grid against 4,000-draw estimates (fixed seed): an independent check of the sums."""
    model, x, _ = _z2()
    split = _split(i)
    with torch.inference_mode():
        q = model.encode(x[i : i + 1])
    for (mu, logvar), on_grid in [
        ((q.mean[0], q.logvar[0]), split.elbo_q),
        ((split.qstar.mu.float(), split.qstar.logvar.float()), split.elbo_qstar),
    ]:
        estimate, stderr = sampled_elbo_estimate(model, x[i], mu, logvar, samples=4000, seed=3)
        assert abs(estimate - on_grid) < 4 * stderr + 0.01


def _check_against_importance_sampling(i: int) -> None:
    model, x, _ = _z2()
    split = _split(i)
    assert _covering_estimate(model, x[i], split, k=100_000) == pytest.approx(split.log_px, abs=0.05)
    # The encoder's k-sample bound is a lower bound: it may fall far short (a missed mode), never far above.
    log_w = importance_log_weights(model, x[i : i + 1], 5000, generator=torch.Generator().manual_seed(0))
    bound = float(torch.logsumexp(log_w[:, 0].double(), 0)) - math.log(5000)
    assert bound <= split.log_px + 3 * float(iwae_standard_error(log_w)[0]) + 0.01


@pytest.mark.parametrize("i", [18, AMBIGUOUS])  # a posterior like a ridge, and one with two modes
def test_quadrature_matches_100k_importance_samples(i):
    _check_against_importance_sampling(i)


@pytest.mark.slow
@pytest.mark.parametrize("i", [*DIGITS, FAR_MODE])
def test_quadrature_matches_100k_importance_samples_on_every_digit(i):
    _check_against_importance_sampling(i)


def test_a_finer_grid_agrees_within_the_reported_error():
    """A grid 1.2 times wider with about twice the nodes per axis (none of them shared) gives the same log p(x)."""
    model, x, _ = _z2()
    split = _split(AMBIGUOUS)
    grid = split.decoder.grid
    finer = LatentGrid(grid.centre, tuple(1.2 * h for h in grid.half_width), 2 * grid.n - 1)
    refined = log_marginal(decode_grid(model, finer).log_joint(x[AMBIGUOUS]), finer)
    assert abs(refined.log_px - split.log_px) <= split.log_px_error + refined.error_bound


def test_the_prior_view_finds_a_mode_far_from_q():
    """Without the prior's view the close view misses a second mode and underestimates log p(x) by 0.8 nats."""
    model, x, prior = _z2()
    with torch.inference_mode():
        q = model.encode(x[FAR_MODE : FAR_MODE + 1])
    _, found = covering_grid(model, x[FAR_MODE], q, prior=prior)
    _, missed = covering_grid(model, x[FAR_MODE], q)
    assert found.log_px - missed.log_px > 0.5 > found.error_bound


def test_the_ambiguous_digit_has_two_modes_and_q_star_takes_one():
    split = _split(AMBIGUOUS)
    n = split.decoder.grid.n
    p = split.quadrature.probabilities.view(1, 1, n, n)
    peaks = (p == torch.nn.functional.max_pool2d(p, 5, 1, 2)) & (p > 0.02 * p.max())
    modes = split.decoder.grid.points()[peaks.flatten()]
    assert float(torch.cdist(modes, modes).max()) > 0.5  # in units of the latent space; q's std is about 0.03
    assert split.approximation_gap > 0.3  # one Gaussian cannot cover both


def test_the_live_view_is_one_matrix_vector_product():
    """A drawn image's posterior on the prior's view: the cached logits times x, minus the cached softplus sums."""
    _, x, prior = _z2()
    logits, softplus_sums = prior.weights, -prior.bias  # (M, 784), (M,)
    log_joint = logits.double() @ x[0].flatten().double() - softplus_sums.double() + prior.log_prior.double()
    assert torch.allclose(log_joint, prior.log_joint(x[0]), atol=1e-3)
    assert float(posterior_on_grid(log_joint).sum()) == pytest.approx(1.0, abs=1e-12)


def test_k_sample_bounds_rise_toward_log_px():
    model, x, _ = _z2()
    split = _split(0)
    bounds = k_sample_bounds(model, x[0], (1, 10, 100, 1000, 5000))
    values = [b.value for b in bounds]
    assert values == sorted(values)
    assert abs(values[0] - split.elbo_q) < 4 * bounds[0].stderr + 0.01  # k = 1 is the ELBO
    assert values[-1] <= split.log_px + 3 * bounds[-1].stderr


def test_the_standard_error_of_the_bound_matches_its_spread():
    model, x, _ = _z2()
    estimates, errors = [], []
    for seed in range(20):
        log_w = importance_log_weights(model, x[1:2], 500, generator=torch.Generator().manual_seed(seed))
        estimates.append(float(torch.logsumexp(log_w[:, 0], 0)) - math.log(500))
        errors.append(float(iwae_standard_error(log_w)[0]))
    spread, predicted = float(torch.tensor(estimates).std()), sum(errors) / len(errors)
    assert predicted / 2 < spread < 2 * predicted


# ------------------------------------------------------------------------------------ the shipped z = 16 VAE


@cache
def _z16() -> tuple:
    model = load(CHECKPOINTS / "vae-z16")
    images = load_dataset("mnist", "test")[0][:2000]
    with torch.inference_mode():
        codes = model.encode(images).mean  # (2000, 16)
    directions = torch.linalg.svd(codes - codes.mean(0), full_matrices=False).Vh[:2]  # the latent map's PCA plane
    return model, torch.bernoulli(images[:20], generator=torch.Generator().manual_seed(0)), directions


@pytest.mark.parametrize("i", [0, 4])
def test_the_estimated_split_is_ordered(i):
    model, x, _ = _z16()
    split = gap_split(model, x[i])
    assert not split.exact and split.kl_grid is None
    assert split.elbo_q <= split.elbo_qstar <= split.log_px + 3 * split.log_px_error
    assert 0 < split.log_px_error < 1.0 and 0 < split.elbo_error < 0.2


def test_the_posterior_on_a_slice_through_q_sums_to_one():
    model, x, directions = _z16()
    sliced = posterior_slice(model, x[0], directions)
    grid, plane = sliced.decoder.grid, sliced.decoder.plane
    assert float(sliced.posterior.sum()) == pytest.approx(1.0, abs=1e-9)
    assert float(sliced.q.sum()) == pytest.approx(1.0, abs=1e-9)
    assert sliced.quadrature.border_mass < 1e-6
    assert torch.allclose(plane.directions @ plane.directions.T, torch.eye(2), atol=1e-5)
    assert int(sliced.q.argmax()) == grid.n * grid.n // 2  # q's slice peaks at its mean, the plane's origin
    with torch.inference_mode():
        q = model.encode(x[0:1])
    assert torch.allclose(plane.origin, q.mean[0])


def test_gaussian_on_a_plane_is_the_gaussian_in_its_coordinates():
    """For a 2-D model the identity plane gives q's own density; its masses sum to 1 and peak at its mean."""
    mu, logvar = torch.tensor([0.5, -1.0]), torch.tensor([-4.0, -3.0])
    grid = LatentGrid((0.5, -1.0), (0.5, 0.5), 41)
    log_q, mass = gaussian_on_grid(mu, logvar, grid, Plane.identity())
    expected = DiagonalGaussian(mu[None], logvar[None]).log_prob(grid.points())
    assert torch.allclose(log_q, expected) and float(mass.sum()) == pytest.approx(1.0, abs=1e-6)
    assert int(mass.argmax()) == 41 * 41 // 2
