"""The ``python -m vae.train`` command line: arguments, signals and progress lines around :func:`vae.training.fit`.

    python -m vae.train --kind vae --arch mlp --latent-dim 20 --epochs 10
    torchrun --nproc_per_node=N -m vae.train ...      # data-parallel, see docs/scaling.md

The training itself (and its ``on_epoch``/``stop`` hooks) lives in vae/training.py; this module only turns
arguments into configs, SIGINT/SIGTERM into a :class:`StopFlag`, and history records into one printed line
per epoch. Under ``torchrun`` it joins the process group first and always leaves it; only rank 0 prints.
``fit`` is defined in (and imported from) vae.training, :class:`StopFlag` and the training exceptions in
vae.stopping.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from vae import distributed
from vae.checkpoint import CheckpointError, read_checkpoint, writer_lock
from vae.config import PRECISIONS, ConfigError, ModelConfig, TrainConfig
from vae.data import DatasetError
from vae.distributed import DistributedError, World
from vae.stopping import StopFlag, TrainingError, TrainingInterrupted
from vae.training import fit, pick_device

__all__ = ["build_parser", "configs_from_args", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vae.train",
        description="Train a VAE, a plain autoencoder or the digit classifier; checkpoint every epoch.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--kind", choices=["vae", "ae", "classifier"], default="vae")
    p.add_argument("--arch", choices=["mlp", "conv"], default="mlp")
    p.add_argument("--latent-dim", type=int, default=20)
    p.add_argument("--hidden", type=int, nargs="+", default=None, help="hidden widths (MLP) or dense width (conv)")
    p.add_argument("--channels", type=int, nargs=2, default=None, help="conv channels of the two stride-2 layers")
    p.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default="", help="default: vae bernoulli, ae L2")
    p.add_argument(
        "--dataset",
        default="mnist",
        help="mnist, fashion-mnist, kmnist, a folder of images, a prepared set, or a zip of images (prepared "
        "once and stored under $VAE_RUNS/datasets or runs/datasets; its sub-folders become labels)",
    )
    p.add_argument(
        "--preparation",
        choices=["picture", "digit"],
        default="picture",
        help="for a zip: picture (grey, fitted and padded to 28x28) or digit (MNIST's steps)",
    )
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument(
        "--batch-size",
        type=int,
        default=128,
        help="global batch size: under torchrun each of the N processes takes about batch_size // N images per "
        "step, so the optimisation matches a single-process run with the same value",
    )
    p.add_argument("--lr", type=float, default=TrainConfig.lr, help="Adam learning rate")
    p.add_argument("--beta", type=float, default=1.0, help="weight of the KL term")
    p.add_argument("--warmup-epochs", type=int, default=0, help="linear KL annealing from 0 to beta")
    p.add_argument("--binarize", choices=["none", "dynamic"], default="none")
    p.add_argument("--patience", type=int, default=0, help="early-stopping patience in epochs (0 = off)")
    p.add_argument("--max-minutes", type=float, default=0.0, help="wall-clock budget (0 = none)")
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--precision",
        choices=list(PRECISIONS),
        default="auto",
        help="fp32, or bf16 autocast for the forward pass (the loss stays fp32); auto = bf16 only for a conv "
        "model on a CPU with AMX-BF16 (an MLP's fp32 step is as fast there). The resolved choice is recorded",
    )
    p.add_argument(
        "--fused-optimizer",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Adam's fused kernel; --no-fused-optimizer --no-manual-backward with --precision fp32 is the plain "
        "path of earlier runs",
    )
    p.add_argument(
        "--manual-backward",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the hand-written backward pass of vae.fast.mlp_step for fp32 MLP VAEs with a Bernoulli likelihood "
        "(the same gradients as autograd, faster); --no-manual-backward uses autograd",
    )
    p.add_argument(
        "--iwae-k",
        type=int,
        default=1,
        help="train a VAE on the k-sample importance-weighted bound (Burda et al. 2016), k decoder passes per "
        "image; 1 is the ELBO. k > 1 runs in one process, fp32, with autograd",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    p.add_argument("--out", type=Path, default=None, help="checkpoint folder (default runs/KIND-ARCH-zDIM)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (one line per epoch instead)")
    p.add_argument(
        "--no-timeline",
        action="store_true",
        help="do not record the per-epoch snapshot (codes, samples, losses) into timeline.safetensors",
    )
    return p


def configs_from_args(args: argparse.Namespace) -> tuple[ModelConfig, TrainConfig]:
    model_kwargs: dict[str, Any] = {"kind": args.kind, "arch": args.arch, "latent_dim": args.latent_dim}
    if args.hidden:
        model_kwargs["hidden"] = tuple(args.hidden)
    elif args.kind == "classifier":
        model_kwargs["hidden"] = (128,)
    elif args.arch == "conv":
        model_kwargs["hidden"] = (256,)
    if args.channels:
        model_kwargs["channels"] = tuple(args.channels)
    if args.likelihood:
        model_kwargs["likelihood"] = args.likelihood
    if getattr(args, "num_classes", 0):
        model_kwargs["num_classes"] = args.num_classes
    model_config = ModelConfig(**model_kwargs)
    train_config = TrainConfig(
        dataset=args.dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        beta=args.beta,
        warmup_epochs=args.warmup_epochs,
        binarize=args.binarize,
        patience=args.patience,
        seed=args.seed,
        train_limit=args.train_limit,
        max_minutes=args.max_minutes,
        precision=args.precision,
        fused_optimizer=args.fused_optimizer,
        manual_backward=args.manual_backward,
        iwae_k=args.iwae_k,
    )
    return model_config, train_config


def main(argv: list[str] | None = None) -> int:
    """The CLI; under ``torchrun`` it joins the process group first and always leaves it at the end."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        world = distributed.detect()
    except DistributedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not world.distributed:  # the plain single-process run, exactly as without torchrun
        return _run(args, argv, world, args.device)
    try:
        device = distributed.device_for(world, pick_device(args.device))
        distributed.init(world, device)
    except DistributedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (RuntimeError, ValueError) as error:  # no MASTER_ADDR, an unreachable rendezvous, a timeout
        print(f"error: rank {world.rank} could not join the process group: {error}", file=sys.stderr)
        distributed.cleanup()
        return 2
    try:
        return _run(args, argv, world, str(device))
    finally:
        distributed.cleanup()


