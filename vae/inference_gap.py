"""Why the ELBO falls short of log p(x) for one image: the inference gap and its two parts.

log p(x) - ELBO(q) = KL(q(z|x) || p(z|x)). Cremer, Li & Duvenaud (2018, "Inference Suboptimality in Variational
Autoencoders") split it at q*, the best diagonal Gaussian for this one image, found by optimising its mean and
variance directly on the ELBO:

    approximation gap = log p(x) - ELBO(q*)    what no diagonal Gaussian can close: the family's limit
    amortisation gap  = ELBO(q*) - ELBO(q)     what the encoder loses by being one network for every image

With a 2-D latent space every term is summed on a grid (vae.true_posterior). Otherwise the ELBOs are Monte Carlo
estimates and log p(x) is the k-sample importance-weighted bound (Burda, Grosse & Salakhutdinov 2016, "Importance
Weighted Autoencoders"), each with its standard error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from vae.evaluate import importance_log_weights, iwae_standard_error
from vae.losses import kl_divergence, reconstruction_nll
from vae.posterior import DiagonalGaussian
from vae.true_posterior import (
    GridDecoder,
    Quadrature,
    covering_grid,
    elbo_on_grid,
    kl_to_posterior_on_grid,
)

ElboFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (mu (D,), logvar (D,)) -> 0-d ELBO


def _image(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(1, 1, 28, 28).float()


def grid_elbo(decoder: GridDecoder, x: torch.Tensor) -> ElboFunction:
    """The ELBO of any Gaussian for image ``x``, summed on a decoded 2-D grid (deterministic, differentiable)."""
    with torch.inference_mode(False):
        log_likelihood = decoder.log_likelihood(x).clone()  # (M,), a plain tensor autograd may save
    return lambda mu, logvar: elbo_on_grid(mu, logvar, decoder.grid, log_likelihood)


def sampled_elbo(model: torch.nn.Module, x: torch.Tensor, samples: int = 64, seed: int = 0) -> ElboFunction:
    """The ELBO of any Gaussian for image ``x`` from ``samples`` reparameterised draws z = mu + std * eps, with
    the same eps for every (mu, logvar) (common random numbers: a deterministic objective to optimise)."""
    with torch.inference_mode(False):  # plain tensors, which autograd may save, even if called in inference mode
        x = _image(x).clone()
        eps = torch.randn(samples, model.config.latent_dim, generator=torch.Generator().manual_seed(seed))  # (S, D)

    def elbo(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        z = mu.float() + torch.exp(0.5 * logvar.float()) * eps  # (S, D)
        log_likelihood = -reconstruction_nll(model.decode_logits(z), x.expand(samples, -1, -1, -1), model.config)
        return log_likelihood.mean() - kl_divergence(mu.float().reshape(1, -1), logvar.float().reshape(1, -1))[0]

    return elbo


@torch.inference_mode()
def sampled_elbo_estimate(
    model: torch.nn.Module, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, samples: int = 4000, seed: int = 1
) -> tuple[float, float]:
    """A Monte Carlo estimate of ELBO(N(mu, exp(logvar))) for image ``x`` and its standard error, in nats; the
    same ``seed`` gives the same eps for every Gaussian, so two ELBOs compare with less noise than each has."""
    x = _image(x)
    eps = torch.randn(samples, model.config.latent_dim, generator=torch.Generator().manual_seed(seed))  # (S, D)
    z = mu.reshape(1, -1) + torch.exp(0.5 * logvar.reshape(1, -1)) * eps
    terms = torch.cat(
        [
            -reconstruction_nll(model.decode_logits(chunk), x.expand(len(chunk), -1, -1, -1), model.config)
            for chunk in z.split(1000)
        ]
    ).double()  # (S,) log p(x|z_s)
    kl = float(kl_divergence(mu.reshape(1, -1), logvar.reshape(1, -1))[0])
    return float(terms.mean()) - kl, float(terms.std() / math.sqrt(samples))


@dataclass
class OptimalGaussian:
    """q*: the diagonal Gaussian with the highest ELBO found for one image, and how it was found."""

    mu: torch.Tensor  # (D,) float64
    logvar: torch.Tensor  # (D,) float64
    elbo: float  # the objective at q*
    start_elbo: float  # the objective at the first start (the encoder's q): never above ``elbo``
    evaluations: int  # objective evaluations, over all starts
    seconds: float


def optimal_gaussian(
    elbo: ElboFunction,
    init_mu: torch.Tensor,
    init_logvar: torch.Tensor,
    *,
    starts: Sequence[tuple[torch.Tensor, torch.Tensor]] = (),
    steps: int = 100,
) -> OptimalGaussian:
    """Maximise ``elbo`` over the mean and log-variance of a diagonal Gaussian, from (init_mu, init_logvar) and
    from each extra (mu, logvar) in ``starts`` (a posterior with two modes has a local optimum at each).

    L-BFGS with a strong-Wolfe line search (the objectives here are deterministic, and smooth
    almost everywhere) moves u and v in
    mu = mu_0 + std_0 * u, logvar = logvar_0 + 2 v, so its steps are measured in the start's own standard
    deviations whatever the scale of the latent space. Every point evaluated competes and the best is kept, the
    first start included, so ELBO(q*) >= ELBO(q) on this objective. Only u and v get gradients
    (torch.autograd.grad): a shared model is left untouched.
    """
    started = time.perf_counter()
    best = OptimalGaussian(
        init_mu.detach().reshape(-1).double(), init_logvar.detach().reshape(-1).double(), -math.inf, math.nan, 0, 0.0
    )
    with torch.inference_mode(False), torch.enable_grad():
        for mu0, logvar0 in [(init_mu, init_logvar), *starts]:
            _climb(
                elbo,
                mu0.detach().reshape(-1).double().clone(),
                logvar0.detach().reshape(-1).double().clone(),
                steps,
                best,
            )
    best.seconds = time.perf_counter() - started
    return best


def _climb(elbo: ElboFunction, mu0: torch.Tensor, logvar0: torch.Tensor, steps: int, best: OptimalGaussian) -> None:
    """One L-BFGS run from (mu0, logvar0) (see :func:`optimal_gaussian`); every evaluation updates ``best``."""
    std0 = torch.exp(0.5 * logvar0)
    u = torch.zeros_like(mu0, requires_grad=True)
    v = torch.zeros_like(mu0, requires_grad=True)

    def closure() -> torch.Tensor:
        mu, logvar = mu0 + std0 * u, logvar0 + 2 * v
        value = elbo(mu, logvar)
        number = value.item()
        if best.evaluations == 0:
            best.start_elbo = number
        best.evaluations += 1
        if math.isfinite(number) and number > best.elbo:
            best.mu, best.logvar, best.elbo = mu.detach().clone(), logvar.detach().clone(), number
        u.grad, v.grad = torch.autograd.grad(-value, [u, v])
        return -value.detach()

    torch.optim.LBFGS([u, v], max_iter=steps, line_search_fn="strong_wolfe").step(closure)


@dataclass
class GapSplit:
    """log p(x), ELBO(q), ELBO(q*) of one image in nats, and the gaps between them (module docstring)."""

    log_px: float
    log_px_error: float  # exact: the quadrature's error bound; else the k-sample bound's standard error
    elbo_q: float
    elbo_qstar: float
    elbo_error: float  # 0 on the grid; else each ELBO's Monte Carlo standard error (the larger of the two)
    qstar: OptimalGaussian
    exact: bool  # True: a 2-D latent space, summed on a grid; False: estimated
    log_px_source: str = "quadrature"  # or which k-sample bound gave the estimate
    kl_grid: float | None = None  # exact only: KL(q || p(z|x)) summed directly on the grid
    decoder: GridDecoder | None = None  # exact only: the close view the sums were made on
    quadrature: Quadrature | None = None  # exact only: log p(x) and the posterior on that grid
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_gap(self) -> float:
        """log p(x) - ELBO(q) = KL(q || p(z|x))."""
        return self.log_px - self.elbo_q

    @property
    def approximation_gap(self) -> float:
        return self.log_px - self.elbo_qstar

    @property
    def amortisation_gap(self) -> float:
        return self.elbo_qstar - self.elbo_q


def gap_split(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    prior: GridDecoder | None = None,
    n: int = 97,
    steps: int = 100,
    k: int = 5000,
    samples: int = 4000,
    seed: int = 0,
) -> GapSplit:
    """The inference gap of image ``x`` and its split. A 2-D VAE: exact, on the close view of
    vae.true_posterior.covering_grid (``prior``, the decoded prior's view, lets it find far modes; ``n`` its
    nodes per axis). Otherwise: q* on a 64-draw ELBO, both ELBOs from the same ``samples`` fresh draws, and
    log p(x) from the higher of the two ``k``-sample bounds with q and with q* as the proposal."""
    if model.config.latent_dim == 2:
        return _exact_split(model, x, prior, n, steps)
    return _estimated_split(model, x, steps, k, samples, seed)


def _exact_split(model: torch.nn.Module, x: torch.Tensor, prior: GridDecoder | None, n: int, steps: int) -> GapSplit:
    started = time.perf_counter()
    with torch.inference_mode():
        q = model.encode(_image(x))
        decoder, quadrature = covering_grid(model, x, q, prior=prior, n=n)
    grid_seconds = time.perf_counter() - started
    objective = grid_elbo(decoder, x)
    starts = _posterior_starts(decoder, quadrature, q.logvar[0])
    qstar = optimal_gaussian(objective, q.mean[0], q.logvar[0], starts=starts, steps=steps)
    kl = kl_to_posterior_on_grid(q.mean[0], q.logvar[0], decoder.grid, quadrature.log_density)
    seconds = {"grid": grid_seconds, "qstar": qstar.seconds}
    return GapSplit(
        quadrature.log_px, quadrature.error_bound, qstar.start_elbo, qstar.elbo, 0.0, qstar, True,
        kl_grid=kl, decoder=decoder, quadrature=quadrature, seconds=seconds,
    )  # fmt: skip


def _posterior_starts(
    decoder: GridDecoder, quadrature: Quadrature, logvar: torch.Tensor
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two more starts for q* from the grid posterior: its mean and variance on each axis, and its most probable
    node with the encoder's variance (where the encoder's q sits on the wrong one of two modes)."""
    codes, p = decoder.grid.points().double(), quadrature.probabilities  # (M, 2), (M,)
    mean = p @ codes
    variance = p @ (codes - mean).pow(2)
    return [(mean, variance.log()), (codes[p.argmax()], logvar)]


