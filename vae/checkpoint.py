"""Checkpoints: a folder with config.json (configs, dataset, metrics, history) beside model.safetensors.

Loading validates everything and rebuilds the model; any problem raises :class:`CheckpointError` naming the
file and the problem. Nothing is ever unpickled. Saving is atomic at the folder level: the new checkpoint
is written into a temporary sibling folder, then swapped in with two renames; if the process dies between
them, the previous checkpoint is found as ``.NAME.old`` and restored on the next read.

Test hook: with the environment variable ``VAE_SLOW_CHECKPOINT_WRITE_SECONDS`` set to a number of seconds,
:func:`save_checkpoint` prints ``checkpoint-write: STAGE PATH`` to stderr at each stage and then sleeps that
long: after the weights are staged (``staged-weights``), and between the two renames (``between-renames``),
so a test can kill a training process in the middle of a write. ``started`` and ``finished`` are printed
without a pause. Unset (the normal case), nothing is printed and nothing waits.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from vae.config import ConfigError, ModelConfig, TrainConfig
from vae.json_files import read_json_file
from vae.models import build_model

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
STATE_FILE = "training_state.safetensors"  # latest weights + optimizer moments, only for --resume
MAX_CONFIG_BYTES = 64 * 2**20  # a config.json with 500 epochs of history is well under 1 MB


class CheckpointError(RuntimeError):
    """A checkpoint folder cannot be used; the message names the file and what is wrong with it."""


@dataclass
class Checkpoint:
    """What config.json says about a checkpoint (the weights are loaded separately by :func:`load`)."""

    path: Path
    model: ModelConfig
    training: TrainConfig | None = None
    dataset: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    progress: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # torch_version, created, updated, command

    @property
    def name(self) -> str:
        return self.path.name

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "model": self.model.to_dict(),
            "training": self.training.to_dict() if self.training else None,
            "dataset": self.dataset,
            "metrics": self.metrics,
            "history": self.history,
            "progress": self.progress,
            **self.info,
        }


def _old(path: Path) -> Path:
    return path.parent / f".{path.name}.old"


def _writer_alive(path: Path) -> bool:
    # A staging folder .NAME.tmp-PID whose process still runs means a save is between its two renames.
    for staging in path.parent.glob(f".{path.name}.tmp-*"):
        try:
            os.kill(int(staging.name.rsplit("-", 1)[1]), 0)
            return True
        except (ValueError, ProcessLookupError):
            continue
        except PermissionError:  # alive, but another user's
            return True
    return False


def recover(path: str | Path) -> None:
    """Finish a folder swap that a killed process left half done (see the module docstring).

    Leaves a swap that a live writer is still making alone; readers then read ``.NAME.old`` as it is.
    """
    path = Path(path)
    if not path.exists() and _old(path).is_dir() and not _writer_alive(path):
        # FileNotFoundError: the writer finished (or another reader recovered) meanwhile.
        with contextlib.suppress(FileNotFoundError):
            os.rename(_old(path), path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    _fsync(temporary)
    os.replace(temporary, path)


def _write_pause(stage: str, path: Path, pause: bool = True) -> None:
    """The test hook described in the module docstring."""
    seconds = os.environ.get("VAE_SLOW_CHECKPOINT_WRITE_SECONDS")
    if not seconds:
        return
    print(f"checkpoint-write: {stage} {path}", file=sys.stderr, flush=True)
    if pause:
        time.sleep(float(seconds))


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def save_checkpoint(
    path: str | Path,
    model: torch.nn.Module,
    checkpoint: Checkpoint | None = None,
    training_state: dict[str, torch.Tensor] | None = None,
    weights: dict[str, torch.Tensor] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Checkpoint:
    """Write ``model`` (or explicit ``weights``) and its description atomically into the folder ``path``.

    ``training_state`` (optional) holds the tensors --resume needs; without it the folder has no state file.
    ``extra_files`` (name -> content, e.g. the training timeline) are written in the same folder swap.
    """
    path = Path(path)
    info = dict(checkpoint.info) if checkpoint else {}
    info.setdefault("created", _now())
    info.update(updated=_now(), torch_version=torch.__version__)
    record = Checkpoint(
        path=path,
        model=model.config,
        training=checkpoint.training if checkpoint else None,
        dataset=checkpoint.dataset if checkpoint else {},
        metrics=checkpoint.metrics if checkpoint else {},
        history=checkpoint.history if checkpoint else [],
        progress=checkpoint.progress if checkpoint else {},
        info=info,
    )
    recover(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.tmp-*"):  # left behind by a killed writer
        shutil.rmtree(stale, ignore_errors=True)
    staging = path.parent / f".{path.name}.tmp-{os.getpid()}"
    staging.mkdir()
    _write_pause("started", path, pause=False)
    tensors = {k: v.detach().cpu().contiguous() for k, v in (weights or model.state_dict()).items()}
    save_file(tensors, staging / WEIGHTS_FILE, metadata={"format_version": str(FORMAT_VERSION)})
    _fsync(staging / WEIGHTS_FILE)
    _write_pause("staged-weights", path)
    if training_state is not None:
        state = {k: v.detach().cpu().contiguous() for k, v in training_state.items()}
        save_file(state, staging / STATE_FILE)
        _fsync(staging / STATE_FILE)
    for name, content in (extra_files or {}).items():
        (staging / name).write_bytes(content)
        _fsync(staging / name)
    _write_json(staging / CONFIG_FILE, record.to_json())
    old = _old(path)
    if old.exists():
        shutil.rmtree(old)
    if path.exists():
        os.rename(path, old)
        _write_pause("between-renames", path)
    try:
        os.rename(staging, path)
    except OSError:  # a reader restored the old folder in the gap (an older reader, or a dead-PID guess)
        os.rename(path, _old(path).with_name(f"{old.name}-{os.getpid()}"))
        os.rename(staging, path)
        shutil.rmtree(_old(path).with_name(f"{old.name}-{os.getpid()}"), ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    _fsync(path.parent)
    _write_pause("finished", path, pause=False)
    return record


def writer_lock_path(path: str | Path) -> Path:
    """The file whose flock marks a checkpoint folder as being written: ``.NAME.writer`` beside the folder (not
    inside it: every save swaps the whole folder, and a lock file inside would go with the old one)."""
    path = Path(path)
    return path.parent / f".{path.name}.writer"


@contextlib.contextmanager
def writer_lock(path: str | Path) -> Iterator[None]:
    """Hold the exclusive right to write the checkpoint folder ``path`` for the ``with`` block.

    An flock (released by the kernel when the process dies, however it dies) on :func:`writer_lock_path`;
    raises :class:`CheckpointError` at once if another live process holds it, so a folder never has two
    writers. The file is removed on release; a holder checks that the file it locked is still the one at the
    path, so a remover and a newcomer cannot both win."""
    file = writer_lock_path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise CheckpointError(
                f"{path}: another training process (pid {holder}) is writing this checkpoint"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(file).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # locked a file its last holder had just removed: try the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
        os.close(fd)


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Parse and validate ``path/config.json`` (not the weights)."""
    path = Path(path)
    recover(path)
    for _ in range(200):  # a live writer is between its two renames: give it up to 2 s to finish
        if path.exists() or not _old(path).is_dir():
            break
        time.sleep(0.01)
    config_path = path / CONFIG_FILE
    if not path.is_dir():
        raise CheckpointError(f"{path}: no such checkpoint folder")
    if not config_path.is_file():
        raise CheckpointError(f"{config_path}: missing (a checkpoint folder needs {CONFIG_FILE} and {WEIGHTS_FILE})")
    try:
        return _parse_config(path, config_path, read_json_file(config_path, CheckpointError, MAX_CONFIG_BYTES))
    except FileNotFoundError:  # removed since the check above (a writer's swap): the same as missing
        raise CheckpointError(f"{config_path}: missing") from None
    except (RecursionError, MemoryError):  # a value nested just below json's limit, printed into a message
        raise CheckpointError(f"{config_path}: a value is nested too deeply or too large to use") from None