def _run(args: argparse.Namespace, argv: list[str], world: World, device: str) -> int:
    """Train as the arguments say; the exit code: 0 done, 1 training/data error, 2 bad arguments, 130/143 stopped."""
    say = world.is_main  # rank 0 speaks for the job; the others only report problems of their own
    rank_tag = f" (rank {world.rank})" if world.distributed else ""
    out = args.out or Path("runs") / f"{args.kind}-{args.arch}-z{args.latent_dim}"
    try:
        _own_images(args)
    except (DatasetError, ValueError, OSError) as error:  # ImageSetError is a ValueError
        print(f"error{rank_tag}: {args.dataset}: {error}", file=sys.stderr)
        return 1
    try:
        model_config, train_config = _configs(args, argv, world, out)
    except (ConfigError, CheckpointError) as error:
        print(f"error{rank_tag}: {error}", file=sys.stderr)
        return 2
    stop = StopFlag()
    previous = _stop_on_signals(stop)
    try:
        # Rank 0 writes the checkpoint, so it alone holds the folder (a second trainer there stops here).
        with writer_lock(out) if world.is_main else contextlib.nullcontext():
            record = fit(
                model_config,
                train_config,
                out,
                resume=args.resume,
                device=device,
                on_epoch=_print_epoch if say else None,
                stop=stop,
                progress=not args.no_progress,
                command=_command_line(argv, world),
                timeline=not args.no_timeline,
            )
    except TrainingInterrupted as error:
        if say:
            print(f"interrupted: {error}", file=sys.stderr)
        return 130 if stop.reason == "SIGINT" else 143
    except TrainingError as error:  # raised on every rank at the same step
        if say:
            print(f"error: {error}", file=sys.stderr)
        return 1
    except (DatasetError, CheckpointError) as error:
        print(f"error{rank_tag}: {error}", file=sys.stderr)
        return 1
    except ConfigError as error:  # an objective the model or the launch cannot train on (vae.training)
        print(f"error{rank_tag}: {error}", file=sys.stderr)
        return 2
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if say:
        print(f"saved {out} ({record.progress.get('stop_reason')}); evaluate it with: python -m vae.evaluate {out}")
    return 0


def _configs(args: argparse.Namespace, argv: list[str], world: World, out: Path) -> tuple[ModelConfig, TrainConfig]:
    """The configs from the arguments; with --resume the saved ones, where only an explicit --epochs wins."""
    model_config, train_config = configs_from_args(args)
    if not args.resume:
        return model_config, train_config
    with distributed.main_rank_first(world):
        saved = read_checkpoint(out)
    explicit_epochs = any(a == "--epochs" or a.startswith("--epochs=") for a in argv)
    train_config = TrainConfig.from_dict(
        {**saved.training.to_dict(), **({"epochs": args.epochs} if explicit_epochs else {})}
    )
    return saved.model, train_config


def _own_images(args: argparse.Namespace) -> None:
    """A zip becomes its prepared folder (stored once); a classifier on a labelled set gets one class per label."""
    from vae.data import label_names
    from vae.prepared_sets import is_prepared, prepare_zip, runs_root_default

    if Path(args.dataset).suffix.lower() == ".zip" and Path(args.dataset).is_file():
        args.dataset = str(prepare_zip(args.dataset, runs_root_default(), args.preparation))
    if args.kind == "classifier" and is_prepared(args.dataset):
        names = label_names(args.dataset)
        if not names:
            raise DatasetError("this set has no labels (sub-folders), so there is nothing to classify")
        args.num_classes = len(names)


def _stop_on_signals(stop: StopFlag) -> dict[signal.Signals, Any]:
    """SIGINT and SIGTERM set ``stop`` (fit then stops at the next batch); returns the previous handlers."""

    def on_signal(signum: int, _frame: object) -> None:
        stop.set(signal.Signals(signum).name)

    return {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}


def _print_epoch(entry: dict[str, Any]) -> None:
    """The CLI's ``on_epoch``: one line per epoch."""
    print(
        f"epoch {entry['epoch']:3d}  train {entry['train_loss']:.3f} (rec {entry['train_reconstruction']:.3f}, "
        f"kl {entry['train_kl']:.3f})  valid {entry['valid_loss']:.3f}  {entry['images_per_second']:.0f} img/s",
        flush=True,
    )


def _command_line(argv: list[str], world: World) -> str:
    """The command that reproduces this run, recorded in the checkpoint."""
    if not world.distributed:
        return "python -m vae.train " + shlex.join(argv)
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", world.size))  # torchrun's processes on this node
    nodes = f"--nnodes={world.size // per_node} " if per_node < world.size else ""
    return f"torchrun {nodes}--nproc_per_node={per_node} -m vae.train " + shlex.join(argv)


if __name__ == "__main__":
    sys.exit(main())
