"""Training as a library call: :func:`fit` trains (or resumes) a model into a checkpoint folder.

Data sits in memory as one tensor and is batched by index, so an epoch costs only the model's own work.
Every epoch ends with an atomic checkpoint: ``model.safetensors`` holds the weights with the best validation
loss so far, ``training_state.safetensors`` the latest weights and optimizer moments for resuming. Each
epoch's randomness (shuffle, reparameterisation noise, binarisation, dropout) is seeded from (seed, epoch),
so a resumed run repeats an uninterrupted one exactly on the same device.

One epoch is four steps: :func:`_train_epoch` (one optimiser step per batch, :func:`_train_step`),
:func:`_validate_and_record` (validation, best weights, the history record), :func:`vae.stopping.end_reason`
(all epochs done, early stopping, time budget) and :func:`_save`. For an fp32 MLP VAE with a Bernoulli decoder
in one CPU process, a step takes its gradients from vae.fast.mlp_step's hand-written backward pass instead of
autograd (the same gradients, less work per op; ``TrainConfig.manual_backward``). With ``TrainConfig.iwae_k`` > 1
a VAE minimises the k-sample importance-weighted bound (vae.losses.importance_weighted_terms) instead, through
autograd in fp32; validation still reports the ELBO, and picks the best weights by it.

Reporting and stopping (the hooks a CLI or an app page uses):

- ``on_epoch(record)`` is called on every rank after each epoch's checkpoint is on disk, with the history
  record just saved. Its keys: ``epoch``, ``beta``; ``train_loss`` (the beta-weighted objective that was
  minimised), ``train_reconstruction``, ``train_kl``; ``valid_loss``, ``valid_reconstruction``,
  ``valid_kl`` (validation is at beta = 1); for the AE and the VAE also ``train_neg_elbo`` and
  ``valid_neg_elbo`` (reconstruction + KL: the negative ELBO, for the AE its loss); for the VAE
  ``valid_kl_per_dim`` (a list, one mean KL per latent dimension); for the classifier ``valid_error_rate``;
  ``seconds`` (this epoch's training passes), ``images_per_second`` and ``elapsed_seconds`` (wall time of the
  whole run so far, resumed parts included). All values are plain floats/ints/lists, so a child process can
  send them through a pipe or a queue as they are. Losses are nats per image.
- ``stop`` (a :class:`vae.stopping.StopFlag`) may be set from a signal handler or another thread; the run stops at the
  next batch, discards the unfinished epoch (the checkpoint keeps the last complete one, resumable) and
  raises :class:`vae.stopping.TrainingInterrupted`.

The loop reads as a single-process loop. Under ``torchrun`` (see vae/train.py and docs/scaling.md) every rank
calls ``fit``, and the hooks of vae/distributed.py (``run.hooks``, identities in one process) do the rest:
each rank takes a strided share of every global batch, metrics are summed over the ranks, only rank 0 writes,
and one small all-reduce per batch shares "any rank diverged" and "any rank was asked to stop", so all ranks
stop together at the same step.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vae import distributed
from vae.checkpoint import Checkpoint, load_training_state, read_checkpoint, save_checkpoint
from vae.config import ConfigError, ModelConfig, TrainConfig
from vae.data import Binarizer, dataset_record, load_dataset
from vae.distributed import SingleProcess
from vae.fast.mlp_step import MLPVAEStep, step_for
from vae.fast.precision import mixed_batch_terms, precision_context, resolve_precision
from vae.likelihood import binarize
from vae.losses import LossTerms, importance_weighted_terms, model_loss
from vae.models import build_model
from vae.optim import Optimizer, make_optimizer, optimizer_tensors, restore_optimizer
from vae.stopping import StopFlag, TrainingError, diverged, end_reason, interrupted
from vae.timeline import Recorder

EpochCallback = Callable[[dict[str, Any]], None]
Data = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # train_x, train_y, valid_x, valid_y

_TRAIN_TERMS = ("loss", "reconstruction", "kl")


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


def _batch_terms(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, beta: float, step: MLPVAEStep | None = None
) -> LossTerms:
    """The batch's loss terms; with ``step`` (vae.fast.mlp_step), computed by it, which also fills the gradients."""
    if step is not None:
        return step(x, beta)
    if torch.is_autocast_enabled(x.device.type):  # inside precision_context("bf16", ...)
        return mixed_batch_terms(model, x, y, beta)
    return model_loss(model, x, beta, labels=y)


