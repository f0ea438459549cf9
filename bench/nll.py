"""MNIST likelihood benchmark in the setting of the importance-weighted autoencoder paper (Burda et al. 2016).

One stochastic layer: MLP 784-200-200-50 with tanh-free ReLU bodies from vae.models, Bernoulli likelihood,
training images binarised afresh for every batch (dynamic binarisation), the 10k test images binarised once
with a fixed seed. Training runs for a wall-clock budget; the learning rate decays exponentially from 1e-3 to
1e-4 over that budget (the paper decays it in stages over 3,280 passes). Then the test negative
log-likelihood is estimated with k = 5000 importance samples.

    python bench/nll.py --minutes 30
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from bench._report import command_line, write_section
from vae.checkpoint import Checkpoint, save_checkpoint
from vae.config import ModelConfig, TrainConfig
from vae.data import load_mnist
from vae.evaluate import iwae_nll, per_image_scores
from vae.losses import model_loss
from vae.models import build_model

ANCHORS = [
    ("IWAE paper, VAE k=1, 1 stochastic layer, dynamic binarisation, 3,280 passes", 86.76),
    ("pythae's VAE reproduction, static binarisation", 89.78),
]
CONFIG = ModelConfig(kind="vae", arch="mlp", latent_dim=50, hidden=(200, 200), likelihood="bernoulli")
TEST_BINARIZATION_SEED = 0


def binarized_test_set() -> torch.Tensor:
    x, _ = load_mnist("test")
    return torch.bernoulli(x, generator=torch.Generator().manual_seed(TEST_BINARIZATION_SEED))


@torch.inference_mode()
def quick_nll(model: torch.nn.Module, x: torch.Tensor, k: int) -> float:
    model.eval()
    value = float(iwae_nll(model, x, k, generator=torch.Generator().manual_seed(1)).mean())
    model.train()
    return value


def train(minutes: float, batch_size: int, lr: float, lr_final: float, seed: int, curve_every: float) -> dict:
    """Train for ``minutes`` of wall clock; returns the model, epochs, seconds and a learning curve."""
    torch.manual_seed(seed)
    train_x = torch.cat([load_mnist("train")[0], load_mnist("valid")[0]])  # the paper trains on all 60k
    curve_x = binarized_test_set()[:1000]
    model = build_model(CONFIG)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-4)
    budget = 60.0 * minutes
    started = time.perf_counter()
    epoch, curve, next_point = 0, [], 0.0
    generator = torch.Generator().manual_seed(seed)
    while (elapsed := time.perf_counter() - started) < budget:
        for group in optimizer.param_groups:  # exponential decay over the budget, fixed within an epoch
            group["lr"] = lr * (lr_final / lr) ** (elapsed / budget)
        epoch += 1
        total = 0.0
        for index in torch.randperm(len(train_x), generator=generator).split(batch_size):
            x = torch.bernoulli(train_x[index], generator=generator)
            loss = model_loss(model, x).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
        elapsed = time.perf_counter() - started
        if elapsed >= next_point or elapsed >= budget:
            point = {
                "epoch": epoch,
                "minutes": round(elapsed / 60, 2),
                "train_neg_elbo": round(total / len(train_x), 3),
            }
            point["test_nll_k100_first1000"] = round(quick_nll(model, curve_x, 100), 3)
            curve.append(point)
            print(f"  {point}", flush=True)
            next_point = elapsed + 60.0 * curve_every
    return {"model": model.eval(), "epochs": epoch, "seconds": time.perf_counter() - started, "curve": curve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock training budget")
    parser.add_argument("--k", type=int, default=5000, help="importance samples for the final test NLL")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-final", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--curve-every", type=float, default=3.0, help="minutes between learning-curve points")
    parser.add_argument("--out", type=Path, default=Path("runs/nll-benchmark"), help="where to save the model")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()

    print(f"training {CONFIG} for {args.minutes} minutes on {torch.get_num_threads()} threads", flush=True)
    result = train(args.minutes, args.batch_size, args.lr, args.lr_final, args.seed, args.curve_every)
    model = result["model"]
    test_x = binarized_test_set()
    started = time.perf_counter()
    with torch.inference_mode():
        nll = float(iwae_nll(model, test_x, args.k, generator=torch.Generator().manual_seed(2)).mean())
        elbo = float(per_image_scores(model, test_x, torch.Generator().manual_seed(3))["neg_elbo"].mean())
    eval_seconds = time.perf_counter() - started
    record = Checkpoint(
        path=args.out,
        model=CONFIG,
        training=TrainConfig(
            epochs=result["epochs"],
            batch_size=args.batch_size,
            lr=args.lr,
            binarize="dynamic",
            seed=args.seed,
            max_minutes=args.minutes,
        ),
        dataset={"name": "mnist", "train_size": 60_000, "test_binarization_seed": TEST_BINARIZATION_SEED},
        metrics={"test_nll_iwae": nll, "iwae_k": args.k, "test_neg_elbo": elbo},
        history=result["curve"],
        info={"command": command_line()},
    )
    save_checkpoint(args.out, model, record)

    lines = [
        "## Likelihood benchmark: one-stochastic-layer VAE on binarised MNIST",
        "",
        f"Command: `{command_line()}` · torch {torch.__version__}, {torch.get_num_threads()} threads, 2-core CPU.",
        "MLP 784-200-200-50 VAE, Bernoulli likelihood, dynamic binarisation of the 60k training images, "
        f"test set binarised once (seed {TEST_BINARIZATION_SEED}), Adam (eps 1e-4) lr {args.lr:g} decaying to "
        f"{args.lr_final:g} over the budget, batch {args.batch_size}.",
        "",
        "| result | test NLL (nats) |",
        "|---|---:|",
        f"| **this run**: {result['epochs']} passes in {result['seconds'] / 60:.1f} min, k = {args.k} "
        f"| **{nll:.2f}** |",
        f"| this run, single-sample negative ELBO | {elbo:.2f} |",
        *[f"| {name} | {value:.2f} |" for name, value in ANCHORS],
        "",
        f"Target: 90 nats or better within 30 minutes of CPU training. Evaluation took {eval_seconds / 60:.1f} min.",
        "",
        "Learning curve (NLL with k = 100 on the first 1,000 binarised test images):",
        "",
        "| minutes | passes | train negative ELBO | test NLL (k=100, 1k images) |",
        "|---:|---:|---:|---:|",
        *[
            f"| {p['minutes']} | {p['epoch']} | {p['train_neg_elbo']:.2f} | {p['test_nll_k100_first1000']:.2f} |"
            for p in result["curve"]
        ],
    ]
    text = "\n".join(lines)
    print(text)
    if not math.isfinite(nll):
        raise SystemExit("the NLL estimate is not finite")
    if not args.no_write:
        write_section("nll-benchmark", text)


if __name__ == "__main__":
    main()
