"""MNIST likelihood benchmark in the setting of the importance-weighted autoencoder paper (Burda et al. 2016).

One stochastic layer: MLP 784-200-200-50 with tanh-free ReLU bodies from vae.models, Bernoulli likelihood,
training images binarised afresh for every batch (dynamic binarisation), the 10k test images binarised once
with a fixed seed. Training runs for a wall-clock budget with Adam (torch's fused kernel, vae.fast.fused_adam); the
learning rate falls step by step from 1e-3 to 1e-4 over that budget, exponentially (the paper decays it in
stages over 3,280 passes), and the KL term's weight rises from 0 to 1 over the first 20% of it (KL warm-up:
without it the model used 12 of its 50 latent dimensions; trials in BENCHMARKS.md). --schedule cosine, --ema (a
moving average of the weights) and --adam-eps are there to try others. Then the test negative log-likelihood
is estimated with k = 5000 importance samples.

--passes N trains for N passes instead of a time budget, with the schedules following the steps taken: a
loaded machine then trains the same way, only slower, which is what recipe trials need (bench/nll_trials.py).

    python bench/nll.py --minutes 30
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from bench._report import command_line, cpu_line, write_section
from vae.checkpoint import Checkpoint, save_checkpoint
from vae.config import ModelConfig, TrainConfig
from vae.data import Binarizer, load_mnist
from vae.evaluate import iwae_nll, latent_statistics, per_image_scores
from vae.fast.fused_adam import FusedAdam
from vae.fast.mlp_step import MLPVAEStep
from vae.likelihood import TEST_BINARIZATION_SEED, binarize
from vae.losses import model_loss
from vae.models import build_model

ANCHORS = [
    ("IWAE paper, VAE k=1, 1 stochastic layer, dynamic binarisation, 3,280 passes", 86.76),
    ("pythae's VAE reproduction, static binarisation", 89.78),
]
TARGET_NATS = 86.76  # the first anchor, which issue 27 sets as the target (issue 14's was 88.0)
CONFIG = ModelConfig(kind="vae", arch="mlp", latent_dim=50, hidden=(200, 200), likelihood="bernoulli")


def binarized_test_set() -> torch.Tensor:
    """The 10k test images binarised once with a fixed seed: the same draw vae.evaluate scores binarised models on."""
    x, _ = load_mnist("test")
    return binarize(x, TEST_BINARIZATION_SEED)


@torch.inference_mode()
def gauge(model: torch.nn.Module, x: torch.Tensor, k: int = 100) -> dict:
    """The learning curve's quick scores on a slice of the test set: NLL with k importance samples, and the
    active units (latent dimensions whose posterior mean varies across the images)."""
    model.eval()
    nll = float(iwae_nll(model, x, k, generator=torch.Generator().manual_seed(1)).mean())
    active = latent_statistics(model, x)["active_units"]
    model.train()
    return {f"test_nll_k{k}_first{len(x)}": round(nll, 3), "active_units": active}


def learning_rate(fraction: float, lr: float, lr_final: float, schedule: str) -> float:
    """The step size ``fraction`` of the way through the budget: exponential or cosine from lr to lr_final."""
    fraction = min(max(fraction, 0.0), 1.0)
    if schedule == "cosine":
        return lr_final + 0.5 * (lr - lr_final) * (1.0 + math.cos(math.pi * fraction))
    return lr * (lr_final / lr) ** fraction


def kl_weight(fraction: float, warmup: float) -> float:
    """The KL term's weight ``fraction`` of the way through the budget: rising linearly from 0 to 1 over the
    first ``warmup`` of it (Sonderby et al. 2016), then 1; always 1 without warm-up."""
    return 1.0 if warmup <= 0 else min(1.0, max(fraction, 0.0) / warmup)


@dataclass
class Budget:
    """How long training runs: ``seconds`` of wall clock, or ``passes`` over the data when given. The schedules
    read ``fraction()``: the share of the time used, or of the steps taken when the budget is in passes."""

    seconds: float
    passes: int | None = None
    steps_per_pass: int = 1
    started: float = field(default_factory=time.perf_counter)
    steps: int = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def fraction(self) -> float:
        if self.passes is not None:
            return self.steps / (self.passes * self.steps_per_pass)
        return self.elapsed() / self.seconds

    def done(self, passes_made: int) -> bool:
        return passes_made >= self.passes if self.passes is not None else self.elapsed() >= self.seconds


class WeightAverage:
    """An exponential moving average of the weights (Polyak averaging), kept beside the model being trained.

    The average is what gets scored: it smooths the last stretch of Adam's noisy steps, which the small final
    learning rate alone does only slowly."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        self._live = [p.detach() for p in model.parameters()]
        self._mine = [p.detach() for p in self.model.parameters()]

    @torch.no_grad()
    def update(self) -> None:
        torch._foreach_lerp_(self._mine, self._live, 1.0 - self.decay)


