"""Recipe trials for the likelihood benchmark: several settings ("arms") of bench/nll.py, several seeds each, at
a fixed number of passes.

Each run is its own `python bench/nll.py --passes P --k 1 --no-write` process on one thread, ``--parallel`` of
them side by side. A budget in passes makes the learning-rate and KL schedules follow the steps taken, so
runs sharing a loaded machine train exactly as they would alone, only slower. Each run is scored by its last
learning-curve point: the k = 100 gauge on the first 1,000 binarised test images. Seeds spread by up to about
0.8 nat at 30 passes, so an arm needs several seeds before a difference means anything. Prints a Markdown
table; the numbers go into BENCHMARKS.md by hand, under the likelihood table.

    python bench/nll_trials.py --passes 60 --seeds 0 1 --arm default= --arm "lr 3e-3=--lr 3e-3"
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NLL = Path(__file__).resolve().parent / "nll.py"


def parse_arm(text: str) -> tuple[str, list[str]]:
    """``"name=--flag value ..."`` as (name, extra arguments for bench/nll.py)."""
    name, _, flags = text.partition("=")
    if not name.strip():
        raise argparse.ArgumentTypeError(f"an arm is NAME=FLAGS, got {text!r}")
    return name.strip(), flags.split()


def last_point(output: str) -> dict:
    """The last learning-curve point bench/nll.py printed (its lines look like ``  {'epoch': 3, ...}``)."""
    points = [ast.literal_eval(line.strip()) for line in output.splitlines() if line.startswith("  {")]
    if not points:
        raise RuntimeError(f"bench/nll.py printed no learning-curve point:\n{output[-2000:]}")
    return points[-1]


def one_run(flags: list[str], seed: int, passes: int, folder: Path) -> dict:
    """One trial as its own one-thread process; returns its last curve point and the seconds it took."""
    command = [sys.executable, str(NLL), "--passes", str(passes), "--k", "1", "--no-write", "--seed", str(seed)]
    command += ["--curve-every", "1e9", "--out", str(folder / f"run-{seed}-{time.monotonic_ns()}"), *flags]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return {**last_point(done.stdout), "seconds": time.perf_counter() - started}


def table(arms: list[tuple[str, list[str]]], seeds: list[int], results: dict) -> str:
    """Markdown: one row per arm, the gauge (training negative ELBO; active units) per seed, and the mean gauge."""
    lines = ["| arm | flags | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |"]
    lines.append("|---|---|" + "---:|" * (len(seeds) + 1))
    for name, flags in arms:
        runs = [results[name, s] for s in seeds]
        cells = [f"{r['test_nll_k100_first1000']:.2f} ({r['train_neg_elbo']:.2f}; {r['active_units']})" for r in runs]
        mean = statistics.mean(r["test_nll_k100_first1000"] for r in runs)
        lines.append(f"| {name} | `{' '.join(flags) or '(defaults)'}` | " + " | ".join(cells) + f" | {mean:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=60)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--arm", type=parse_arm, action="append", required=True, help="NAME=FLAGS for bench/nll.py")
    parser.add_argument("--parallel", type=int, default=2, help="runs side by side (one thread each)")
    args = parser.parse_args()
    jobs = [(name, flags, seed) for seed in args.seeds for name, flags in args.arm]
    started, load = time.time(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(args.parallel) as pool:
        futures = {(n, s): pool.submit(one_run, f, s, args.passes, Path(folder)) for n, f, s in jobs}
        results = {}
        for key, future in futures.items():
            results[key] = future.result()
            print(key, results[key], flush=True)
    print(
        f"\n{args.passes} passes per run, {args.parallel} runs side by side on one thread each, "
        f"{(time.time() - started) / 60:.1f} min in all, load average {load:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after. k = 100 gauge at the end (training negative ELBO of the last pass; "
        "active units):\n"
    )
    print(table(args.arm, args.seeds, results))


if __name__ == "__main__":
    main()
