"""What a training run is, on disk and in words: its settings (RunSpec, the beta sweep), its name, its
root folder, and the status file and log the worker writes (layout in explorer.train.runs).

Reading a status file is total: for any bytes, a RunStatus whose every field has its type and range, or
RunFileError naming the file and the field. Callers import these names from here; explorer.train.runs holds
the lock, starting and stopping. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vae.config import MAX_IWAE_K
from vae.json_files import read_json_file

RUNS_ENV = "VAE_RUNS"
REPO = Path(__file__).resolve().parents[2]
STATUS = ".status"
ACTIVE = ("queued", "running")  # the states of a run whose checkpoint is not ready to be used
FINAL = ("finished", "stopped", "failed", "cancelled")
STATES = (*ACTIVE, *FINAL)
EVALUATIONS = ("", "running", "done", "stopped", "skipped", "failed")  # "failed: <why>" starts with the last
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")  # what run_name makes; never a path
MAX_STATUS_BYTES = 2**20  # a status is a few hundred bytes
LATEST_TIME = 1e11  # seconds since 1970 (the year 5138): later is no time a run was started or ended
ENDED_UNREPORTED = "the training process ended without a report (killed, or the machine restarted)"
SWEEP_BETAS = (0.5, 1.0, 4.0)


def runs_root() -> Path:
    """$VAE_RUNS, else the repository's runs/ folder."""
    return Path(os.environ.get(RUNS_ENV) or REPO / "runs")


def relative(text: str, root: Path | None = None) -> str:
    """``text`` (a message, a log) with the server's absolute paths taken out: files under the runs folder are
    named relative to it, files in the app's folder relative to that. Pages show nothing else."""
    root = Path(root or runs_root())
    names = {str(REPO): "the app's folder", str(REPO.resolve()): "the app's folder"}
    names |= {str(root): "the runs folder", str(root.resolve()): "the runs folder"}
    for prefix in sorted((p for p in names if os.path.isabs(p) and len(p) > 1), key=len, reverse=True):
        text = text.replace(prefix + os.sep, "").replace(prefix, names[prefix])  # runs/ may lie inside the app's
    return text


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
    iwae_k: int = 1  # importance samples per image in the VAE's objective (1 = the ELBO; vae.losses)

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
        if not 1 <= self.iwae_k <= MAX_IWAE_K or (self.iwae_k > 1 and self.kind != "vae"):
            out.append(f"importance samples must be 1-{MAX_IWAE_K}, and more than 1 only for a VAE")
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
        if self.iwae_k > 1:
            args += ["--iwae-k", str(self.iwae_k)]
        return [*args, "--out", str(out), "--no-progress"]

    def label(self) -> str:
        beta = f", beta {self.beta:g}" + (f" (warm-up {self.warmup_epochs})" if self.warmup_epochs else "")
        beta += f", IWAE k={self.iwae_k}" if self.iwae_k > 1 else ""
        on = f" on {Path(self.dataset).name}" if self.dataset else ""
        if self.kind == "classifier":
            return f"classifier{on}"
        return f"{self.kind.upper()} {self.arch} z={self.latent_dim}{beta if self.kind == 'vae' else ''}{on}"


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
    beta += f"-k{spec.iwae_k}" if spec.kind == "vae" and spec.iwae_k > 1 else ""
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


class RunFileError(RuntimeError):
    """A run-state file (a run's status, the runs lock) cannot be used; the message names it and says why."""


def after_dead_job(status: RunStatus, now: float | None = None) -> dict[str, Any]:
    """The fields that change when ``status`` belongs to a job that is gone (killed, or the machine restarted):
    a run still queued or training failed, an evaluation still running failed too. Empty when nothing does.

    explorer.train.runs.scan shows runs this way on read; start() and stop() write it (``now``: the end time)."""
    changes: dict[str, Any] = {}
    if status.active:
        why = ENDED_UNREPORTED if status.state == "running" else "its job ended before it began (killed, or restarted)"
        changes.update(state="failed", reason=why)
        if now is not None:
            changes["ended"] = now
    if status.evaluation == "running":
        changes["evaluation"] = "failed: the evaluation ended without a report (killed, or the machine restarted)"
    return changes


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
    """Merge ``changes`` into a run's status file (written atomically); a damaged one is started afresh."""
    path = status_path(root, name)
    try:
        data = read_json_file(path, RunFileError, MAX_STATUS_BYTES)
    except (FileNotFoundError, RunFileError):
        data = None
    write_json(path, {**(data if isinstance(data, dict) else {"name": name}), **changes})