def _one_pass(model, optimizer, average, train_x, settings: dict, budget: Budget, sources) -> float:
    """One pass over the training images; returns the mean training negative ELBO (at the weight the KL term
    had at each step)."""
    generator, binarize, step = sources
    total = 0.0
    for index in torch.randperm(len(train_x), generator=generator).split(settings["batch_size"]):
        fraction = budget.fraction()
        optimizer.defaults["lr"] = learning_rate(fraction, settings["lr"], settings["lr_final"], settings["schedule"])
        beta = kl_weight(fraction, settings["warmup"])
        x = binarize(train_x[index])  # dynamic binarisation, fresh every batch
        if step is not None:  # the hand-written backward pass (vae.fast.mlp_step) fills the gradients
            loss = step(x, beta).loss
        else:
            loss = model_loss(model, x, beta).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
        optimizer.step()
        budget.steps += 1
        if average is not None:
            average.update()
        total += float(loss.detach()) * len(index)
    return total / len(train_x)


def train(budget: Budget, settings: dict, seed: int, curve_every: float) -> dict:
    """Train until ``budget`` is spent; returns the model scored (the weight average when there is one), the
    passes, seconds and a learning curve (a point every ``curve_every`` minutes, and one after the last pass)."""
    torch.manual_seed(seed)
    train_x = torch.cat([load_mnist("train")[0], load_mnist("valid")[0]])  # the paper trains on all 60k
    curve_x = binarized_test_set()[:1000]
    model = build_model(CONFIG)
    optimizer = FusedAdam(model.parameters(), lr=settings["lr"], eps=settings["adam_eps"])
    average = WeightAverage(model, settings["ema"]) if settings["ema"] else None
    scored = average.model if average is not None else model
    budget.steps_per_pass = math.ceil(len(train_x) / settings["batch_size"])
    budget.started = time.perf_counter()
    epoch, curve, next_point = 0, [], 0.0
    generator = torch.Generator().manual_seed(seed)
    step = None if settings["autograd"] else MLPVAEStep(model)
    sources = (generator, Binarizer(seed), step)
    while not budget.done(epoch):
        epoch += 1
        train_loss = _one_pass(model, optimizer, average, train_x, settings, budget, sources)
        elapsed = budget.elapsed()
        if elapsed >= next_point or budget.done(epoch):
            point = {"epoch": epoch, "minutes": round(elapsed / 60, 2), "train_neg_elbo": round(train_loss, 3)}
            point.update(gauge(scored, curve_x))
            curve.append(point)
            print(f"  {point}", flush=True)
            next_point = elapsed + 60.0 * curve_every
    return {"model": scored.eval(), "epochs": epoch, "seconds": budget.elapsed(), "curve": curve}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock training budget")
    parser.add_argument(
        "--passes", type=int, default=None, help="train for this many passes instead of --minutes (for trials)"
    )
    parser.add_argument("--k", type=int, default=5000, help="importance samples for the final test NLL")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-final", type=float, default=1e-4)
    parser.add_argument(
        "--schedule",
        choices=("exponential", "cosine"),
        default="exponential",
        help="how the learning rate falls from --lr to --lr-final over the budget, step by step",
    )
    parser.add_argument(
        "--ema",
        type=float,
        default=0.0,
        help="score an exponential moving average of the weights with this decay (0 = off)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.2,
        help="share of the budget over which the KL term's weight rises from 0 to 1 (0 = no warm-up)",
    )
    parser.add_argument("--adam-eps", type=float, default=1e-4, help="Adam's epsilon (the paper's 1e-4)")
    parser.add_argument(
        "--autograd",
        action="store_true",
        help="train with autograd's backward pass instead of vae.fast.mlp_step's hand-written one (same gradients)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--curve-every", type=float, default=3.0, help="minutes between learning-curve points")
    parser.add_argument("--out", type=Path, default=Path("runs/nll-benchmark"), help="where to save the model")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    return parser


