"""Timings and numbers of the true posterior and the inference gap (vae.true_posterior, vae.inference_gap).

On the shipped z = 2 VAE: decoding the prior's view once (65 and 129 nodes per axis), the per-image update on it
(one matrix-vector product and a log-sum-exp, what a drawn digit costs), the close view and q* per digit, and the
gap split of a few test digits (binarised once with seed 0). On the shipped z = 16 VAE: the estimated split and
the posterior on the PCA slice. Writes the "inference-gap" section of BENCHMARKS.md.

    python bench/inference_gap.py                    # the digits 0 (a 7), 18 (a 3) and 159 (a 4 or a 9)
    python bench/inference_gap.py --digits 0 1 2 --no-write
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from bench._report import command_line, cpu_line, publish
from vae.checkpoint import load
from vae.data import load_dataset
from vae.inference_gap import gap_split
from vae.true_posterior import decode_grid, log_marginal, posterior_slice, prior_view

ROOT = Path(__file__).resolve().parent.parent / "checkpoints"


def timed(work, repeats: int) -> tuple[float, object]:
    """The median seconds of ``repeats`` calls of ``work()``, and its last result."""
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def grid_rows(model: torch.nn.Module, x: torch.Tensor, repeats: int) -> list[str]:
    rows = ["| prior's view | decode once | per image (log p(x, z), log p(x)) | logits |", "|---|---|---|---|"]
    for n in (65, 129):
        grid = prior_view(n)
        build, decoder = timed(lambda grid=grid: decode_grid(model, grid), repeats)
        update, _ = timed(lambda d=decoder, g=grid: log_marginal(d.log_joint(x), g), 10 * repeats)
        size = decoder.weights.numel() * 4 / 1e6
        rows.append(f"| {n} x {n} | {build * 1000:.0f} ms | {update * 1000:.2f} ms | {size:.0f} MB float32 |")
    return rows


def split_rows(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor, digits: list[int]) -> list[str]:
    prior = decode_grid(model, prior_view())
    rows = [
        "| test digit | label | log p(x) | ELBO(q) | ELBO(q*) | gap = KL(q‖p(z|x)) | approximation | amortisation "
        "| KL on the grid | close view | q* |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i in digits:
        s = gap_split(model, x[i], prior=prior)
        grid = s.decoder.grid
        rows.append(
            f"| {i} | {int(labels[i])} | {s.log_px:.3f} ± {s.log_px_error:.0e} | {s.elbo_q:.3f} | {s.elbo_qstar:.3f} "
            f"| {s.total_gap:.3f} | {s.approximation_gap:.3f} | {s.amortisation_gap:.3f} | {s.kl_grid:.3f} "
            f"| {grid.n}² nodes, {s.seconds['grid'] * 1000:.0f} ms | {s.qstar.evaluations} evaluations, "
            f"{s.seconds['qstar'] * 1000:.0f} ms |"
        )
    return rows


def z16_rows(x: torch.Tensor, images: torch.Tensor, digits: list[int]) -> list[str]:
    model = load(ROOT / "vae-z16").eval()
    with torch.inference_mode():
        codes = model.encode(images[:2000]).mean
    directions = torch.linalg.svd(codes - codes.mean(0), full_matrices=False).Vh[:2]
    rows = [
        "| test digit | log p(x) (k = 5,000) | ELBO(q) | ELBO(q*) | approximation | amortisation | split | slice |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i in digits:
        started = time.perf_counter()
        s = gap_split(model, x[i])
        split_seconds = time.perf_counter() - started
        slice_seconds, sliced = timed(lambda i=i: posterior_slice(model, x[i], directions), 1)
        rows.append(
            f"| {i} | {s.log_px:.2f} ± {s.log_px_error:.2f} ({s.log_px_source.split(', ')[1]}) "
            f"| {s.elbo_q:.2f} ± {s.elbo_error:.2f} | {s.elbo_qstar:.2f} | {s.approximation_gap:.2f} "
            f"| {s.amortisation_gap:.2f} | {split_seconds:.1f} s | {sliced.decoder.grid.n}², {slice_seconds:.2f} s |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", type=int, nargs="+", default=[0, 18, 159])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    images, labels = load_dataset("mnist", "test")
    x = torch.bernoulli(images[: max(args.digits) + 1], generator=torch.Generator().manual_seed(0))
    model = load(ROOT / "vae-z2").eval()
    gap_split(model, x[args.digits[0]], prior=decode_grid(model, prior_view(17)))  # the one-off warm-up
    body = "\n".join(
        [
            "## The true posterior and the inference gap",
            "",
            f"`{command_line()}` on {cpu_line()}, {torch.get_num_threads()} torch threads. Binarised test digits "
            "(seed 0); nats. Times are medians (the first call of a process pays a one-off warm-up).",
            "",
            *grid_rows(model, x[args.digits[0]], args.repeats),
            "",
            *split_rows(model, x, labels, args.digits),
            "",
            "z = 16 (estimated: log p(x) the higher of the k = 5,000 bounds with q and with q* as the proposal):",
            "",
            *z16_rows(x, images, args.digits),
        ]
    )
    publish("inference-gap", body, write=not args.no_write)


if __name__ == "__main__":
    main()