def read_status(root: Path, name: str) -> RunStatus | None:
    """The run's status; None when it has none, RunFileError (naming the file) when it cannot be used."""
    path = status_path(root, name)
    try:
        data = read_json_file(path, RunFileError, MAX_STATUS_BYTES)
    except FileNotFoundError:
        return None
    return parse_status(name, data, path)


def parse_status(name: str, data: Any, path: Path) -> RunStatus:
    """A status file's JSON value as a RunStatus, every field checked; RunFileError says which one is wrong.

    The reasons name fields, never their values: a damaged file may hold anything, and pages show these."""
    if not RUN_NAME.fullmatch(name):
        raise RunFileError(f"{path}: not named like a run")
    if not isinstance(data, dict):
        raise RunFileError(f"{path}: not a JSON object")
    state, evaluation = data.get("state"), data.get("evaluation", "")
    if state not in STATES:
        raise RunFileError(f"{path}: state must be one of {', '.join(STATES)}")
    if not isinstance(evaluation, str) or not evaluation.startswith(EVALUATIONS):
        raise RunFileError(f"{path}: evaluation must be one of {', '.join(e or '(none)' for e in EVALUATIONS)}")
    for key in ("reason", "sweep"):
        if not isinstance(data.get(key, ""), str):
            raise RunFileError(f"{path}: {key} must be text")
    for key in ("created", "started", "ended"):
        value = data.get(key, 0.0 if key == "created" else None)
        if not (value is None and key != "created") and not _number(value, 0, LATEST_TIME):
            raise RunFileError(f"{path}: {key} must be a time in seconds")
    code = data.get("returncode")
    if code is not None and not (_whole(code) and -(2**31) <= code < 2**31):
        raise RunFileError(f"{path}: returncode must be a whole number")
    known = {f.name for f in dataclasses.fields(RunStatus)} - {"name", "spec"}
    values = {k: float(v) if k in ("created", "started", "ended") and v is not None else v for k, v in data.items()}
    return RunStatus(
        name=name, spec=parse_spec(data.get("spec") or {}, path), **{k: values[k] for k in known & set(data)}
    )


def parse_spec(data: Any, path: Path) -> RunSpec:
    """A status file's run settings, as start() wrote them: the right types, and no problems()."""
    if not isinstance(data, dict):
        raise RunFileError(f"{path}: spec must be a JSON object")
    values = {}
    for spec_field in dataclasses.fields(RunSpec):
        if spec_field.name not in data:
            continue
        value, kind = data[spec_field.name], spec_field.type
        text = kind == "str" and isinstance(value, str) and len(value) <= 4096
        if text or (kind == "int" and _whole(value) and abs(value) < 2**63):
            values[spec_field.name] = value
        elif kind == "float" and _number(value, -1e300, 1e300):
            values[spec_field.name] = float(value)
        elif spec_field.name == "hidden" and isinstance(value, list) and len(value) <= 16:
            if not all(_whole(v) and 1 <= v <= 65_536 for v in value):
                raise RunFileError(f"{path}: spec.hidden must be a list of layer widths")
            values[spec_field.name] = tuple(value)
        else:
            raise RunFileError(f"{path}: spec.{spec_field.name} has the wrong type")
    spec = RunSpec(**values)
    if spec.problems():
        raise RunFileError(f"{path}: spec holds settings the app never starts")
    return spec


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any, low: float, high: float) -> bool:
    """A finite JSON number (not true or false) from ``low`` to ``high``."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def log_tail(root: Path, name: str, lines: int = 12) -> str:
    try:
        return "\n".join(log_path(root, name).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
