"""Training: ``fit`` (a plain function reporting through callbacks) and the ``python -m vae.train`` CLI.

Data sits in memory as one tensor and is batched by index, so an epoch costs only the model's own work.
Every epoch ends with an atomic checkpoint: ``model.safetensors`` holds the weights with the best validation
loss so far, ``training_state.safetensors`` the latest weights and optimizer moments for ``--resume``. Each
epoch's randomness (shuffle, reparameterisation noise, binarisation, dropout) is seeded from (seed, epoch),
so a resumed run repeats an uninterrupted one exactly on the same device.

``torchrun --nproc_per_node=N -m vae.train ...`` trains data-parallel (DistributedDataParallel; gloo on CPUs,
NCCL on GPUs): every rank draws the same permutation and takes a strided share of each global batch of
``--batch-size`` images, metrics are summed over the ranks, and only rank 0 writes checkpoints and prints.
A stop request (SIGTERM/SIGINT on any rank) is shared with the others at every batch, so all ranks stop
together at the same step. See vae/distributed.py and docs/scaling.md.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from vae import distributed
from vae.checkpoint import Checkpoint, CheckpointError, load_training_state, read_checkpoint, save_checkpoint
from vae.config import ConfigError, ModelConfig, TrainConfig
from vae.data import DatasetError, load_dataset
from vae.distributed import DistributedError, World
from vae.losses import LossTerms, model_loss
from vae.models import build_model


class TrainingError(RuntimeError):
    """Training stopped on a problem the user has to fix (diverged loss, bad data); the checkpoint is kept."""


class TrainingInterrupted(RuntimeError):
    """Training was stopped by a signal; the last complete checkpoint is intact and resumable."""


@dataclass
class StopFlag:
    """Set from a signal handler (or another thread); the loop stops cleanly at the next batch."""

    reason: str = ""
    event: threading.Event = field(default_factory=threading.Event)

    def set(self, reason: str) -> None:
        self.reason = reason
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


def pick_device(name: str = "auto") -> torch.device:
    """ "auto" picks CUDA, then Apple's MPS, then the CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)


def _epoch_seed(seed: int, epoch: int) -> int:
    return seed * 1_000_003 + epoch


def _rank_seed(epoch_seed: int, world: World) -> int:
    """The seed of a rank's own noise (reparameterisation, binarisation); rank 0 of one process keeps the
    epoch's seed, so a single-process run is unchanged. The shuffle always uses the epoch's seed."""
    return epoch_seed + (world.rank << 40) if world.distributed else epoch_seed


def _binarize_fixed(images: torch.Tensor, seed: int) -> torch.Tensor:
    return torch.bernoulli(images, generator=torch.Generator().manual_seed(seed))


def _batch_terms(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, beta: float) -> LossTerms:
    if model.config.kind == "classifier":
        loss = F.cross_entropy(model(x), y)
        zero = torch.zeros((), device=x.device)
        return LossTerms(loss, loss, zero, loss)
    return model_loss(model, x, beta)


_VALIDATION_TOTALS = ("loss", "reconstruction", "kl", "errors")


@torch.inference_mode()
def _validation_totals(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int) -> dict:
    was_training = model.training
    model.eval()
    totals = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0, "errors": 0}
    for x, y in zip(images.split(batch_size), labels.split(batch_size), strict=True):
        terms = _batch_terms(model, x, y, 1.0)
        totals["loss"] += float(terms.elbo_loss) * len(x)
        totals["reconstruction"] += float(terms.reconstruction) * len(x)
        totals["kl"] += float(terms.kl) * len(x)
        if model.config.kind == "classifier":
            totals["errors"] += int((model(x).argmax(1) != y).sum())
    model.train(was_training)
    return totals


def _validation_means(totals: dict, n: int, kind: str) -> dict:
    result = {k: totals[k] / n for k in ("loss", "reconstruction", "kl")}
    if kind == "classifier":
        result["error_rate"] = totals["errors"] / n
    return result


def validate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> dict:
    """Mean validation terms at beta = 1 (the true negative ELBO); the classifier also gets its error rate."""
    return _validation_means(_validation_totals(model, images, labels, batch_size), len(images), model.config.kind)


