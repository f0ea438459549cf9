"""Training throughput: the real ``python -m vae.train`` command against a reference VAE script, as whole processes.

Side by side in one run (interleaved when repeated, so both see the same machine):

(a) ``python -m vae.train --kind vae --arch mlp --latent-dim 20 --epochs N`` exactly as a user types it
    (plus ``--out``): its defaults, its per-epoch validation and checkpoint, its progress bar;
(b) ``bench/reference_vae.py``: our own script set up as pytorch/examples' ``vae/main.py`` (DataLoader over
    torchvision's MNIST with ToTensor, BCE-sum + KL, Adam 1e-3, batch 128, a test pass every epoch).

(c) with ``--example DIR`` (a checkout of https://github.com/pytorch/examples, not part of this repository):
    that example's ``vae/main.py`` itself, unchanged, in a scratch folder whose ``../data`` is this project's
    MNIST, with the torch that ``--example-python`` runs (default: this one, through bench/run_example.py,
    which makes torchvision importable; a Python whose torchvision imports runs it directly).

Reported: whole-process wall time and its ratio, test losses (one posterior sample per test image, as the
reference reports it), images per second of the training passes, and, from a step-only measurement in this
process, the fraction of the CPU's matrix-multiply peak (a plain large matmul, measured here) that one
training step of the 784-400-20 MLP reaches.

    python bench/train_throughput.py --epochs 3 --repeats 3
    python bench/train_throughput.py --epochs 3 --repeats 3 --example ~/src/pytorch-examples
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from bench._report import command_line, cpu_line, publish
from vae.checkpoint import load, read_checkpoint
from vae.config import ModelConfig, TrainConfig
from vae.data import data_dir, load_mnist
from vae.evaluate import per_image_scores
from vae.fast.mlp_step import step_for
from vae.fast.precision import has_native_bf16, precision_context, resolve_precision
from vae.models import build_model
from vae.optim import make_optimizer
from vae.training import _batch_terms

REPO = Path(__file__).resolve().parent.parent
CONFIG = ModelConfig(kind="vae", arch="mlp", latent_dim=20, hidden=(400,))
OURS = ["-m", "vae.train", "--kind", "vae", "--arch", "mlp", "--latent-dim", "20"]
LAYERS = [(784, 400), (400, 20), (400, 20), (20, 400), (400, 784)]
# Multiply-adds of one image's forward pass, x2 for FLOPs; the backward pass costs about twice the forward.
STEP_FLOPS_PER_IMAGE = 3 * 2 * sum(fan_in * fan_out for fan_in, fan_out in LAYERS)
BATCH = 128


def run_ours(epochs: int, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, *OURS, "--epochs", str(epochs), "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"vae.train failed ({done.returncode}):\n{done.stderr[-2000:]}")
    record = read_checkpoint(out)
    passes = sum(entry["seconds"] for entry in record.history)
    x, _ = load_mnist("test")
    model = load(out).eval()
    test = float(per_image_scores(model, x, torch.Generator().manual_seed(0))["neg_elbo"].mean())
    return {
        "wall": wall,
        "test_loss": test,
        "train_images": record.dataset["train_size"] * len(record.history),
        "train_seconds": passes,
        "fit_seconds": float(record.progress["train_seconds"]),  # passes + validation + checkpoints
        "precision": record.training.precision,
        "fused_optimizer": record.training.fused_optimizer,
        "manual_backward": record.training.manual_backward,
    }


def run_reference(epochs: int) -> dict:
    command = [sys.executable, "bench/reference_vae.py", "--epochs", str(epochs), "--data", str(data_dir())]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"reference_vae.py failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return {"wall": wall, **json.loads(done.stdout.strip().splitlines()[-1])}


def run_example(epochs: int, example: Path, python: str) -> dict:
    """pytorch/examples' vae/main.py as it is: copied unchanged into a scratch folder beside a ``data`` link to our
    MNIST (the script reads ``../data`` and writes ``results/``), run as its own process."""
    with tempfile.TemporaryDirectory(prefix="example-vae-") as scratch:
        folder = Path(scratch) / "vae"
        (folder / "results").mkdir(parents=True)
        (Path(scratch) / "data").symlink_to(data_dir())
        shutil.copyfile(example / "vae" / "main.py", folder / "main.py")
        runner = [] if python != sys.executable else [str(REPO / "bench" / "run_example.py")]
        command = [python, *runner, "main.py", "--epochs", str(epochs)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"the example failed ({done.returncode}):\n{done.stderr[-2000:]}")
    losses = re.findall(r"Test set loss: ([0-9.]+)", done.stdout)
    return {"wall": wall, "test_loss": float(losses[-1]) if losses else float("nan")}


def example_version(python: str) -> str:
    probe = "import torch, torchvision; print(torch.__version__, torchvision.__version__)"
    if python == sys.executable:  # torchvision imports here only through the shim, as run_example.py applies it
        shim = f"import sys; sys.path.insert(0, {str(REPO)!r}); import vae._torchvision as t; t.import_torchvision()"
        probe = f"{shim}; {probe}"
    runner = ["-c", probe]
    out = subprocess.run([python, *runner], capture_output=True, text=True).stdout.split()
    return f"torch {out[0]}, torchvision {out[1]}" if len(out) == 2 else "unknown versions"


def matmul_peak(dtype: torch.dtype, n: int = 2048, rounds: int = 5) -> float:
    """GFLOP/s of the best of ``rounds`` plain n x n matmuls: what this CPU's BLAS reaches on easy work."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm-up: thread pool, packing buffers
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best / 1e9