def _estimated_split(model: torch.nn.Module, x: torch.Tensor, steps: int, k: int, samples: int, seed: int) -> GapSplit:
    with torch.inference_mode():
        q = model.encode(_image(x))
    qstar = optimal_gaussian(sampled_elbo(model, x, seed=seed), q.mean[0], q.logvar[0], steps=steps)
    elbo_q, se_q = sampled_elbo_estimate(model, x, q.mean[0], q.logvar[0], samples, seed + 1)
    elbo_qstar, se_qstar = sampled_elbo_estimate(model, x, qstar.mu.float(), qstar.logvar.float(), samples, seed + 1)
    if elbo_qstar < elbo_q:  # the 64 draws it was fitted on flattered it: keep the encoder's q
        qstar = OptimalGaussian(q.mean[0].double(), q.logvar[0].double(), elbo_q, elbo_q, qstar.evaluations, 0.0)
        elbo_qstar, se_qstar = elbo_q, se_q
    started = time.perf_counter()
    # Both k-sample bounds are lower bounds on log p(x) in expectation, so the higher is the tighter estimate
    # (leaning up by about a standard error, for taking the larger of two noisy numbers).
    qstar_gaussian = DiagonalGaussian(qstar.mu.float().reshape(1, -1), qstar.logvar.float().reshape(1, -1))
    bounds = {name: _bound(model, x, k, proposal, seed + 2) for name, proposal in (("q", q), ("q*", qstar_gaussian))}
    source = max(bounds, key=lambda name: bounds[name][0])
    log_px, log_px_error = bounds[source]
    seconds = {"qstar": qstar.seconds, "log_px": time.perf_counter() - started}
    return GapSplit(
        log_px, log_px_error, elbo_q, elbo_qstar, max(se_q, se_qstar), qstar, False,
        log_px_source=f"{k}-sample bound, proposal {source}", seconds=seconds,
    )  # fmt: skip


