"""How a training run stops: a stop request (:class:`StopFlag`), the two exceptions a run ends with, and the
reasons a finished run records (all epochs done, early stopping, the time budget)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vae.config import TrainConfig
from vae.losses import LossTerms


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


def end_reason(config: TrainConfig, progress: dict[str, Any]) -> str:
    """Why the run ends after this epoch ("" to go on): all epochs done, early stopping or the time budget."""
    epoch = progress["epoch"]
    if epoch == config.epochs:
        return "completed all epochs"
    if config.patience and epoch - progress["best_epoch"] >= config.patience:
        return f"early stopping: no validation improvement for {config.patience} epochs"
    if config.max_minutes and progress["train_seconds"] >= 60 * config.max_minutes:
        return f"time budget of {config.max_minutes} minutes reached"
    return ""


def interrupted(reason: str, epoch: int, out: Path) -> TrainingInterrupted:
    return TrainingInterrupted(
        f"stopped by {reason or 'request'} during epoch {epoch}; the checkpoint in {out} holds "
        f"epoch {epoch - 1} and continues with --resume"
        if epoch > 1
        else f"stopped by {reason or 'request'} during the first epoch; nothing was saved"
    )


def diverged(terms: LossTerms, x: torch.Tensor, mine: torch.Tensor, epoch: int, step: int, out: Path) -> TrainingError:
    """The error for a NaN/infinite loss, blaming the data when this rank's batch holds bad pixels."""
    last = f"epoch {epoch - 1} is kept in {out}" if epoch > 1 else "no checkpoint was written"
    loss = float(terms.loss.detach())
    where = f"the loss became {loss} at epoch {epoch}, batch {step + 1}; stopped, {last}."
    if math.isfinite(loss):  # this rank's loss is fine, so another rank's was not
        where = f"the loss became non-finite on another rank at epoch {epoch}, batch {step + 1}; stopped, {last}."
    bad_images = (~torch.isfinite(x)).flatten(1).any(1)
    if bool(bad_images.any()):
        first = int(mine[bad_images.nonzero()[0, 0]])
        return TrainingError(f"{where} The batch holds NaN or infinite pixels (training image {first}); fix the data.")
    return TrainingError(f"{where} Try a lower --lr or a KL warm-up (--warmup-epochs).")