def step_rates(steps: int = 40, rounds: int = 5) -> dict[str, float]:
    """Images per second of the training step alone (forward, loss, backward, Adam) on in-memory batches, for
    vae.train's default path (fused Adam, vae.fast.mlp_step's backward) and the plain one (autograd, torch's Adam),
    interleaved; the median of ``rounds``."""
    x = load_mnist("train")[0][: BATCH * steps]
    y = torch.zeros(len(x), dtype=torch.long)
    paths = {
        "default": TrainConfig(lr=1e-3),
        "plain": TrainConfig(lr=1e-3, precision="fp32", fused_optimizer=False, manual_backward=False),
    }
    setups = {}
    for name, config in paths.items():
        torch.manual_seed(0)
        model = build_model(CONFIG)
        precision = resolve_precision(config.precision, torch.device("cpu"), CONFIG.arch)
        step = step_for(model, dataclasses.replace(config, precision=precision))  # as vae.train decides
        setups[name] = (model, make_optimizer(model, config), precision, step)
    rates: dict[str, list[float]] = {name: [] for name in paths}
    for round_ in range(rounds + 1):
        for name, (model, optimizer, precision, step) in setups.items():
            started = time.perf_counter()
            for index in torch.arange(len(x)).split(BATCH):
                with precision_context(precision, x.device):
                    loss = _batch_terms(model, x[index], y[index], 1.0, step).loss
                if step is None:  # the hand-written step has already filled the gradients
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                optimizer.step()
            if round_:  # round 0 warms up
                rates[name].append(len(x) / (time.perf_counter() - started))
    return {name: statistics.median(values) for name, values in rates.items()}


def measure(epochs: int, repeats: int, out: Path, example: Path | None, example_python: str) -> dict:
    load_mnist("test")  # unpacks the shipped IDX files where torchvision (the reference) reads them
    subprocess.run([sys.executable, "-c", "import torch"], check=True)  # both start with torch in the page cache
    results: dict[str, list[dict]] = {"ours": [], "reference": [], **({"example": []} if example else {})}
    runs = {
        "ours": lambda: run_ours(epochs, out),
        "reference": lambda: run_reference(epochs),
        "example": lambda: run_example(epochs, example, example_python),
    }
    for repeat in range(repeats):
        order = list(results) if repeat % 2 == 0 else list(results)[::-1]
        for name in order:
            results[name].append(runs[name]())
            print(name, {k: round(v, 3) if isinstance(v, float) else v for k, v in results[name][-1].items()})
    return results


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _step_lines(steps: dict, peaks: dict, precision: str, optimizer: str) -> list[str]:
    """The training step alone against a plain matmul's peak, measured in the same run."""
    step_peak = {"default": peaks[precision], "plain": peaks["fp32"]}  # each against its own arithmetic's peak
    fraction = {name: rate * STEP_FLOPS_PER_IMAGE / 1e9 / step_peak[name] for name, rate in steps.items()}
    return [
        f"Training step alone (in-memory batches of 128, forward + loss + backward + Adam), against a plain"
        f" {2048}x{2048} matmul in this run ({peaks['fp32']:,.0f} GFLOP/s fp32"
        + (f", {peaks['bf16']:,.0f} GFLOP/s bf16" if "bf16" in peaks else "")
        + f"); a step is {STEP_FLOPS_PER_IMAGE * BATCH / 1e6:.0f} MFLOP:",
        "",
        "| step | images / s | GFLOP/s | fraction of matmul peak |",
        "|---|---:|---:|---:|",
        *[
            f"| {name} ({label}) | {steps[name]:,.0f} | {steps[name] * STEP_FLOPS_PER_IMAGE / 1e9:.1f}"
            f" | {fraction[name]:.0%} |"
            for name, label in (
                ("default", f"vae.train's default: {precision}, {optimizer}"),
                ("plain", "`--precision fp32 --no-fused-optimizer --no-manual-backward`"),
            )
        ],
    ]


