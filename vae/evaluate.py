"""Test-set evaluation: negative ELBO and its terms, importance-sampled NLL, active units, KL per dimension.

    python -m vae.evaluate checkpoints/vae-z16            # k = 5000 importance samples, all 10k test images
    python -m vae.evaluate runs/vae-mlp-z20 --k 100 --limit 1000

Results are printed as a table and merged into the checkpoint's metrics (unless --no-save). A VAE trained on
binarised digits is scored on the fixed binarisation of the test images, and the metrics say what x was and what
the numbers are (vae.likelihood); an autoencoder's are its squared error (and cross-entropy) per image.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from vae.checkpoint import CheckpointError, load, update_metrics
from vae.data import DatasetError, load_dataset
from vae.latent import embed_batched, encode_batched
from vae.likelihood import score_meaning, scored_images
from vae.losses import reconstruction_nll
from vae.posterior import DiagonalGaussian, prior_log_prob

ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. 2016: a unit is active if Var_x E_q[z_j|x] exceeds this


@torch.inference_mode()
def iwae_nll(
    model: torch.nn.Module,
    x: torch.Tensor,
    k: int = 5000,
    *,
    batch_size: int = 100,
    max_elements: int = 2_000_000,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Importance-sampled estimate of -log p(x) per image, in nats (Burda et al. 2016, eq. 8): (N, ...) -> (N,).

    -log p(x) ~= -log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x),  z_i ~ q(z|x). Samples are drawn in chunks
    so memory stays bounded (about max_elements decoded pixels at once); k = 1 gives the ELBO's value.
    """
    results = []
    for xb in x.split(batch_size):
        log_w = importance_log_weights(model, xb, k, max_elements=max_elements, generator=generator)  # (k, b)
        results.append(-(torch.logsumexp(log_w, 0) - math.log(k)))
    return torch.cat(results)


@torch.inference_mode()
def importance_log_weights(
    model: torch.nn.Module,
    x: torch.Tensor,
    k: int,
    *,
    max_elements: int = 2_000_000,
    generator: torch.Generator | None = None,
    proposal: DiagonalGaussian | None = None,
) -> torch.Tensor:
    """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for k draws z_i ~ q(z|x) of each image: (N, ...) -> (k, N).

    The terms :func:`iwae_nll` averages (log-mean-exp over the k rows); kept whole so a caller can also take the
    k-sample bound for smaller k from groups of rows, or its standard error (:func:`iwae_standard_error`).
    ``proposal`` (N, D) replaces the encoder's q(z|x), e.g. by a Gaussian optimised for each image; any proposal
    gives a lower bound on log p(x) in expectation, the closer to the posterior the tighter.
    """
    if model.config.kind != "vae":
        raise ValueError("an importance-sampled likelihood needs a VAE; a plain autoencoder defines no density")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    b = len(x)
    posterior = model.encode(x) if proposal is None else proposal  # (b, D)
    chunk = max(1, min(k, max_elements // (b * x[0].numel())))
    log_weights = []
    for start in range(0, k, chunk):
        c = min(chunk, k - start)
        z = posterior.sample(generator, sample_shape=(c,))  # (c, b, D)
        logits = model.decode_logits(z.reshape(c * b, -1))  # (c*b, 1, 28, 28)
        targets = x.unsqueeze(0).expand(c, *x.shape).reshape(c * b, *x.shape[1:])
        log_px_z = -reconstruction_nll(logits, targets, model.config).view(c, b)
        log_weights.append(log_px_z + prior_log_prob(z) - posterior.log_prob(z))
    return torch.cat(log_weights)  # (k, b)


def iwae_standard_error(log_weights: torch.Tensor) -> torch.Tensor:
    """Standard error of log (1/k) sum_i w_i from its k log-weights, per image: (k, N) -> (N,).

    The delta method: se(log mean w) ~= sd(w) / (sqrt(k) * mean(w)), computed on w / max(w) so it cannot
    overflow. It is itself an estimate from the same k draws, so it understates the error when rare, huge
    weights were not drawn (a proposal much narrower than the posterior); the bias of the log, about se^2 / 2,
    is left out.
    """
    k = log_weights.shape[0]
    if k < 2:
        raise ValueError("a standard error needs at least 2 importance samples")
    w = torch.exp(log_weights - log_weights.max(0).values)  # (k, N), each column's largest weight is 1
    return w.std(0) / (w.mean(0) * math.sqrt(k))


@torch.inference_mode()
def per_image_scores(
    model: torch.nn.Module, x: torch.Tensor, generator: torch.Generator | None = None, batch_size: int = 1000
) -> dict[str, torch.Tensor]:
    """A VAE's per-image terms on ``x`` as given: the single-sample negative ELBO, reconstruction and KL, (N,) each.

    What they mean depends on x (vae.likelihood): on 0/1 images -log p(x|z) is a log-probability, on grey levels
    a Bernoulli decoder's is a cross-entropy. An autoencoder has no ELBO (see :func:`evaluate` for its numbers).
    """
    if model.config.kind != "vae":
        raise ValueError("a negative ELBO needs a VAE; a plain autoencoder is scored by its squared error")
    out: dict[str, list[torch.Tensor]] = {"neg_elbo": [], "reconstruction": [], "kl": []}
    for xb in x.split(batch_size):
        posterior = model.encode(xb)
        rec = reconstruction_nll(model.decode_logits(posterior.sample(generator)), xb, model.config)
        kl = posterior.kl()
        out["neg_elbo"].append(rec + kl)
        out["reconstruction"].append(rec)
        out["kl"].append(kl)
    return {key: torch.cat(values) for key, values in out.items()}


@torch.inference_mode()
def latent_statistics(model: torch.nn.Module, x: torch.Tensor) -> dict[str, Any]:
    """Active units, KL per dimension (VAE) and the range of the codes over the data (for slider limits)."""
    codes = embed_batched(model, x)  # (N, D)
    variance = codes.var(0)
    stats: dict[str, Any] = {
        "active_units": int((variance > ACTIVE_UNIT_THRESHOLD).sum()),
        "code_variance": [round(float(v), 5) for v in variance],
        "code_range": [
            [round(float(a), 4), round(float(b), 4)]
            for a, b in zip(codes.quantile(0.005, 0), codes.quantile(0.995, 0), strict=True)
        ],
    }
    if model.config.kind == "vae":
        kl_per_dim = encode_batched(model, x).kl(per_dimension=True).mean(0)  # (D,)
        stats["kl_per_dim"] = [round(float(v), 4) for v in kl_per_dim]
    return stats


@torch.inference_mode()
def evaluate(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *, k: int = 5000, seed: int = 0
) -> dict[str, Any]:
    """All test metrics of one model on grey images ``x`` (and labels ``y`` for the classifier).

    A loaded VAE trained with ``binarize="dynamic"`` (``model.checkpoint.training``) is scored on the fixed
    binarisation of ``x`` (vae.likelihood.binarize), one trained on grey levels on ``x`` itself; the metrics record
    which (``scores_are``, ``likelihood_data``, ``test_binarized``). The squared error and the latent statistics
    (slider ranges, active units) are always of the grey images, which is what the app encodes and shows.
    """
    generator = torch.Generator(device=x.device).manual_seed(seed)
    started = time.perf_counter()
    kind = model.config.kind
    metrics: dict[str, Any] = {"test_images": len(x)}
    if kind == "classifier":
        logits = torch.cat([model(xb) for xb in x.split(1000)])
        metrics["test_accuracy"] = float((logits.argmax(1) == y).float().mean())
        metrics["test_cross_entropy"] = float(F.cross_entropy(logits, y))
        return metrics
    checkpoint = getattr(model, "checkpoint", None)
    meaning = score_meaning(model.config, checkpoint.training if checkpoint is not None else None)
    recon = torch.cat([model.reconstruct(xb) for xb in x.split(1000)])  # decoder means of the grey images
    metrics["test_squared_error"] = float((recon - x).pow(2).flatten(1).sum(1).mean())
    if kind == "ae":
        bce = F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), x, reduction="none").flatten(1).sum(1)
        metrics["test_bce"] = float(bce.mean())
    else:
        scored = scored_images(x, meaning)
        scores = per_image_scores(model, scored, generator)
        metrics.update({f"test_{name}": float(values.mean()) for name, values in scores.items()})
        if k > 0:
            metrics["test_nll_iwae"] = float(iwae_nll(model, scored, k, generator=generator).mean())
            metrics["iwae_k"] = k
    metrics.update(meaning.to_metrics())
    metrics.update(latent_statistics(model, x))
    metrics["evaluate_seconds"] = round(time.perf_counter() - started, 2)
    return metrics


