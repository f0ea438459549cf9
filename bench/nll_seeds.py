"""Seed-to-seed spread of the likelihood benchmark's training, for both training paths, at a fixed number of passes.

For each seed, two processes run side by side on one thread each: the old path (autograd, ``torch.bernoulli``)
and the default one (``vae.mlp_step``'s backward pass, ``vae.data.Binarizer``). Each trains bench/nll.py's
784-200-200-50 VAE for ``--passes`` passes at a constant learning rate and prints its last pass's training
negative ELBO and the k = 100 gauge on the first 1,000 binarised test images. Prints a Markdown table; the
numbers go into BENCHMARKS.md by hand, under the likelihood table.

    python bench/nll_seeds.py --passes 30 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = {"old": "autograd + `torch.bernoulli`", "new": "`vae.mlp_step` + `Binarizer`"}


def one_run(path: str, seed: int, passes: int, lr: float) -> dict:
    """Train one model in this process (one thread) and return its figures."""
    import nll
    import torch

    from vae.data import Binarizer, load_mnist
    from vae.fused_adam import FusedAdam
    from vae.mlp_step import MLPVAEStep
    from vae.models import build_model

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    train_x = torch.cat([load_mnist("train")[0], load_mnist("valid")[0]])
    model = build_model(nll.CONFIG)
    optimizer = FusedAdam(model.parameters(), lr=lr, eps=1e-4)
    generator = torch.Generator().manual_seed(seed)
    if path == "old":
        sources = (generator, lambda x: torch.bernoulli(x, generator=generator), None)
    else:
        sources = (generator, Binarizer(seed), MLPVAEStep(model))
    settings = {"batch_size": 100, "lr": lr, "lr_final": lr, "schedule": "exponential"}
    started = time.perf_counter()
    for _ in range(passes):
        loss = nll._one_pass(model, optimizer, None, train_x, settings, (time.perf_counter(), 1e9), sources)
    seconds = time.perf_counter() - started
    gauge = nll.quick_nll(model, nll.binarized_test_set()[:1000], 100)
    return {"train": loss, "gauge": gauge, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--one", nargs=2, metavar=("PATH", "SEED"), help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one[0], int(args.one[1]), args.passes, args.lr)))
        return
    rows = []
    for seed in args.seeds:
        children = {
            path: subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--passes",
                    str(args.passes),
                    "--lr",
                    str(args.lr),
                    "--one",
                    path,
                    str(seed),
                ],
                stdout=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).resolve().parent,
            )
            for path in PATHS
        }
        results = {
            path: json.loads(child.communicate()[0].strip().splitlines()[-1]) for path, child in children.items()
        }
        rows.append((seed, results))
        print(seed, results, flush=True)
    print(f"\n{args.passes} passes at lr {args.lr:g}, k = 100 gauge (training negative ELBO of the last pass):\n")
    print("| seed | " + " | ".join(PATHS.values()) + " |")
    print("|---:|" + "---:|" * len(PATHS))
    for seed, results in rows:
        cells = [f"{results[p]['gauge']:.2f} ({results[p]['train']:.2f})" for p in PATHS]
        print(f"| {seed} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
