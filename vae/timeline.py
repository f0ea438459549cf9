"""The training timeline: one compact snapshot per epoch, kept beside the checkpoint as ``timeline.safetensors``.

Each snapshot holds the codes of a fixed subset of held-out (validation) images, the same images every epoch
(the VAE: mu and log-variance; float16), a few of those images reconstructed and a few fixed prior draws
decoded with that epoch's weights (uint8 pixels), the epoch's loss terms and the KL per latent dimension. The
subset is chosen from the validation set's size alone and shrinks below 1,000 images only if the whole file
would pass :data:`BUDGET_BYTES` at the run's epoch budget.

:func:`vae.fit` records one (see :class:`Recorder`) and hands the file's bytes to
:func:`vae.checkpoint.save_checkpoint`, so it is written in the same atomic folder swap as the weights; a
resumed run reads it back and continues it, so its timeline equals an uninterrupted run's. :func:`read_timeline`
checks the file (format, checksum, shapes) and raises :class:`TimelineError` with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from vae.json_files import parse_json_bytes

TIMELINE_FILE = "timeline.safetensors"
FORMAT = "1"
BUDGET_BYTES = 3_000_000
SUBSET = 1000  # codes recorded per epoch, unless the budget asks for fewer
SHOWN = 8  # reconstructions and prior samples per epoch
LOSS_KEYS = ("train_loss", "train_reconstruction", "train_kl", "valid_loss", "valid_reconstruction", "valid_kl")
_PER_EPOCH = ("mu", "logvar", "recon", "samples", "losses", "kl_per_dim")


class TimelineError(RuntimeError):
    """A timeline file cannot be used; the message names the file and what is wrong with it."""


def subset_size(epochs: int, latent_dim: int, kind: str, available: int) -> int:
    """How many images' codes fit in the budget for ``epochs`` snapshots (at most :data:`SUBSET`)."""
    per_epoch = 2 * SHOWN * 28 * 28 + 4 * (len(LOSS_KEYS) + latent_dim + 1)
    per_image = max(1, epochs) * 2 * latent_dim * (2 if kind == "vae" else 1) + 16
    room = BUDGET_BYTES - 40_000 - max(1, epochs) * per_epoch
    return max(1, min(SUBSET, available, room // per_image))


def _pixels(images: torch.Tensor) -> torch.Tensor:
    return (images.reshape(-1, 28, 28).clamp(0, 1) * 255).round().to(torch.uint8).cpu()


@dataclass
class Timeline:
    """All snapshots of one run; per-epoch fields are lists, one tensor per recorded epoch."""

    kind: str
    latent_dim: int
    indices: torch.Tensor  # (N,) positions in the validation set
    labels: torch.Tensor  # (N,)
    originals: torch.Tensor  # (S, 28, 28) uint8, S = min(SHOWN, N): the subset's first images, reconstructed each epoch
    prior_z: torch.Tensor  # (SHOWN, D): the fixed prior draws decoded every epoch
    epochs: list[int] = field(default_factory=list)
    mu: list[torch.Tensor] = field(default_factory=list)  # (N, D) float16
    logvar: list[torch.Tensor] = field(default_factory=list)  # (N, D) float16; zeros for the autoencoder
    recon: list[torch.Tensor] = field(default_factory=list)  # (S, 28, 28) uint8
    samples: list[torch.Tensor] = field(default_factory=list)  # (S, 28, 28) uint8: the first S prior draws
    losses: list[torch.Tensor] = field(default_factory=list)  # (len(LOSS_KEYS),) float32
    kl_per_dim: list[torch.Tensor] = field(default_factory=list)  # (D,) float32; zeros for the autoencoder

    @classmethod
    def start(cls, kind: str, latent_dim: int, valid_x: torch.Tensor, valid_y: torch.Tensor, epochs: int) -> Timeline:
        """An empty timeline over a subset fixed by the validation set's size (the same on every resume)."""
        n = subset_size(epochs, latent_dim, kind, len(valid_x))
        order = torch.randperm(len(valid_x), generator=torch.Generator().manual_seed(0))
        indices = order[:n].sort().values
        shown = indices[: min(SHOWN, n)].to(valid_x.device)
        prior_z = torch.randn(SHOWN, latent_dim, generator=torch.Generator().manual_seed(0))
        labels = valid_y[indices.to(valid_y.device)].long().cpu()
        return cls(kind, latent_dim, indices, labels, _pixels(valid_x[shown]), prior_z)

    @torch.inference_mode()
    def record(self, model: torch.nn.Module, epoch: int, entry: dict[str, Any], valid_x: torch.Tensor) -> None:
        """Append the snapshot of ``model`` (its current weights) at ``epoch``; ``entry`` is its history record."""
        was_training = model.training
        model.eval()
        x = valid_x[self.indices.to(valid_x.device)]
        mus, logvars = [], []
        for part in x.split(500):
            posterior = model.encode(part)
            mus.append(posterior.mean.float())
            logvars.append(posterior.logvar.float() if self.kind == "vae" else torch.zeros_like(posterior.mean))
        mu = torch.cat(mus)
        self.epochs.append(int(epoch))
        self.mu.append(mu.half().cpu())
        self.logvar.append(torch.cat(logvars).half().cpu())
        # As many reconstructions and prior samples as there are originals: fewer than SHOWN when the held-out
        # split is smaller (a small set of a person's own images); the page draws them as rows of equal length.
        shown = len(self.originals)
        self.recon.append(_pixels(model.decode(mu[:shown])))
        self.samples.append(_pixels(model.decode(self.prior_z[:shown].to(mu.device))))
        self.losses.append(torch.tensor([float(entry.get(k, float("nan"))) for k in LOSS_KEYS]))
        per_dim = entry.get("valid_kl_per_dim") or [0.0] * self.latent_dim
        self.kl_per_dim.append(torch.tensor([float(v) for v in per_dim], dtype=torch.float32))
        model.train(was_training)

    def keep_until(self, epoch: int) -> None:
        """Drop snapshots after ``epoch`` (a resumed run continues from its checkpoint's epoch)."""
        keep = sum(1 for e in self.epochs if e <= epoch)
        for name in ("epochs", *_PER_EPOCH):
            setattr(self, name, getattr(self, name)[:keep])

    def tensors(self) -> dict[str, torch.Tensor]:
        """The file's tensors: per-epoch fields stacked along a first axis of length ``len(epochs)``."""
        n, d, shown = len(self.indices), self.latent_dim, len(self.originals)
        empty = {"mu": (0, n, d), "logvar": (0, n, d), "recon": (0, shown, 28, 28), "samples": (0, shown, 28, 28)}
        empty |= {"losses": (0, len(LOSS_KEYS)), "kl_per_dim": (0, d)}
        dtypes = {"mu": torch.float16, "logvar": torch.float16, "recon": torch.uint8, "samples": torch.uint8}
        out = {
            "indices": self.indices.to(torch.int32),
            "labels": self.labels.to(torch.int32),
            "originals": self.originals,
            "prior_z": self.prior_z.float(),
            "epochs": torch.tensor(self.epochs, dtype=torch.int32),
        }
        for name in _PER_EPOCH:
            values = getattr(self, name)
            out[name] = (
                torch.stack(values) if values else torch.zeros(empty[name], dtype=dtypes.get(name, torch.float32))
            )
        return {k: v.contiguous() for k, v in out.items()}

    def to_bytes(self) -> bytes:
        """The ``timeline.safetensors`` file, with a checksum of its tensors in the metadata."""
        tensors = self.tensors()
        meta = {"format": FORMAT, "kind": self.kind, "latent_dim": str(self.latent_dim)}
        meta |= {"loss_keys": ",".join(LOSS_KEYS), "sha256": _checksum(tensors)}
        return save_bytes(tensors, metadata=meta)


def _checksum(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tensors):
        digest.update(name.encode())
        digest.update(str(tuple(tensors[name].shape)).encode())
        digest.update(tensors[name].contiguous().view(torch.uint8).flatten().numpy().tobytes())
    return digest.hexdigest()


def _metadata(data: bytes, file: Path) -> dict[str, str]:
    """The safetensors header's ``__metadata__`` (text to text), whatever the header holds."""
    import struct

    try:
        (size,) = struct.unpack("<Q", data[:8])
    except struct.error:
        raise TimelineError(f"{file}: truncated or corrupt (unreadable header)") from None
    header = parse_json_bytes(data[8 : 8 + size], file, TimelineError)
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise TimelineError(f"{file}: truncated or corrupt (unreadable header)")
    return meta


DTYPES = {"indices": torch.int32, "labels": torch.int32, "epochs": torch.int32, "originals": torch.uint8}
DTYPES |= {"recon": torch.uint8, "samples": torch.uint8, "mu": torch.float16, "logvar": torch.float16}
DTYPES |= {"prior_z": torch.float32, "losses": torch.float32, "kl_per_dim": torch.float32}


def _check_shapes(t: dict[str, torch.Tensor], file: Path) -> None:
    missing = [k for k in DTYPES if k not in t]
    if missing:
        raise TimelineError(f"{file}: missing tensors {', '.join(missing)}")
    wrong = [f"{k} {t[k].dtype}" for k, dtype in DTYPES.items() if t[k].dtype != dtype]
    if wrong:
        raise TimelineError(f"{file}: tensors of the wrong type: {', '.join(wrong[:3])}")
    e, n = len(t["epochs"]) if t["epochs"].ndim else -1, len(t["indices"]) if t["indices"].ndim else -1
    d = t["prior_z"].shape[-1] if t["prior_z"].ndim == 2 else -1
    s = min(SHOWN, n)  # a held-out split of fewer than SHOWN images shows them all
    expected = {"mu": (e, n, d), "logvar": (e, n, d), "recon": (e, s, 28, 28), "samples": (e, s, 28, 28)}
    expected |= {"losses": (e, len(LOSS_KEYS)), "kl_per_dim": (e, d), "labels": (n,), "originals": (s, 28, 28)}
    expected |= {"epochs": (e,), "indices": (n,), "prior_z": (SHOWN, d)}
    wrong = [f"{k} {tuple(t[k].shape)} (expected {v})" for k, v in expected.items() if tuple(t[k].shape) != v]
    if wrong or n < 1 or d < 1:
        raise TimelineError(f"{file}: inconsistent shapes: {'; '.join(wrong[:3]) or 'no codes'}")
    if e and not bool((t["epochs"][1:] > t["epochs"][:-1]).all()):
        raise TimelineError(f"{file}: epochs are not increasing")


def read_timeline(folder: str | Path) -> Timeline:
    """The timeline saved in a checkpoint folder; :class:`TimelineError` says why it cannot be used."""
    file = Path(folder) / TIMELINE_FILE
    if not file.is_file():
        why = "trained without one: before timelines were recorded, or with --no-timeline"
        raise TimelineError(f"{file}: missing ({why})")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise TimelineError(f"{file}: cannot be read ({error.strerror or type(error).__name__})") from None
    meta = _metadata(data, file)
    try:
        tensors = load_bytes(data)
    except (SafetensorError, ValueError, RuntimeError, OverflowError, MemoryError) as error:
        raise TimelineError(f"{file}: truncated or corrupt safetensors file ({type(error).__name__})") from None
    if meta.get("format") != FORMAT:
        raise TimelineError(f"{file}: an unknown timeline format; this program reads format {FORMAT}")
    if meta.get("sha256") != _checksum(tensors):
        raise TimelineError(f"{file}: its contents do not match their checksum (the file was changed or damaged)")
    _check_shapes(tensors, file)
    if meta.get("kind") not in ("ae", "vae") or meta.get("latent_dim") != str(tensors["prior_z"].shape[1]):
        raise TimelineError(f"{file}: metadata does not match the tensors")
    per_epoch = {name: list(tensors[name].unbind(0)) for name in _PER_EPOCH}
    return Timeline(
        kind=meta["kind"],
        latent_dim=int(meta["latent_dim"]),
        indices=tensors["indices"].long(),
        labels=tensors["labels"].long(),
        originals=tensors["originals"],
        prior_z=tensors["prior_z"],
        epochs=[int(e) for e in tensors["epochs"]],
        **per_epoch,
    )


class Recorder:
    """What :func:`vae.fit` holds: the run's timeline, recorded after each epoch and saved with its checkpoint."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    @classmethod
    def for_run(
        cls, out: Path, config: Any, valid: tuple[torch.Tensor, torch.Tensor], epochs: int, resume_epoch: int
    ) -> Recorder | None:
        """A recorder for an AE or VAE run (``config`` its ModelConfig; None for the classifier); a resumed run
        continues its saved timeline (one that is missing or unreadable is started afresh)."""
        if config.kind not in ("ae", "vae"):
            return None
        if resume_epoch:
            try:
                saved = read_timeline(out)
            except TimelineError:
                saved = None
            if saved is not None and saved.kind == config.kind and saved.latent_dim == config.latent_dim:
                saved.keep_until(resume_epoch)
                return cls(saved)
        return cls(Timeline.start(config.kind, config.latent_dim, valid[0], valid[1], epochs))

    def record(self, model: torch.nn.Module, epoch: int, entry: dict[str, Any], valid_x: torch.Tensor) -> dict:
        """Snapshot the epoch; returns the ``extra_files`` for save_checkpoint."""
        self.timeline.record(model, epoch, entry, valid_x)
        return {TIMELINE_FILE: self.timeline.to_bytes()}