# ----------------------------------------------------------------------------------------------- validation


@torch.inference_mode()
def _validation_totals(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int) -> dict:
    was_training = model.training
    model.eval()
    totals: dict[str, Any] = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0, "errors": 0, "kl_per_dim": None}
    for x, y in zip(images.split(batch_size), labels.split(batch_size), strict=True):
        terms = _batch_terms(model, x, y, 1.0)
        totals["loss"] += float(terms.elbo_loss) * len(x)
        totals["reconstruction"] += float(terms.reconstruction) * len(x)
        totals["kl"] += float(terms.kl) * len(x)
        if terms.kl_per_dimension is not None:  # (D,) summed over images, as the other totals
            per_dim = terms.kl_per_dimension.double() * len(x)
            totals["kl_per_dim"] = per_dim if totals["kl_per_dim"] is None else totals["kl_per_dim"] + per_dim
        if model.config.kind == "classifier":
            totals["errors"] += int((model(x).argmax(1) != y).sum())
    model.train(was_training)
    return totals


def _validation_means(totals: dict, n: int, kind: str) -> dict:
    result = {k: totals[k] / n for k in ("loss", "reconstruction", "kl")}
    if kind == "classifier":
        result["error_rate"] = totals["errors"] / n
    if totals.get("kl_per_dim") is not None:
        result["kl_per_dim"] = [round(float(v) / n, 4) for v in totals["kl_per_dim"]]
    return result


def validate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> dict:
    """Mean validation terms at beta = 1 (the true negative ELBO); the classifier also gets its error rate,
    the VAE its mean KL per latent dimension (``kl_per_dim``)."""
    return _validation_means(_validation_totals(model, images, labels, batch_size), len(images), model.config.kind)