SLICE = 1000  # the fixed test slice whose metrics are stored too, so a test can re-check a checkpoint quickly
SLICE_K = 100


def slice_metrics(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, seed: int = 0) -> dict:
    """Cheap metrics on the first 1,000 test images (k = 100), stored so tests can verify a checkpoint fast."""
    keep = (
        "test_neg_elbo",
        "test_reconstruction",
        "test_kl",
        "test_squared_error",
        "test_bce",
        "test_nll_iwae",
        "test_accuracy",
    )
    full = evaluate(model, x[:SLICE], None if y is None else y[:SLICE], k=SLICE_K, seed=seed)
    return {"images": SLICE, "k": SLICE_K, "seed": seed, **{key: full[key] for key in keep if key in full}}


def format_table(name: str, metrics: dict[str, Any]) -> str:
    """The scalar metrics as an aligned two-column table."""
    rows = [(key, value) for key, value in metrics.items() if isinstance(value, (int, float))]
    width = max(len(key) for key, _ in rows)
    lines = [f"{name}", "-" * (width + 14)]
    for key, value in rows:
        lines.append(f"{key:<{width}}  {value:>12.4f}" if isinstance(value, float) else f"{key:<{width}}  {value:>12}")
    if "kl_per_dim" in metrics:
        lines.append(f"{'kl_per_dim':<{width}}  " + " ".join(f"{v:.2f}" for v in metrics["kl_per_dim"]))
    if "scores_are" in metrics:
        lines.append(f"scores are: {metrics['scores_are']}, on {metrics['likelihood_data']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vae.evaluate",
        description="Evaluate a checkpoint on the test set and store the metrics in it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--k", type=int, default=5000, help="importance samples for the NLL (0 skips it)")
    parser.add_argument("--limit", type=int, default=0, help="evaluate only the first N test images (0 = all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-save", action="store_true", help="print only; leave the checkpoint untouched")
    args = parser.parse_args(argv)
    try:
        model = load(args.checkpoint, device=args.device)
        dataset = model.checkpoint.dataset.get("name", "mnist")
        x, y = load_dataset(dataset, "test")
    except (CheckpointError, DatasetError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    metrics = evaluate(model, x.to(args.device), y.to(args.device), k=args.k, seed=args.seed)
    if len(x) >= SLICE:
        metrics["first_1000"] = slice_metrics(model, x.to(args.device), y.to(args.device), seed=args.seed)
    print(format_table(str(args.checkpoint), metrics))
    if not args.no_save:
        update_metrics(args.checkpoint, metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
