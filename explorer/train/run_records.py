"""What a training run is, on disk and in words: its settings (RunSpec, the beta sweep), its name, its
root folder, and the status file and log the worker writes (layout in explorer.train.runs).

Callers import these names from here; explorer.train.runs holds the lock, starting and stopping. No
Streamlit here.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUNS_ENV = "VAE_RUNS"
REPO = Path(__file__).resolve().parents[2]
STATUS = ".status"
ACTIVE = ("queued", "running")  # the states of a run whose checkpoint is not ready to be used
FINAL = ("finished", "stopped", "failed", "cancelled")
SWEEP_BETAS = (0.5, 1.0, 4.0)


def runs_root() -> Path:
    """$VAE_RUNS, else the repository's runs/ folder."""
    return Path(os.environ.get(RUNS_ENV) or REPO / "runs")


# --------------------------------------------------------------------------------------------------------
# What to train


@dataclass(frozen=True)
class RunSpec:
    """The settings the Train page offers; each maps onto one `python -m vae.train` flag."""

    kind: str = "vae"
    arch: str = "mlp"
    latent_dim: int = 2
    beta: float = 1.0
    warmup_epochs: int = 0
    epochs: int = 10
    max_minutes: float = 5.0  # 0 = no time cap
    train_limit: int = 0  # first N training images only (0 = all 50,000)
    hidden: tuple[int, ...] = ()  # () = the CLI's default widths
    batch_size: int = 128
    seed: int = 0
    dataset: str = ""  # "" = MNIST; else a prepared set of a person's own images (vae.prepared_sets)

    def problems(self) -> list[str]:
        """What is wrong with these settings, in words (empty when they are fine)."""
        out = []
        if self.kind not in ("ae", "vae") and not (self.kind == "classifier" and self.dataset):
            out.append(f"kind must be ae or vae, not {self.kind!r}")
        if self.arch not in ("mlp", "conv"):
            out.append(f"architecture must be mlp or conv, not {self.arch!r}")
        if not 1 <= self.latent_dim <= 64:
            out.append("latent size must be between 1 and 64")
        if not 0 <= self.beta <= 100:
            out.append("beta must be between 0 and 100")
        if not 1 <= self.epochs <= 500 or not 0 <= self.warmup_epochs <= 500:
            out.append("epochs must be 1-500 and warm-up epochs 0-500")
        if self.max_minutes < 0 or self.train_limit < 0 or self.batch_size < 1:
            out.append("time cap and training slice cannot be negative; batch size must be positive")
        return out

    def argv(self, out: Path) -> list[str]:
        """The CLI flags of this run, writing its checkpoint to ``out``."""
        args = ["--kind", self.kind, "--arch", self.arch, "--latent-dim", str(self.latent_dim)]
        args += ["--beta", repr(float(self.beta)), "--warmup-epochs", str(self.warmup_epochs)]
        args += ["--epochs", str(self.epochs), "--max-minutes", repr(float(self.max_minutes))]
        args += ["--train-limit", str(self.train_limit), "--batch-size", str(self.batch_size), "--seed", str(self.seed)]
        if self.hidden:
            args += ["--hidden", *map(str, self.hidden)]
        if self.dataset:
            args += ["--dataset", self.dataset]
        return [*args, "--out", str(out), "--no-progress"]

    def label(self) -> str:
        beta = f", beta {self.beta:g}" + (f" (warm-up {self.warmup_epochs})" if self.warmup_epochs else "")
        on = f" on {Path(self.dataset).name}" if self.dataset else ""
        if self.kind == "classifier":
            return f"classifier{on}"
        return f"{self.kind.upper()} {self.arch} z={self.latent_dim}{beta if self.kind == 'vae' else ''}{on}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)


def sweep_specs(epochs: int = 30, max_minutes: float = 2.0, train_limit: int = 0) -> list[RunSpec]:
    """The preset beta sweep: a 2-D VAE at each of SWEEP_BETAS, everything else equal."""
    return [
        RunSpec("vae", "mlp", 2, beta, epochs=epochs, max_minutes=max_minutes, train_limit=train_limit)
        for beta in SWEEP_BETAS
    ]


def own_pair_specs(
    dataset: str | Path, latent_dim: int, epochs: int, labelled: bool, hidden: tuple[int, ...] = (), **extra: Any
) -> list[RunSpec]:
    """A pair on a prepared set of a person's images: an AE and a VAE with the same settings, and a small
    classifier when the set has labels (trained first, so its guesses are ready when the pair is)."""
    common = {"latent_dim": int(latent_dim), "epochs": int(epochs), "hidden": tuple(hidden), "dataset": str(dataset)}
    common.update(extra)
    specs = [RunSpec("ae", **common), RunSpec("vae", **common)]
    if labelled:
        specs.insert(0, RunSpec("classifier", **{**common, "hidden": ()}))
    return specs


def run_name(spec: RunSpec, when: float, taken: set[str]) -> str:
    """``<timestamp>-<kind>-z<d>-b<beta>`` (conv runs say so; an AE has no beta), unique within ``taken``."""
    stamp = _dt.datetime.fromtimestamp(when).strftime("%Y%m%d-%H%M%S")
    arch = "-conv" if spec.arch == "conv" else ""
    beta = f"-b{spec.beta:g}" if spec.kind == "vae" else ""
    base = f"{stamp}-{spec.kind}{arch}-z{spec.latent_dim}{beta}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


# --------------------------------------------------------------------------------------------------------
# Status files


@dataclass(frozen=True)
class RunStatus:
    """What .status/<name>.json says about one run."""

    name: str
    spec: RunSpec
    state: str  # queued, running, finished, stopped, failed, cancelled
    reason: str = ""
    returncode: int | None = None
    created: float = 0.0
    started: float | None = None
    ended: float | None = None
    evaluation: str = ""  # "", running, done, failed: ..., stopped, skipped
    sweep: str = ""  # the job's id when the run is part of a beta sweep

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def status_path(root: Path, name: str, suffix: str = ".json") -> Path:
    return root / STATUS / f"{name}{suffix}"


def log_path(root: Path, name: str) -> Path:
    return status_path(root, name, ".log")


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)  # readers see the old or the new file, never half of one


def update_status(root: Path, name: str, **changes: Any) -> None:
    """Merge ``changes`` into a run's status file (written atomically)."""
    path = status_path(root, name)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {"name": name}
    write_json(path, {**data, **changes})


def read_status(root: Path, name: str) -> RunStatus | None:
    try:
        data = json.loads(status_path(root, name).read_text())
        fields = {f.name for f in dataclasses.fields(RunStatus)} - {"name", "spec"}
        extra = {k: v for k, v in data.items() if k in fields}
        return RunStatus(name=name, spec=RunSpec.from_dict(data.get("spec") or {}), **extra)
    except (OSError, ValueError, TypeError):
        return None


def log_tail(root: Path, name: str, lines: int = 12) -> str:
    try:
        return "\n".join(log_path(root, name).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