def _load_data(config: TrainConfig, kind: str) -> Data:
    train_x, train_y = load_dataset(config.dataset, "train")
    valid_x, valid_y = load_dataset(config.dataset, "valid")
    if config.train_limit:
        train_x, train_y = train_x[: config.train_limit], train_y[: config.train_limit]
        valid_x, valid_y = valid_x[: max(100, config.train_limit // 5)], valid_y[: max(100, config.train_limit // 5)]
    if config.binarize == "dynamic" and kind != "classifier":
        valid_x = binarize(valid_x, seed=12345)  # fixed once, so validation losses stay comparable
    return train_x, train_y, valid_x, valid_y


# ------------------------------------------------------------------------------------------- the run


@dataclass
class _Run:
    """What the steps of one training run share: configs, model, optimiser, data and the record being kept."""

    out: Path
    hooks: SingleProcess  # where ranks must agree (vae.distributed): identities in a one-process run
    device: torch.device
    model_config: ModelConfig
    train_config: TrainConfig
    model: torch.nn.Module
    optimizer: Optimizer
    record: Checkpoint
    stop: StopFlag
    show_progress: bool
    net: torch.nn.Module | None = None  # what a step calls: the model itself, or its DDP wrapper (hooks.wrap)
    step: MLPVAEStep | None = None  # the hand-written backward pass, where it applies (see vae.fast.mlp_step.step_for)
    binarize: Binarizer | None = None  # dynamic binarisation of CPU batches, seeded afresh every epoch
    data: Data | None = None
    best_weights: dict[str, torch.Tensor] | None = None
    progress: dict[str, Any] = field(default_factory=dict)  # becomes record.progress after each epoch
    timeline: Recorder | None = None  # vae.timeline: one snapshot per epoch, saved beside the checkpoint
    extra_files: dict[str, bytes] = field(default_factory=dict)  # written with the checkpoint (the timeline)
    seconds_before: float = 0.0  # training time of the run's earlier (resumed) parts
    started: float = field(default_factory=time.perf_counter)


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
    data: Data | None = None,
    timeline: bool = True,
) -> Checkpoint:
    """Train (or, with ``resume``, continue training) a model and checkpoint it into the folder ``out``.

    ``on_epoch`` receives each epoch's history record (keys in the module docstring). ``stop`` (set from a
    signal handler or another thread) ends the run at the next batch, discarding the unfinished epoch, and
    raises :class:`TrainingInterrupted`. ``progress`` shows a per-batch progress bar on rank 0. ``data`` may
    pass (train_x, train_y, valid_x, valid_y) tensors instead of loading ``train_config.dataset``. ``timeline``
    records an AE's or VAE's per-epoch snapshot into ``timeline.safetensors`` beside the checkpoint (vae.timeline).

    Inside an initialised ``torch.distributed`` process group every rank calls ``fit`` with the same
    arguments; ``train_config.batch_size`` stays the global batch, split over the ranks (see the module doc).
    """
    run = _new_run(model_config, train_config, Path(out), device, stop or StopFlag(), progress)
    if resume and _resume(run, command):
        return run.record  # the saved run already finished every epoch asked for
    if not (resume and run.record.info.get("command")):
        run.record.info["command"] = command or ""
    _attach_data(run, data)
    if timeline and run.hooks.world.is_main:
        valid = (run.data[2], run.data[3])
        resumed = int(run.progress["epoch"]) if resume else 0
        run.timeline = Recorder.for_run(run.out, model_config, valid, train_config.epochs, resumed)
    for epoch in range(int(run.progress["epoch"]) + 1, train_config.epochs + 1):
        sums, seen, seconds = _train_epoch(run, epoch)
        entry = _validate_and_record(run, epoch, sums, seen, seconds)
        if run.timeline is not None:
            run.extra_files = run.timeline.record(run.model, epoch, entry, run.data[2])
        stop_reason = end_reason(train_config, run.progress)
        _save(run, stop_reason)
        if on_epoch is not None:
            on_epoch(entry)
        if stop_reason:
            break
    return run.record


def _new_run(
    model_config: ModelConfig, train_config: TrainConfig, out: Path, device: str, stop: StopFlag, progress: bool
) -> _Run:
    world = distributed.current()
    dev = distributed.device_for(world, pick_device(device))
    torch.manual_seed(train_config.seed)  # the initial weights depend on the seed alone
    model = build_model(model_config).to(dev)
    _check_objective(model_config, train_config, world.distributed)
    # The checkpoint records the arithmetic actually used, not "auto", so a resumed run keeps it.
    precision = resolve_precision(train_config.precision, dev, model_config.arch)
    if train_config.iwae_k > 1:
        precision = "fp32"  # the importance-weighted objective is computed in fp32 only (TrainConfig.iwae_k)
    train_config = dataclasses.replace(train_config, precision=precision)
    optimizer = make_optimizer(model, train_config)
    record = Checkpoint(path=out, model=model_config, training=train_config)
    hooks = distributed.hooks_for(world, dev)
    return _Run(out, hooks, dev, model_config, train_config, model, optimizer, record, stop, progress)


def _check_objective(model_config: ModelConfig, train_config: TrainConfig, distributed: bool) -> None:
    """Refuse an importance-weighted objective (iwae_k > 1) where it is not defined or not implemented."""
    if train_config.iwae_k == 1:
        return
    if model_config.kind != "vae":
        raise ConfigError(f"the importance-weighted objective needs a VAE, not kind {model_config.kind!r}")
    if distributed:  # its loss calls encode and decode_logits, which DistributedDataParallel's forward would not see
        raise ConfigError("the importance-weighted objective (iwae_k > 1) trains in one process, not under torchrun")


def _resume(run: _Run, command: str | None) -> bool:
    """Load the saved run's weights, optimiser and record into ``run``; True if it has nothing left to do."""
    with distributed.main_rank_first(run.hooks.world):  # reading may finish a half-done folder swap: once, on rank 0
        run.record = read_checkpoint(run.out)
    if run.record.progress.get("finished") and run.record.progress.get("epoch", 0) >= run.train_config.epochs:
        return True
    state = load_training_state(run.out)
    run.model.load_state_dict({k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")})
    restore_optimizer(run.optimizer, state)
    from safetensors.torch import load_file

    run.best_weights = load_file(run.out / "model.safetensors")
    run.record.training = run.train_config
    if run.record.info.get("command") and command:
        # The command that started the run stays the recipe; resumptions are noted beside it.
        run.record.info["resumed_with"] = [*run.record.info.get("resumed_with", []), command]
    return False


def _attach_data(run: _Run, data: Data | None) -> None:
    """Load (or take) the data, describe it in the record, move it to the device, refuse non-finite pixels, and
    set up the progress."""
    if data is None:
        data = _load_data(run.train_config, run.model_config.kind)
    train_x, train_y, valid_x, valid_y = data
    name = run.train_config.dataset
    # The set's labels, preparation, size and hash travel with the checkpoint (its folder may be moved or cleared).
    described = dataset_record(name, train_x, train_y)
    run.record.dataset = {"name": name, "train_size": len(train_x), "valid_size": len(valid_x), **described}
    run.data = tuple(t.to(run.device) for t in (train_x, train_y, valid_x, valid_y))  # type: ignore[assignment]
    train_x = run.data[0]
    if not torch.isfinite(train_x).all():
        bad = int((~torch.isfinite(train_x)).flatten(1).any(1).nonzero()[0])
        raise TrainingError(f"the training data holds NaN or infinite pixels (first at image {bad}); fix the data")
    run.net = run.hooks.wrap(run.model)
    run.step = step_for(run.model, run.train_config, run.hooks.world.distributed)
    run.progress = dict(run.record.progress) or {"epoch": 0, "best_epoch": 0, "best_valid_loss": math.inf}
    run.progress["finished"] = False
    run.seconds_before = float(run.progress.get("train_seconds", 0.0))
    run.started = time.perf_counter()


# ------------------------------------------------------------------------------------ the steps of an epoch


def _train_epoch(run: _Run, epoch: int) -> tuple[dict[str, float], int, float]:
    """One pass over the training data: the loss terms summed over its images, the image count, the seconds."""
    train_x = run.data[0]
    epoch_seed = _epoch_seed(run.train_config.seed, epoch)
    torch.manual_seed(run.hooks.rank_seed(epoch_seed))
    run.binarize = Binarizer(run.hooks.rank_seed(epoch_seed))
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(epoch_seed))
    order = order.to(run.device)
    beta = run.train_config.beta_at(epoch)
    run.model.train()
    sums = dict.fromkeys(_TRAIN_TERMS, 0.0)
    seen = 0
    started = time.perf_counter()
    bar = _progress_bar(len(train_x), epoch, run.train_config.epochs, run.show_progress and run.hooks.world.is_main)
    try:
        for step, index in enumerate(order.split(run.train_config.batch_size)):
            step_sums = _train_step(run, index, beta, epoch, step)
            seen += len(index)
            for key in sums:
                sums[key] += step_sums[key]
            bar.set_postfix(  # drawn by update() at most every 0.1 s, not once per batch
                loss=f"{sums['loss'] / seen:.2f}",
                rec=f"{sums['reconstruction'] / seen:.2f}",
                kl=f"{sums['kl'] / seen:.2f}",
                refresh=False,
            )
            bar.update(len(index))
    finally:
        bar.close()
    return sums, seen, time.perf_counter() - started


def _train_step(run: _Run, index: torch.Tensor, beta: float, epoch: int, step: int) -> dict[str, float]:
    """One optimiser step on the global batch ``index``; returns its loss terms summed over its images."""
    if run.hooks.stops_before_step(run.stop.is_set()):
        raise interrupted(run.stop.reason, epoch, run.out)
    mine, weight = run.hooks.share(index)
    x, y = run.data[0][mine], run.data[1][mine]
    if run.train_config.binarize == "dynamic" and run.model_config.kind != "classifier":
        x = run.binarize(x) if x.device.type == "cpu" else torch.bernoulli(x)
    with precision_context(run.train_config.precision, x.device):
        if run.train_config.iwae_k > 1:  # the k-sample bound instead of the ELBO (TrainConfig.iwae_k)
            terms = importance_weighted_terms(run.net, x, run.train_config.iwae_k, beta)
        else:
            terms = _batch_terms(run.net, x, y, beta, run.step)
    # One tensor -> list conversion for all three terms (and the finiteness check), not four separate ones.
    values = torch.stack([getattr(terms, k).detach() for k in _TRAIN_TERMS]).tolist()
    shared = run.hooks.reduce_step(values, len(mine), weight, run.stop.is_set())
    if shared.stop:
        raise interrupted(run.stop.reason or "a stop request on another rank", epoch, run.out)
    if not shared.finite:
        raise diverged(terms, x, mine, epoch, step, run.out)
    if run.step is None:
        run.optimizer.zero_grad(set_to_none=True)
        run.hooks.scale_loss(terms.loss, weight).backward()
    run.optimizer.step()
    return dict(zip(_TRAIN_TERMS, shared.sums, strict=True))


def _validate_and_record(run: _Run, epoch: int, sums: dict[str, float], seen: int, seconds: float) -> dict:
    """Validate, keep the best weights, and append (and return) the epoch's history record."""
    hooks, model, (_, _, valid_x, valid_y) = run.hooks, run.model, run.data
    totals = hooks.validation_totals(_validation_totals, model, valid_x, valid_y)
    valid = _validation_means(totals, len(valid_x), run.model_config.kind)
    seconds = hooks.main_value(seconds)  # rank 0's clock everywhere
    if valid["loss"] < run.progress["best_valid_loss"] or run.best_weights is None:
        run.progress.update(best_epoch=epoch, best_valid_loss=valid["loss"])
        run.best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    run.progress["epoch"] = epoch
    total_seconds = run.seconds_before + time.perf_counter() - run.started
    total_seconds = hooks.main_value(total_seconds)  # the time budget must stop every rank after the same epoch
    run.progress["train_seconds"] = round(total_seconds, 2)
    train = {f"train_{k}": v / seen for k, v in sums.items()}
    if run.model_config.kind != "classifier":
        train["train_neg_elbo"] = train["train_reconstruction"] + train["train_kl"]
        valid["neg_elbo"] = valid["loss"]
    entry = {
        "epoch": epoch,
        "beta": run.train_config.beta_at(epoch),
        **train,
        **{f"valid_{k}": v for k, v in valid.items()},
        "seconds": round(seconds, 3),
        "images_per_second": round(seen / seconds, 1),
        "elapsed_seconds": round(total_seconds, 3),  # at the epoch's own precision, so never below "seconds"
    }
    run.record.history = [*run.record.history, entry]
    return entry


def _save(run: _Run, stop_reason: str) -> None:
    """Write the epoch's checkpoint (rank 0 only) and wait until it is on disk everywhere."""
    run.progress["finished"] = bool(stop_reason)
    run.progress["stop_reason"] = stop_reason
    run.record.progress = dict(run.progress)
    run.record.metrics = {
        **run.record.metrics,
        "best_epoch": run.progress["best_epoch"],
        "valid_loss": run.progress["best_valid_loss"],
    }
    state = {f"model.{k}": v for k, v in run.model.state_dict().items()} | optimizer_tensors(run.optimizer)
    if run.hooks.world.is_main:
        run.record = save_checkpoint(
            run.out,
            run.model,
            run.record,
            training_state=state,
            weights=run.best_weights,
            extra_files=run.extra_files,
        )
    distributed.barrier()  # no rank runs ahead (or stops) while rank 0 is still writing


# ------------------------------------------------------------------------------------------------ helpers


def _progress_bar(total: int, epoch: int, epochs: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="img", leave=False, disable=not enabled)