def _parse_config(path: Path, config_path: Path, data: Any) -> Checkpoint:
    """The Checkpoint that the parsed config.json ``data`` describes, or CheckpointError saying why not."""
    if not isinstance(data, dict):
        raise CheckpointError(f"{config_path}: expected a JSON object at the top level")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        shown = version if isinstance(version, int) and not isinstance(version, bool) else type(version).__name__
        raise CheckpointError(
            f"{config_path}: unknown format version {shown}; this program reads version {FORMAT_VERSION}"
        )
    try:
        model = ModelConfig.from_dict(data.get("model"))
        training = TrainConfig.from_dict(data["training"]) if data.get("training") else None
    except ConfigError as error:  # its message may quote a value: a hostile one is cut short
        raise CheckpointError(f"{config_path}: {_shortened(str(error))}") from None
    except (TypeError, ValueError, OverflowError) as error:  # a field of the wrong type, e.g. "epochs": "ten"
        raise CheckpointError(f"{config_path}: a field has the wrong type ({_shortened(str(error))})") from None
    known = {"format_version", "model", "training", "dataset", "metrics", "history", "progress"}
    return Checkpoint(
        path=path,
        model=model,
        training=training,
        dataset=_section(data, "dataset", dict, config_path),
        metrics=_section(data, "metrics", dict, config_path),
        history=_section(data, "history", list, config_path),
        progress=_section(data, "progress", dict, config_path),
        info={k: v for k, v in data.items() if k not in known},
    )