def _bound(
    model: torch.nn.Module, x: torch.Tensor, k: int, proposal: DiagonalGaussian, seed: int
) -> tuple[float, float]:
    """The k-sample bound log (1/k) sum_i w_i of image ``x`` with ``proposal`` (1, D), and its standard error."""
    generator = torch.Generator().manual_seed(seed)
    log_w = importance_log_weights(model, _image(x), k, generator=generator, proposal=proposal)  # (k, 1)
    return float(torch.logsumexp(log_w[:, 0].double(), 0)) - math.log(k), float(iwae_standard_error(log_w)[0])


@dataclass(frozen=True)
class SampledBound:
    """The expected k-sample bound E[log (1/k) sum_i w_i] estimated for one k, in nats, with its standard error."""

    k: int
    value: float
    stderr: float


@torch.inference_mode()
def k_sample_bounds(
    model: torch.nn.Module,
    x: torch.Tensor,
    ks: Sequence[int] = (1, 10, 100, 1000, 5000),
    *,
    seed: int = 0,
    proposal: DiagonalGaussian | None = None,
) -> list[SampledBound]:
    """The importance-weighted bounds of image ``x`` for each k in ``ks`` (Burda et al. 2016), from one set of
    max(ks) draws of the encoder's q (or ``proposal``): for each k the draws are cut into groups of k, each
    group's log-mean-exp is one sample of the bound, and the groups' mean and standard error are reported (a
    single group: the delta-method error of vae.evaluate.iwae_standard_error). k = 1 is the ELBO, its KL
    sampled rather than in closed form."""
    most = max(ks)
    generator = torch.Generator().manual_seed(seed)
    log_w = importance_log_weights(model, _image(x), most, generator=generator, proposal=proposal)[:, 0].double()
    bounds = []
    for k in ks:
        groups = log_w[: (most // k) * k].view(-1, k)  # (most // k, k)
        values = torch.logsumexp(groups, 1) - math.log(k)  # (most // k,)
        if len(values) > 1:
            stderr = float(values.std() / math.sqrt(len(values)))
        else:
            stderr = float(iwae_standard_error(groups.T)[0])
        bounds.append(SampledBound(k, float(values.mean()), stderr))
    return bounds
