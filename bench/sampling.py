"""Sample quality of every shipped model under three samplers, and conditional accuracy per digit.

For each AE/VAE checkpoint: N(0, I), N(0, I) at a temperature, and a 10-component Gaussian mixture fitted to
the training codes (vae.fit_latent_density), each scored by the shipped classifier (recognisable share,
class coverage, Frechet distance to the 10k test images). Then, for vae-z16, the share of conditional
samples (one Gaussian per digit) the classifier labels as the requested digit, per digit and temperature.
Writes the "sampling" section of BENCHMARKS.md.

    python bench/sampling.py                      # 10,000 draws per cell, 1,000 per digit (the full run)
    python bench/sampling.py --draws 500 --per-digit 100 --no-write   # a smoke run
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from bench._report import command_line, write_section
from explorer.sampling.generation import (
    CONDITIONAL_TEMPERATURE,
    MIXTURE_COMPONENTS,
    agreement,
    conditional_images,
    sampler_images,
)
from vae.checkpoint import load
from vae.data import load_mnist
from vae.density import fit_latent_density
from vae.metrics import mnist_test_features, sample_quality

ROOT = Path(__file__).resolve().parent.parent / "checkpoints"
MODELS = ("vae-z2", "ae-z2", "vae-z16", "ae-z16")
CONDITIONAL_MODEL = "vae-z16"
TEMPERED = 0.8
CONDITIONAL_TEMPERATURES = (1.0, 0.8, 0.7, CONDITIONAL_TEMPERATURE)


def sampler_rows(args: argparse.Namespace, classifier: torch.nn.Module, reference: torch.Tensor) -> tuple[list, dict]:
    """One table row per model and sampler; also returns the fitted densities by model name."""
    x, labels = load_mnist("train")
    rows, densities = [], {}
    samplers = (("prior", "N(0, I)", 1.0), ("tempered", f"N(0, I), T = {TEMPERED}", TEMPERED))
    samplers += (("mixture", f"mixture, {MIXTURE_COMPONENTS} components", 1.0),)
    for name in MODELS:
        if not (args.root / name).is_dir():
            continue
        model = load(args.root / name).eval()
        started = time.perf_counter()
        densities[name] = (model, fit_latent_density(model, x, labels, components=MIXTURE_COMPONENTS))
        fit_seconds = time.perf_counter() - started
        for sampler, label, temperature in samplers:
            images = sampler_images(model, densities[name][1], sampler, args.draws, args.seed, temperature)
            q = sample_quality(torch.from_numpy(images).unsqueeze(1), classifier, reference)
            rows.append(
                f"| `{name}` | {label} | {q['recognisable_share']:.1%} | {q['class_coverage']:.3f} "
                f"| {q['frechet_distance']:.1f} |"
            )
        print(f"{name}: density fitted in {fit_seconds:.1f} s, scored", flush=True)
    return rows, densities


def conditional_rows(args: argparse.Namespace, classifier: torch.nn.Module, densities: dict) -> list[str]:
    """Per temperature: the classifier's agreement with the requested digit, for each digit."""
    if CONDITIONAL_MODEL not in densities:
        return []
    model, density = densities[CONDITIONAL_MODEL]
    rows = []
    for temperature in CONDITIONAL_TEMPERATURES:
        shares = [
            agreement(classifier, conditional_images(model, density, d, args.per_digit, args.seed + d, temperature), d)
            for d in range(10)
        ]
        default = " (default)" if temperature == CONDITIONAL_TEMPERATURE else ""
        cells = " | ".join(f"{s:.1%}" for s in shares)
        rows.append(f"| {temperature:g}{default} | {cells} | {min(shares):.1%} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=10_000, help="decoded draws per model and sampler")
    parser.add_argument("--per-digit", type=int, default=1_000, help="conditional samples per digit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", type=Path, default=ROOT, help="folder of the checkpoints")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args(argv)
    load_before, started = os.getloadavg()[0], time.perf_counter()
    classifier = load(args.root / "classifier").eval()
    reference = mnist_test_features(classifier)
    rows, densities = sampler_rows(args, classifier, reference)
    conditional = conditional_rows(args, classifier, densities)
    minutes = (time.perf_counter() - started) / 60
    body = "\n".join(
        [
            "## Sampling: prior, tempered prior and a mixture fitted to the training codes",
            "",
            f"`{command_line()}` ({minutes:.1f} min; load average {load_before:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end; torch {torch.__version__}, {torch.get_num_threads()} threads).",
            f"{args.draws:,} draws per cell, seed {args.seed}, judged by `checkpoints/classifier`: recognisable = "
            "classifier at least 90% sure; coverage = entropy of the guessed digits (max 2.303 nats); Frechet "
            "distance to the 10k test images in the classifier's feature space. The mixture is "
            f"`vae.fit_latent_density(model, train_x, train_y, components={MIXTURE_COMPONENTS})` (full covariances, "
            "fitted on 10k of the 50k training codes).",
            "",
            "| model | sampler | recognisable | coverage | Frechet |",
            "|---|---|---:|---:|---:|",
            *rows,
            "",
            f"Conditional samples of `{CONDITIONAL_MODEL}` (one Gaussian per digit, fitted on the training codes): "
            f"share of {args.per_digit:,} samples per digit that the classifier labels as the requested digit.",
            "",
            "| temperature | " + " | ".join(str(d) for d in range(10)) + " | worst |",
            "|---:|" + "---:|" * 11,
            *conditional,
        ]
    )
    if args.draws < 10_000 or args.per_digit < 1_000:
        body += "\n\nA smoke run on fewer draws than the full benchmark; `python bench/sampling.py` gives the real one."
    if args.no_write:
        print(body)
    else:
        write_section("sampling", body)
        print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