def _section(data: dict[str, Any], key: str, kind: type, config_path: Path) -> Any:
    """``data[key]`` if it is a JSON object (``kind`` dict) or list (``kind`` list); missing or null gives an
    empty one; anything else is a damaged config. (What a history's entries hold is the charts' to judge: a
    list of odd entries is drawn as a warning in place of the curves.)"""
    value = data.get(key)
    if value is None:
        return kind()
    if isinstance(value, kind):
        return value
    what = "a list (one entry per epoch)" if kind is list else "an object"
    raise CheckpointError(f"{config_path}: {key} must be {what}, got {_json_type(value)}")


def _shortened(text: str, most: int = 200) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _json_type(value: Any) -> str:
    """What kind of JSON value ``value`` is, in words (never the value itself: it may be huge or hostile)."""
    if isinstance(value, bool):
        return "true or false"
    names = {str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return next((words for kind, words in names.items() if isinstance(value, kind)), "null")


def label_names(checkpoint: Checkpoint, count: int | None = None) -> tuple[str, ...]:
    """The names of the checkpoint's labels, index by index, wherever they can still be found.

    First the names its config.json records (``dataset.label_names``; empty for a set without labels); for an
    older checkpoint, the names its dataset still gives (a built-in set's classes, or the prepared folder's if it
    still exists); else "class 0", "class 1", ... for ``count`` labels (as many as the caller's data has), or
    for the model's ``num_classes``.
    """
    recorded = checkpoint.dataset.get("label_names")
    if isinstance(recorded, list) and all(isinstance(name, str) for name in recorded):
        return tuple(recorded)
    from vae.data import BUILTIN_LABELS, DatasetError
    from vae.data import label_names as dataset_label_names

    name = str(checkpoint.dataset.get("name") or (checkpoint.training.dataset if checkpoint.training else "mnist"))
    if name in BUILTIN_LABELS:
        return BUILTIN_LABELS[name]
    if Path(name).is_dir():
        with contextlib.suppress(DatasetError, OSError):
            return dataset_label_names(name)
    return tuple(f"class {i}" for i in range(checkpoint.model.num_classes if count is None else count))


def _read_tensors(file: Path) -> dict[str, torch.Tensor]:
    if not file.is_file():
        raise CheckpointError(f"{file}: missing")
    try:
        return load_file(file)
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{file}: truncated or corrupt safetensors file ({error})") from None


def load(path: str | Path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Rebuild the model saved in ``path``, in eval mode; ``model.checkpoint`` holds its description."""
    checkpoint = read_checkpoint(path)
    weights_path = checkpoint.path / WEIGHTS_FILE
    weights = _read_tensors(weights_path)
    try:
        model = build_model(checkpoint.model)
    except (RuntimeError, MemoryError, ValueError) as error:  # the config's bounds make this unlikely
        raise CheckpointError(f"{checkpoint.path / CONFIG_FILE}: the model cannot be built ({error})") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [
        f"{k} {tuple(weights[k].shape)} (config needs {tuple(v.shape)})"
        for k, v in expected.items()
        if k in weights and weights[k].shape != v.shape
    ]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing tensors {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}")
        if unexpected:
            parts.append(f"unexpected tensors {', '.join(unexpected[:4])}{' ...' if len(unexpected) > 4 else ''}")
        if wrong:
            parts.append(f"wrong shapes {', '.join(wrong[:4])}{' ...' if len(wrong) > 4 else ''}")
        raise CheckpointError(f"{weights_path}: does not match {CONFIG_FILE}: {'; '.join(parts)}")
    for name, tensor in weights.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{weights_path}: tensor {name} holds NaN or infinite values")
    model.load_state_dict(weights)
    model.checkpoint = checkpoint
    return model.to(device).eval()


def load_training_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors saved for --resume (latest weights and optimizer state)."""
    return _read_tensors(Path(path) / STATE_FILE)


def update_metrics(path: str | Path, metrics: dict[str, Any]) -> Checkpoint:
    """Merge ``metrics`` into the checkpoint's config.json (atomically), leaving the weights untouched."""
    checkpoint = read_checkpoint(path)
    checkpoint.metrics = {**checkpoint.metrics, **metrics}
    checkpoint.info["updated"] = _now()
    _write_json(checkpoint.path / CONFIG_FILE, checkpoint.to_json())
    return checkpoint


def scan_checkpoints(root: str | Path) -> list[tuple[Path, Checkpoint | CheckpointError]]:
    """Every checkpoint folder under ``root`` with its description, or the reason it cannot be used.

    Loads every model (config.json and all of its weights, as :func:`load` does), so a broken folder is
    reported here rather than when a page first needs it.
    """
    root = Path(root)
    results: list[tuple[Path, Checkpoint | CheckpointError]] = []
    if not root.is_dir():
        return results
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            model = load(folder)
            results.append((folder, model.checkpoint))
        except CheckpointError as error:
            results.append((folder, error))
    return results
