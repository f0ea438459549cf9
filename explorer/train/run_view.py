"""What the Train page shows about a run, computed from its files and its current checkpoint (no Streamlit).

The trainer writes a checkpoint after every epoch; everything here reads that (history, weights) plus the
run's status, so any session can draw any run at any time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from explorer.shared import core, latent_space
from explorer.train.runs import RunStatus
from vae.checkpoint import Checkpoint

SNAPSHOT_IMAGES = 500  # the fixed validation slice behind the live KL-per-dimension bars and active units
SHOWN = 10  # digits in the reconstruction and prior-sample strips
COLLAPSE_SHARE = 0.5  # warn when fewer than this share of the latent dimensions are active


@dataclass(frozen=True)
class Progress:
    epoch: int
    epochs: int
    images_per_second: float | None
    seconds_left: float | None  # None until one epoch has finished

    def text(self) -> str:
        parts = [f"epoch {self.epoch}/{self.epochs}"]
        if self.images_per_second:
            parts.append(f"{self.images_per_second:,.0f} images/s")
        if self.seconds_left is not None:
            parts.append(f"about {_duration(self.seconds_left)} left")
        return " · ".join(parts)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def progress(status: RunStatus, checkpoint: Checkpoint | None, now: float | None = None) -> Progress:
    """Epochs done, the last epoch's training speed and the time left (by epochs and by the time cap)."""
    spec = status.spec
    history = checkpoint.history if checkpoint else []
    done = len(history)
    last = history[-1] if history and isinstance(history[-1], dict) else {}  # a hand-edited entry may be anything
    speed = _finite(last.get("images_per_second"))
    left = None
    if done and status.started:
        elapsed = (now or time.time()) - status.started
        left = elapsed / done * (spec.epochs - done)  # per-epoch wall time, validation and start-up included
        if spec.max_minutes:
            used = _finite(checkpoint.progress.get("train_seconds")) if checkpoint else None
            used = elapsed if used is None else used
            left = min(left, max(0.0, 60 * spec.max_minutes - used) + elapsed / done)  # the cap ends an epoch
    return Progress(done, spec.epochs, speed, left)


def _finite(value: object) -> float | None:
    """A finite JSON number as a float, else None (true and false are no numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Snapshot:
    """The current weights at work: a strip of reconstructions and prior samples, and latent statistics."""

    epoch: int
    originals: np.ndarray  # (SHOWN, 28, 28)
    reconstructions: np.ndarray  # (SHOWN, 28, 28)
    samples: np.ndarray  # (SHOWN, 28, 28), decoded N(0, I) draws
    kl_per_dim: list[float] | None  # VAE only, nats, mean over the slice
    code_variance: list[float]  # Var_x of the posterior mean (or the AE's code) per dimension
    active_units: int  # vae.evaluate's definition: variance above latent_space.INACTIVE_VARIANCE

    @property
    def latent_dim(self) -> int:
        return len(self.code_variance)


@torch.inference_mode()
def snapshot(model: torch.nn.Module, images: np.ndarray, epoch: int, seed: int = 0) -> Snapshot:
    """Statistics over ``images`` (N, 28, 28) and strips of their first SHOWN reconstructions and samples."""
    from vae.evaluate import latent_statistics

    x = torch.from_numpy(np.array(images, dtype=np.float32)).unsqueeze(1)  # a copy: the cached slice is read-only
    stats = latent_statistics(model, x)
    return Snapshot(
        epoch=epoch,
        originals=images[:SHOWN],
        reconstructions=core.reconstruct(model, images[:SHOWN]),
        samples=core.prior_images(model, SHOWN, seed),
        kl_per_dim=stats.get("kl_per_dim"),
        code_variance=stats["code_variance"],
        active_units=int(stats["active_units"]),
    )


def collapse_warning(kind: str, shot: Snapshot) -> str | None:
    """A VAE whose active units fall below COLLAPSE_SHARE of its latent size, or whose every dimension
    carries less than latent_space.INACTIVE_KL nats, has (partly) collapsed onto the prior; None otherwise."""
    if kind != "vae":
        return None
    needed = math.ceil(COLLAPSE_SHARE * shot.latent_dim)
    all_quiet = shot.kl_per_dim is not None and all(v < latent_space.INACTIVE_KL for v in shot.kl_per_dim)
    if shot.active_units >= needed and not all_quiet:
        return None
    return (
        f"Posterior collapse: only {shot.active_units} of {shot.latent_dim} latent dimensions are active "
        f"(variance of the posterior mean over {SNAPSHOT_IMAGES} validation images above "
        f"{latent_space.INACTIVE_VARIANCE}; the warning shows below {needed}). The encoder sends the other dimensions "
        "to the prior and the decoder ignores them. A smaller beta or a KL warm-up usually helps."
    )
