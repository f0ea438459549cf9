"""Prepared image sets on disk: a person's images, prepared once, split and stored under the runs folder.

    <runs>/datasets/<name>-<hash>/images.safetensors   train/valid/test images (uint8) and labels (int64)
    <runs>/datasets/<name>-<hash>/dataset.json         title, preparation, label names, split sizes, skipped

The hash is of the prepared content, so the same images prepared the same way land in the same folder and are
written once. The folder appears whole or not at all (written beside it, then renamed). ``vae.data`` loads a
prepared folder as a dataset like MNIST: ``load_dataset(folder, "test")`` is the held-out split.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from vae.image_sets import ImageSet
from vae.json_files import read_json_file

FORMAT = 1
IMAGES_FILE = "images.safetensors"
META_FILE = "dataset.json"
DATASETS = "datasets"
HELD_OUT = 0.1  # share of the images in each of the validation and the test split
SPLITS = ("train", "valid", "test")
MAX_META_BYTES = 2**20  # title, ten label names, three sizes and the skipped counts


class PreparedSetError(RuntimeError):
    """A prepared folder is missing or damaged; the message names it."""


@dataclass(frozen=True)
class PreparedSet:
    """A stored set: where it is, what it is called, its label names (empty: unlabelled), split sizes."""

    path: Path
    title: str
    preparation: str
    label_names: tuple[str, ...]
    sizes: dict[str, int]


def datasets_root(runs_root: str | Path) -> Path:
    return Path(runs_root) / DATASETS


def is_prepared(path: str | Path) -> bool:
    folder = Path(path)
    return (folder / META_FILE).is_file() and (folder / IMAGES_FILE).is_file()


def slug(title: str) -> str:
    """A folder-name-safe version of a title: letters, digits, '-' and '_' only, at most 40 characters."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", title).strip("-")[:40] or "images"


def digest(image_set: ImageSet) -> str:
    h = hashlib.sha256()
    h.update(image_set.preparation.encode())
    h.update(json.dumps(list(image_set.label_names)).encode())
    h.update(np.ascontiguousarray(image_set.images).tobytes())
    h.update(np.ascontiguousarray(image_set.labels).tobytes())
    return h.hexdigest()[:12]


def split(image_set: ImageSet, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A seeded shuffle, then 10% validation, 10% test (the held-out images) and the rest for training."""
    count = len(image_set.images)
    order = np.random.default_rng(seed).permutation(count)
    held = max(1, round(count * HELD_OUT))
    bounds = {"test": order[:held], "valid": order[held : 2 * held], "train": order[2 * held :]}
    return {name: (image_set.images[idx], image_set.labels[idx]) for name, idx in bounds.items()}


def save(image_set: ImageSet, runs_root: str | Path, title: str) -> Path:
    """Write the set under ``<runs_root>/datasets/`` once; returns its folder (the existing one if present)."""
    root = datasets_root(runs_root)
    final = root / f"{slug(title)}-{digest(image_set)}"
    if is_prepared(final):
        return final
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".{final.name}.{os.getpid()}.tmp"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        parts = split(image_set)
        tensors = {}
        for name, (images, labels) in parts.items():
            tensors[f"{name}_images"] = np.ascontiguousarray(images, dtype=np.uint8)
            tensors[f"{name}_labels"] = np.ascontiguousarray(labels, dtype=np.int64)
        save_file(tensors, str(partial / IMAGES_FILE))
        meta = {
            "format": FORMAT,
            "title": title,
            "preparation": image_set.preparation,
            "label_names": list(image_set.label_names),
            "sizes": {name: len(images) for name, (images, _) in parts.items()},
            "skipped": image_set.skipped,
        }
        (partial / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        try:
            os.replace(partial, final)
        except OSError:  # another process wrote the same set first: theirs is identical
            if not is_prepared(final):
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return final


def read_meta(path: str | Path) -> PreparedSet:
    """What ``dataset.json`` says about a prepared folder; PreparedSetError names the file and the problem."""
    folder = Path(path)
    file = folder / META_FILE
    try:
        meta = read_json_file(file, PreparedSetError, MAX_META_BYTES)
    except FileNotFoundError:
        raise PreparedSetError(f"{file}: missing (not a prepared set)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PreparedSetError(f"{file}: not a prepared set of format {FORMAT}")
    names, sizes = meta.get("label_names", []), meta.get("sizes", {})
    title, preparation = meta.get("title") or folder.name, meta.get("preparation", "")
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise PreparedSetError(f"{file}: label_names must be a list of names")
    if not isinstance(sizes, dict) or not all(k in SPLITS and _count(v) for k, v in sizes.items()):
        raise PreparedSetError(f"{file}: sizes must give a whole number of images for each split")
    if not isinstance(title, str) or not isinstance(preparation, str):
        raise PreparedSetError(f"{file}: title and preparation must be text")
    return PreparedSet(folder, title, preparation, tuple(names), dict(sizes))


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def load_split(path: str | Path, split_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as vae.data returns datasets: float32 (N, 1, 28, 28) in [0, 1] and int64 labels (N,)."""
    if split_name not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split_name!r}")
    file = Path(path) / IMAGES_FILE
    try:
        tensors = load_file(str(file))
        images, labels = tensors[f"{split_name}_images"], tensors[f"{split_name}_labels"]
    except (OSError, KeyError, ValueError, RuntimeError) as error:
        raise PreparedSetError(f"{file}: not a readable prepared set ({type(error).__name__})") from None
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):
        raise PreparedSetError(f"{file}: the {split_name} split has the wrong shape")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def prepare_zip(zip_path: str | Path, runs_root: str | Path, preparation: str = "picture") -> Path:
    """A zip of images (``python -m vae.train --dataset photos.zip``) prepared in memory and stored once under
    ``<runs_root>/datasets/``; returns the prepared folder. Raises ImageSetError or OSError."""
    from vae.image_sets import read_zip

    path = Path(zip_path)
    return save(read_zip(path.read_bytes(), preparation), runs_root, path.stem).resolve()


def runs_root_default() -> Path:
    """Where the CLI keeps prepared sets: $VAE_RUNS (as the explorer's Train page does), else ./runs."""
    return Path(os.environ.get("VAE_RUNS") or "runs")