def _validate_sharded(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, world: World) -> dict:
    """:func:`validate` with each rank taking a strided share of the images and the sums added over ranks."""
    for buffer in model.buffers():  # BatchNorm statistics: every rank validates (and saves) rank 0's
        torch.distributed.broadcast(buffer, src=0)
    totals = _validation_totals(model, distributed.shard(images, world), distributed.shard(labels, world), 1000)
    summed = distributed.sum_all([float(totals[k]) for k in _VALIDATION_TOTALS], images.device)
    return _validation_means(dict(zip(_VALIDATION_TOTALS, summed, strict=True)), len(images), model.config.kind)


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    out = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            out[f"optim.{index}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return out


def _restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    state_dict = optimizer.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    state_dict["state"] = state
    optimizer.load_state_dict(state_dict)


def _load_data(config: TrainConfig, kind: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    train_x, train_y = load_dataset(config.dataset, "train")
    valid_x, valid_y = load_dataset(config.dataset, "valid")
    if config.train_limit:
        train_x, train_y = train_x[: config.train_limit], train_y[: config.train_limit]
        valid_x, valid_y = valid_x[: max(100, config.train_limit // 5)], valid_y[: max(100, config.train_limit // 5)]
    if config.binarize == "dynamic" and kind != "classifier":
        valid_x = _binarize_fixed(valid_x, seed=12345)  # fixed once, so validation losses stay comparable
    return train_x, train_y, valid_x, valid_y


EpochCallback = Callable[[dict[str, Any]], None]


def fit(
    model_config: ModelConfig,
    train_config: TrainConfig,
    out: str | Path,
    *,
    resume: bool = False,
    device: str = "auto",
    on_epoch: EpochCallback | None = None,
    stop: StopFlag | None = None,
    progress: bool = True,
    command: str | None = None,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> Checkpoint:
    """Train (or, with ``resume``, continue training) a model and checkpoint it into the folder ``out``.

    ``on_epoch`` receives each epoch's history record. ``stop`` (set from a signal handler) ends the run at
    the next batch, discarding the unfinished epoch, and raises :class:`TrainingInterrupted`. ``data`` may
    pass (train_x, train_y, valid_x, valid_y) tensors instead of loading ``train_config.dataset``.

    Inside an initialised ``torch.distributed`` process group every rank calls ``fit`` with the same
    arguments; ``train_config.batch_size`` stays the global batch, split over the ranks (see the module doc).
    """
    out = Path(out)
    world = distributed.current()
    dev = distributed.device_for(world, pick_device(device))
    stop = stop or StopFlag()
    torch.manual_seed(train_config.seed)  # the initial weights depend on the seed alone
    model = build_model(model_config).to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay)
    record = Checkpoint(path=out, model=model_config, training=train_config)
    best_weights: dict[str, torch.Tensor] | None = None
    if resume:
        with distributed.main_rank_first(world):  # reading may finish a half-done folder swap: once, on rank 0
            record = read_checkpoint(out)
        if record.progress.get("finished") and record.progress.get("epoch", 0) >= train_config.epochs:
            return record
        state = load_training_state(out)
        model.load_state_dict({k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")})
        _restore_optimizer(optimizer, state)
        from safetensors.torch import load_file

        best_weights = load_file(out / "model.safetensors")
        record.training = train_config
    if resume and record.info.get("command"):
        # The command that started the run stays the recipe; resumptions are noted beside it.
        if command:
            record.info["resumed_with"] = [*record.info.get("resumed_with", []), command]
    else:
        record.info["command"] = command or ""
    record.dataset = {"name": train_config.dataset}

    train_x, train_y, valid_x, valid_y = data if data is not None else _load_data(train_config, model_config.kind)
    record.dataset.update(train_size=len(train_x), valid_size=len(valid_x))
    train_x, train_y, valid_x, valid_y = (t.to(dev) for t in (train_x, train_y, valid_x, valid_y))
    if not torch.isfinite(train_x).all():
        bad = int((~torch.isfinite(train_x)).flatten(1).any(1).nonzero()[0])
        raise TrainingError(f"the training data holds NaN or infinite pixels (first at image {bad}); fix the data")

    net: torch.nn.Module = model  # what the training step calls: the model itself, or its DDP wrapper
    if world.distributed:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
        net.config = model_config  # model_loss reads the config from the module it calls

    progress_state = dict(record.progress) or {"epoch": 0, "best_epoch": 0, "best_valid_loss": math.inf}
    progress_state["finished"] = False
    seconds_before = float(progress_state.get("train_seconds", 0.0))
    started = time.perf_counter()
    start_epoch = int(progress_state["epoch"]) + 1
    batch = train_config.batch_size
    for epoch in range(start_epoch, train_config.epochs + 1):
        epoch_seed = _epoch_seed(train_config.seed, epoch)
        torch.manual_seed(_rank_seed(epoch_seed, world))
        order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(epoch_seed))
        order = order.to(dev)
        beta = train_config.beta_at(epoch)
        model.train()
        sums = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0}
        seen = 0
        epoch_start = time.perf_counter()
        bar = _progress_bar(len(train_x), epoch, train_config.epochs, progress and world.is_main)
        for step, index in enumerate(order.split(batch)):
            if not world.distributed and stop.is_set():
                bar.close()
                raise _interrupted(stop.reason, epoch, out)
            mine, weight = _my_share(index, world)
            x, y = train_x[mine], train_y[mine]
            if train_config.binarize == "dynamic" and model_config.kind != "classifier":
                x = torch.bernoulli(x)
            terms = _batch_terms(net, x, y, beta)
            finite = bool(torch.isfinite(terms.loss))
            if world.distributed:
                # One small all-reduce per batch: the step's loss sums, "any rank diverged", "any rank was asked
                # to stop". All ranks then take the same branch, so none is left waiting in DDP's backward.
                local = [float(getattr(terms, k).detach()) * len(mine) if weight else 0.0 for k in sums]
                shared = distributed.sum_all([*local, float(not finite), float(stop.is_set())], dev)
                step_sums, finite = dict(zip(sums, shared[:3], strict=True)), shared[3] == 0
                if shared[4]:
                    bar.close()
                    raise _interrupted(stop.reason or "a stop request on another rank", epoch, out)
            if not finite:
                bar.close()
                raise _diverged(terms, x, mine, epoch, step, out, world)
            optimizer.zero_grad(set_to_none=True)
            (terms.loss * weight if world.distributed else terms.loss).backward()
            optimizer.step()
            n = len(index)
            seen += n
            for key in sums:
                sums[key] += step_sums[key] if world.distributed else float(getattr(terms, key).detach()) * n
            bar.update(n)
            bar.set_postfix(
                loss=f"{sums['loss'] / seen:.2f}",
                rec=f"{sums['reconstruction'] / seen:.2f}",
                kl=f"{sums['kl'] / seen:.2f}",
            )
        bar.close()
        train_seconds = time.perf_counter() - epoch_start
        if world.distributed:
            valid = _validate_sharded(model, valid_x, valid_y, world)
            train_seconds = distributed.from_main([train_seconds], dev)[0]  # rank 0's clock everywhere
        else:
            valid = validate(model, valid_x, valid_y)
        entry = {
            "epoch": epoch,
            "beta": beta,
            **{f"train_{k}": v / seen for k, v in sums.items()},
            **{f"valid_{k}": v for k, v in valid.items()},
            "seconds": round(train_seconds, 3),
            "images_per_second": round(seen / train_seconds, 1),
        }
        record.history = [*record.history, entry]
        improved = valid["loss"] < progress_state["best_valid_loss"]
        if improved or best_weights is None:
            progress_state.update(best_epoch=epoch, best_valid_loss=valid["loss"])
            best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        progress_state["epoch"] = epoch
        total_seconds = seconds_before + time.perf_counter() - started
        if world.distributed:  # the time budget must stop every rank after the same epoch
            total_seconds = distributed.from_main([total_seconds], dev)[0]
        progress_state["train_seconds"] = round(total_seconds, 2)
        stop_reason = ""
        if epoch == train_config.epochs:
            stop_reason = "completed all epochs"
        elif train_config.patience and epoch - progress_state["best_epoch"] >= train_config.patience:
            stop_reason = f"early stopping: no validation improvement for {train_config.patience} epochs"
        elif train_config.max_minutes and progress_state["train_seconds"] >= 60 * train_config.max_minutes:
            stop_reason = f"time budget of {train_config.max_minutes} minutes reached"
        progress_state["finished"] = bool(stop_reason)
        progress_state["stop_reason"] = stop_reason
        record.progress = dict(progress_state)
        record.metrics = {
            **record.metrics,
            "best_epoch": progress_state["best_epoch"],
            "valid_loss": progress_state["best_valid_loss"],
        }
        state = {f"model.{k}": v for k, v in model.state_dict().items()} | _optimizer_tensors(optimizer)
        if world.is_main:
            record = save_checkpoint(out, model, record, training_state=state, weights=best_weights)
        distributed.barrier()  # no rank runs ahead (or stops) while rank 0 is still writing
        if on_epoch is not None:
            on_epoch(entry)
        if stop_reason:
            break
    return record


def _my_share(index: torch.Tensor, world: World) -> tuple[torch.Tensor, float]:
    """This rank's images of a global batch and the weight that makes DDP's gradient average exact.

    DDP averages the ranks' gradients; scaling each rank's mean loss by (its images x ranks / batch images)
    turns that average into the gradient of the whole batch's mean loss, even when the shares differ by one.
    A rank left without images (a last batch smaller than the world) still runs one image at weight 0,
    because every rank has to join every gradient all-reduce.
    """
    if not world.distributed:
        return index, 1.0
    mine = distributed.shard(index, world)
    if len(mine) == 0:
        return index[:1], 0.0
    return mine, len(mine) * world.size / len(index)


def _interrupted(reason: str, epoch: int, out: Path) -> TrainingInterrupted:
    return TrainingInterrupted(
        f"stopped by {reason or 'request'} during epoch {epoch}; the checkpoint in {out} holds "
        f"epoch {epoch - 1} and continues with --resume"
        if epoch > 1
        else f"stopped by {reason or 'request'} during the first epoch; nothing was saved"
    )


def _diverged(
    terms: LossTerms, x: torch.Tensor, mine: torch.Tensor, epoch: int, step: int, out: Path, world: World
) -> TrainingError:
    """The error for a NaN/infinite loss, blaming the data when this rank's batch holds bad pixels."""
    last = f"epoch {epoch - 1} is kept in {out}" if epoch > 1 else "no checkpoint was written"
    loss = float(terms.loss.detach())
    where = f"the loss became {loss} at epoch {epoch}, batch {step + 1}; stopped, {last}."
    if world.distributed and math.isfinite(loss):
        where = f"the loss became non-finite on another rank at epoch {epoch}, batch {step + 1}; stopped, {last}."
    bad_images = (~torch.isfinite(x)).flatten(1).any(1)
    if bool(bad_images.any()):
        first = int(mine[bad_images.nonzero()[0, 0]])
        return TrainingError(f"{where} The batch holds NaN or infinite pixels (training image {first}); fix the data.")
    return TrainingError(f"{where} Try a lower --lr or a KL warm-up (--warmup-epochs).")


def _progress_bar(total: int, epoch: int, epochs: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="img", leave=False, disable=not enabled)


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
    p.add_argument("--dataset", default="mnist", help="mnist, fashion-mnist, kmnist, or a folder of images")
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
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    p.add_argument("--out", type=Path, default=None, help="checkpoint folder (default runs/KIND-ARCH-zDIM)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (one line per epoch instead)")
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
    say = world.is_main  # rank 0 speaks for the job; the others only report problems of their own
    rank_tag = f" (rank {world.rank})" if world.distributed else ""
    out = args.out or Path("runs") / f"{args.kind}-{args.arch}-z{args.latent_dim}"
    try:
        model_config, train_config = configs_from_args(args)
        if args.resume:
            with distributed.main_rank_first(world):
                saved = read_checkpoint(out)
            model_config = saved.model
            explicit_epochs = any(a == "--epochs" or a.startswith("--epochs=") for a in argv)
            train_config = TrainConfig.from_dict(
                {**saved.training.to_dict(), **({"epochs": args.epochs} if explicit_epochs else {})}
            )
    except (ConfigError, CheckpointError) as error:
        print(f"error{rank_tag}: {error}", file=sys.stderr)
        return 2
    stop = StopFlag()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set(signal.Signals(signum).name)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def report(entry: dict[str, Any]) -> None:
        if not say:
            return
        print(
            f"epoch {entry['epoch']:3d}  train {entry['train_loss']:.3f} (rec {entry['train_reconstruction']:.3f}, "
            f"kl {entry['train_kl']:.3f})  valid {entry['valid_loss']:.3f}  {entry['images_per_second']:.0f} img/s",
            flush=True,
        )

    command = "python -m vae.train " + shlex.join(argv)
    if world.distributed:  # torchrun sets LOCAL_WORLD_SIZE: the processes on this node
        per_node = int(os.environ.get("LOCAL_WORLD_SIZE", world.size))
        nodes = f"--nnodes={world.size // per_node} " if per_node < world.size else ""
        command = f"torchrun {nodes}--nproc_per_node={per_node} -m vae.train " + shlex.join(argv)
    try:
        record = fit(
            model_config,
            train_config,
            out,
            resume=args.resume,
            device=device,
            on_epoch=report,
            stop=stop,
            progress=not args.no_progress,
            command=command,
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
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if say:
        print(f"saved {out} ({record.progress.get('stop_reason')}); evaluate it with: python -m vae.evaluate {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
