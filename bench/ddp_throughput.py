"""Data-parallel training throughput: one process against two torchrun processes on this machine's CPUs.

Trains the 784-400-20 MLP VAE (batch 128 global, Adam 1e-3) on the 50k MNIST training images with the real
CLI, three ways: one process with the default intra-op threads, one process pinned to one thread, and
``torchrun --standalone --nproc_per_node=2`` with one thread per rank. Reports the training loop's images per
second (median over epochs, from the checkpoint history), the wall time of the whole command, the final
training loss, and what one gloo all-reduce of the model's gradients costs on loopback.

    python bench/ddp_throughput.py --epochs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from bench._report import command_line, publish  # noqa: E402
from tests._browser import free_port  # noqa: E402
from vae.checkpoint import read_checkpoint  # noqa: E402
from vae.config import ModelConfig  # noqa: E402
from vae.models import build_model  # noqa: E402

TRAIN = ["--kind", "vae", "--hidden", "400", "--latent-dim", "20", "--batch-size", "128", "--seed", "0"]


def run(label: str, launcher: list[str], threads: int | None, epochs: int, root: Path) -> dict:
    out = root / label.replace(" ", "-")
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env["PYTHONPATH"] = str(REPO)
    env.pop("OMP_NUM_THREADS", None)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    command = [*launcher, *TRAIN, "--epochs", str(epochs), "--no-progress", "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    history = read_checkpoint(out).history
    return {
        "label": label,
        "images_per_second": statistics.median(e["images_per_second"] for e in history),
        "wall_seconds": wall,
        "train_loss": history[-1]["train_loss"],
        "valid_loss": history[-1]["valid_loss"],
    }


def _allreduce_worker(rank: int, port: int, numel: int, repeats: int, result) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        tensor = torch.ones(numel)
        for _ in range(5):
            dist.all_reduce(tensor)
        dist.barrier()
        started = time.perf_counter()
        for _ in range(repeats):
            dist.all_reduce(tensor)
        if rank == 0:
            result.put((time.perf_counter() - started) / repeats)
    finally:
        dist.destroy_process_group()


def allreduce_seconds(numel: int, repeats: int = 100) -> float:
    """Mean time of one 2-rank gloo all-reduce of ``numel`` float32 numbers over loopback."""
    import torch.multiprocessing as mp

    context = mp.get_context("spawn")
    result = context.SimpleQueue()
    port = free_port()
    workers = [context.Process(target=_allreduce_worker, args=(r, port, numel, repeats, result)) for r in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return result.get()


def report(rows: list[dict], epochs: int, loads: tuple[float, float]) -> str:
    """The BENCHMARKS.md section: the three runs side by side, what the all-reduce costs, and what it means."""
    numel = sum(p.numel() for p in build_model(ModelConfig(latent_dim=20, hidden=(400,))).parameters())
    reduce_ms = 1000 * allreduce_seconds(numel)
    steps = -(-50_000 // 128)
    best = max(rows[:2], key=lambda row: row["images_per_second"])
    loss_gap = abs(rows[2]["train_loss"] - best["train_loss"]) / best["train_loss"]
    lines = [
        "## Data-parallel training (torchrun, DistributedDataParallel on gloo)",
        "",
        f"Command: `{command_line()}` — {epochs} epochs of the 784-400-20 MLP VAE on the 50k MNIST training "
        "images, global batch 128, seed 0, each way through the real CLI (`python -m vae.train` or "
        "`torchrun --standalone --nproc_per_node=2 -m vae.train`). Images per second are the training loop's "
        "(median over epochs, from the checkpoint history); wall time covers the whole command including "
        "start-up, validation and checkpoints. The three runs follow each other on the same machine.",
        "",
        "| setup | images/s | vs. best single process | wall time | final train loss | final valid loss |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['images_per_second']:,.0f} | "
            f"{row['images_per_second'] / best['images_per_second']:.2f}x "
            f"| {row['wall_seconds']:.1f} s | {row['train_loss']:.2f} | {row['valid_loss']:.2f} |"
        )
    lines += [
        "",
        f"One 2-rank gloo all-reduce of the model's {numel:,} gradients ({4 * numel / 1e6:.1f} MB) over loopback "
        f"takes {reduce_ms:.2f} ms here: about {reduce_ms * steps / 1000:.1f} s of pure communication per epoch "
        f"({steps} steps), against {50_000 / best['images_per_second']:.1f} s for a whole epoch in the best "
        f"single process. Load average (1 min) on this shared machine: {loads[0]:.1f} before, "
        f"{loads[1]:.1f} after; other people's jobs were running, so differences of 10-20% are noise. The two "
        f"processes end {100 * loss_gap:.1f}% away from the single process's training loss (different "
        "reparameterisation noise per rank, same global batch; the test suite checks 1% on a small slice).",
    ]
    return "\n".join(lines + findings(rows))


def findings(rows: list[dict]) -> list[str]:
    """What the runs can and cannot show on two cores, and what they predict elsewhere."""
    lines = [
        "",
        "What two cores can and cannot show. One process can already use both cores through PyTorch's intra-op "
        "threads, so two ranks add no compute: they split the same two cores, one thread each, and on top pay "
        "for DDP's gradient all-reduce (gloo copies every gradient through loopback TCP each step, measured "
        "above) plus our small per-step all-reduce of the loss sums and stop flag. A real speed-up is not "
        "possible here; what the run shows is that the distributed path works end to end, reaches the same "
        "loss, and what the communication costs.",
    ]
    if rows[0]["images_per_second"] < 0.8 * rows[1]["images_per_second"]:
        lines += [
            "",
            "The default-threads row is no typo: with other jobs keeping the cores busy, a process with two "
            "intra-op threads waits at every parallel region for whichever thread the scheduler has just "
            "parked, and collapses far below one thread. On a shared machine set `OMP_NUM_THREADS=1` (torchrun "
            "does this for you when it starts more than one process per node).",
        ]
    lines += [
        "",
        "What this predicts elsewhere. The ratio that decides scaling is a rank's compute per step against the "
        "all-reduce. On N GPUs with NCCL over NVLink or InfiniBand, all-reducing 2.6 MB takes tens of "
        "microseconds and overlaps the backward pass, so throughput grows nearly linearly with N until each "
        "rank's share of the batch is too small to keep its GPU busy (raise `--batch-size` with N, and the "
        "learning rate with it). Across nodes on ordinary Ethernet the all-reduce takes milliseconds, and a model "
        "this small becomes communication-bound; bigger models (the conv VAE) and bigger global batches amortise "
        "it. For in-memory MNIST on one CPU machine, one process is the right choice.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    python = [sys.executable, "-m", "vae.train"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "vae.train"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = [
            run("1 process, default threads", python, None, args.epochs, root),
            run("1 process, 1 thread", python, 1, args.epochs, root),
            run("2 processes (torchrun), 1 thread each", torchrun, 1, args.epochs, root),
        ]
    loads = (load_before, os.getloadavg()[0])
    publish("ddp", report(rows, args.epochs, loads), write=not args.no_write)


if __name__ == "__main__":
    main()