def evaluate_and_save(args: argparse.Namespace, result: dict) -> dict:
    """The full-test-set NLL (k importance samples) and single-sample ELBO; saves the scored model."""
    model = result["model"]
    test_x = binarized_test_set()
    started = time.perf_counter()
    with torch.inference_mode():
        nll = float(iwae_nll(model, test_x, args.k, generator=torch.Generator().manual_seed(2)).mean())
        elbo = float(per_image_scores(model, test_x, torch.Generator().manual_seed(3))["neg_elbo"].mean())
    scores = {"test_nll_iwae": nll, "iwae_k": args.k, "test_neg_elbo": elbo}
    record = Checkpoint(
        path=args.out,
        model=CONFIG,
        training=TrainConfig(
            epochs=result["epochs"],
            batch_size=args.batch_size,
            lr=args.lr,
            warmup_epochs=round(args.warmup * result["epochs"]),  # the passes the KL weight took to reach 1
            binarize="dynamic",
            seed=args.seed,
            max_minutes=args.minutes,
        ),
        dataset={"name": "mnist", "train_size": 60_000, "test_binarization_seed": TEST_BINARIZATION_SEED},
        metrics=scores,
        history=result["curve"],
        info={"command": command_line()},
    )
    save_checkpoint(args.out, model, record)
    return {**scores, "eval_seconds": time.perf_counter() - started}


def report(args: argparse.Namespace, result: dict, scores: dict, loads: list[float]) -> str:
    """The BENCHMARKS.md section: setting, result against the anchors, passes per minute, learning curve."""
    minutes = result["seconds"] / 60
    averaging = f", scored with an exponential moving average of the weights (decay {args.ema:g})" if args.ema else ""
    warmup = f", KL weight rising from 0 to 1 over the first {args.warmup:.0%} of the budget" if args.warmup else ""
    return "\n".join(
        [
            "## Likelihood benchmark: one-stochastic-layer VAE on binarised MNIST",
            "",
            f"Command: `{command_line()}` · torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"2-core CPU · load average {loads[0]:.1f} before, {loads[1]:.1f} after training, "
            f"{loads[2]:.1f} after evaluation.",
            "MLP 784-200-200-50 VAE, Bernoulli likelihood, dynamic binarisation of the 60k training images, "
            f"test set binarised once (seed {TEST_BINARIZATION_SEED}), fused Adam (eps {args.adam_eps:g}), "
            f"lr {args.lr:g} falling to {args.lr_final:g} ({args.schedule}, step by step) over the budget, batch "
            f"{args.batch_size}{averaging}{warmup}.",
            "",
            "| result | test NLL (nats) |",
            "|---|---:|",
            f"| **this run**: {result['epochs']} passes in {minutes:.1f} min "
            f"({result['epochs'] / minutes:.1f} passes per minute), k = {args.k} | **{scores['test_nll_iwae']:.2f}** |",
            f"| this run, single-sample negative ELBO | {scores['test_neg_elbo']:.2f} |",
            *[f"| {name} | {value:.2f} |" for name, value in ANCHORS],
            "",
            f"Target (issue 27): at most {TARGET_NATS} nats, the IWAE paper's one-layer VAE, within 30 minutes of"
            f" CPU training: {'met' if scores['test_nll_iwae'] <= TARGET_NATS else '**missed**'}."
            f" CPU: {cpu_line()}. Evaluation took {scores['eval_seconds'] / 60:.1f} min.",
            "",
            "Learning curve (NLL with k = 100 on the first 1,000 binarised test images, of the weights scored):",
            "",
            "| minutes | passes | train negative ELBO | test NLL (k=100, 1k images) | active units |",
            "|---:|---:|---:|---:|---:|",
            *[
                f"| {p['minutes']} | {p['epoch']} | {p['train_neg_elbo']:.2f} | {p['test_nll_k100_first1000']:.2f} "
                f"| {p['active_units']} |"
                for p in result["curve"]
            ],
        ]
    )


def main() -> None:
    args = build_parser().parse_args()
    length = f"{args.passes} passes" if args.passes is not None else f"{args.minutes} minutes"
    print(f"training {CONFIG} for {length} on {torch.get_num_threads()} threads", flush=True)
    loads = [os.getloadavg()[0]]
    keys = ("batch_size", "lr", "lr_final", "schedule", "ema", "warmup", "adam_eps", "autograd")
    settings = {key: getattr(args, key) for key in keys}
    result = train(Budget(60.0 * args.minutes, args.passes), settings, args.seed, args.curve_every)
    loads.append(os.getloadavg()[0])
    scores = evaluate_and_save(args, result)
    loads.append(os.getloadavg()[0])
    text = report(args, result, scores, loads)
    print(text)
    if not math.isfinite(scores["test_nll_iwae"]):
        raise SystemExit("the NLL estimate is not finite")
    if not args.no_write:
        write_section("nll-benchmark", text)


if __name__ == "__main__":
    main()