def example_lines(args: argparse.Namespace, results: dict) -> list[str]:
    """Row (c), pytorch/examples' script as it is, when --example was given."""
    if "example" not in results:
        return []
    wall, loss = _median(results["example"], "wall"), _median(results["example"], "test_loss")
    return [
        f"| (c) pytorch/examples' `vae/main.py --epochs {args.epochs}`, unchanged"
        f" ({example_version(args.example_python)}) | {wall:.1f} | - | {loss:.2f} |",
    ]


def report(args: argparse.Namespace, results: dict, steps: dict, peaks: dict, loads: tuple) -> str:
    ours, ref = results["ours"], results["reference"]
    wall_ours, wall_ref = _median(ours, "wall"), _median(ref, "wall")
    rate_ours = _median(ours, "train_images") / _median(ours, "train_seconds")
    rate_ref = _median(ref, "train_images") / _median(ref, "train_seconds")
    precision = ours[0]["precision"]
    overhead = (_median(ours, "fit_seconds") - _median(ours, "train_seconds")) / args.epochs
    optimizer = "fused Adam" if ours[0]["fused_optimizer"] else "Adam"
    if ours[0]["manual_backward"] and precision == "fp32":
        optimizer += ", hand-written backward"
    return "\n".join(
        [
            "## Training throughput (issue 14: at least 3x pytorch/examples' VAE, whole process)",
            "",
            f"Command: `{command_line()}` · torch {torch.__version__}, {torch.get_num_threads()} threads,"
            f" {os.cpu_count()} cores · load average {loads[0]:.1f} before, {loads[1]:.1f} after.",
            f"Each side ran {args.repeats}x as its own process, interleaved; medians. Both train the 784-400-20 MLP"
            f" VAE for {args.epochs} epoch{'s' * (args.epochs != 1)} at batch 128. CPU: {cpu_line()}.",
            *(
                [
                    "",
                    "**The load average exceeded the core count: other jobs shared the cores, so these timings are"
                    " a smoke test, not a measurement.**",
                ]
                if max(loads) > (os.cpu_count() or 1)
                else []
            ),
            "",
            "| process | wall time (s) | training passes (img/s) | test loss (nats) |",
            "|---|---:|---:|---:|",
            f"| (a) `python -m vae.train --kind vae --arch mlp --latent-dim 20 --epochs {args.epochs}`"
            f" ({precision}, {optimizer}) | {wall_ours:.1f} | {rate_ours:,.0f} | {_median(ours, 'test_loss'):.2f} |",
            f"| (b) `bench/reference_vae.py --epochs {args.epochs}` (DataLoader + ToTensor, Adam)"
            f" | {wall_ref:.1f} | {rate_ref:,.0f} | {_median(ref, 'test_loss'):.2f} |",
            *example_lines(args, results),
            "",
            f"Whole-process speed-up: **{wall_ref / wall_ours:.2f}x** against (b)"
            + (
                f", **{_median(results['example'], 'wall') / wall_ours:.2f}x** against (c), the example as it is"
                if "example" in results
                else ""
            )
            + " (target: at least 3x at a test loss no worse).",
            "",
            "Notes: an epoch of (a) is the 50k training images plus validation on the 10k held out and an atomic"
            f" checkpoint (together {overhead:.2f} s per epoch here); an epoch of (b) is all 60k training images"
            " plus a test pass, as in the example. Per image of training, (a) is"
            f" {rate_ours / rate_ref:.2f}x faster. (a) uses its CLI defaults (Adam 2e-3); (b) the example's 1e-3."
            " Test loss: one posterior sample per test image; (a) scores its best-validation weights.",
            "",
            *_step_lines(steps, peaks, precision, optimizer),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each process, interleaved; medians")
    # Not under runs/: the explorer lists every checkpoint there as a user run.
    parser.add_argument("--out", type=Path, default=REPO / "test-output" / "bench-throughput")
    parser.add_argument("--example", type=Path, help="a checkout of pytorch/examples: also time its vae/main.py")
    parser.add_argument(
        "--example-python", default=sys.executable, help="the Python that runs the example (default: this one)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = measure(args.epochs, args.repeats, args.out, args.example, args.example_python)
    steps = step_rates()
    peaks = {"fp32": matmul_peak(torch.float32)}
    if has_native_bf16(torch.device("cpu")):
        peaks["bf16"] = matmul_peak(torch.bfloat16)
    text = report(args, results, steps, peaks, (load_before, os.getloadavg()[0]))
    publish("train-throughput", text, write=not args.no_write)


if __name__ == "__main__":
    main()
