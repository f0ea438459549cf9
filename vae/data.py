"""Datasets as in-memory tensors: MNIST shipped in the repository, torchvision's MNIST look-alikes, image folders.

Every loader returns ``(images, labels)``: images float32 in [0, 1] shaped (N, 1, 28, 28), labels int64
(-1 where a folder has no class sub-folders). Splits: "train", "valid" (held out of the training set for
early stopping) and "test". Results are cached per process; treat them as read-only.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import torch

SPLITS = ("train", "valid", "test")
VALID_SIZE = 10_000  # MNIST's last 10k training images: the classic 50k/10k split
REPO_DATA = Path(__file__).resolve().parent.parent / "data"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_TORCHVISION_SETS = {"fashion-mnist": ("FashionMNIST", "Fashion-MNIST"), "kmnist": ("KMNIST", "Kuzushiji-MNIST")}
# The built-in sets' class names, index by index (Fashion-MNIST's and KMNIST's as their authors list them).
BUILTIN_LABELS = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "kmnist": ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
}


class DatasetError(RuntimeError):
    """A dataset is missing or unreadable; the message says how to get it."""


def data_dir() -> Path:
    """Where datasets live: $VAE_DATA_DIR, else the repository's data/ folder."""
    return Path(os.environ.get("VAE_DATA_DIR", REPO_DATA))


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _unpack_shipped_mnist(root: Path) -> None:
    # torchvision's MNIST reads the raw IDX files; the repository ships them gzipped (11 MB instead of 55 MB),
    # so unpack them once into root/MNIST/raw. Temporary name + rename: two processes may race here.
    raw = root / "MNIST" / "raw"
    shipped = root / "mnist"
    missing = [name for name in _MNIST_FILES if not (raw / name).is_file()]
    if not missing:
        return
    raw.mkdir(parents=True, exist_ok=True)
    for name in missing:
        source = shipped / f"{name}.gz"
        if not source.is_file():
            raise DatasetError(
                f"MNIST is missing: {source} does not exist. Restore the repository's data/mnist folder "
                "(git checkout -- data/mnist) or rebuild it offline with `python scripts/build_mnist.py`."
            )
        temporary = raw / f".{name}.{os.getpid()}.tmp"
        with gzip.open(source, "rb") as packed, open(temporary, "wb") as unpacked:
            shutil.copyfileobj(packed, unpacked)
        os.replace(temporary, raw / name)


def _split_train(images: torch.Tensor, labels: torch.Tensor, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    if split == "train":
        return images[:-VALID_SIZE], labels[:-VALID_SIZE]
    return images[-VALID_SIZE:], labels[-VALID_SIZE:]


def _to_float(data: torch.Tensor) -> torch.Tensor:
    return data.to(torch.float32).div_(255.0).unsqueeze(1)  # (N, 28, 28) uint8 -> (N, 1, 28, 28) float


def _read_idx(path: Path) -> torch.Tensor:
    """A uint8 IDX file (MNIST's raw format: 3 zero-or-type bytes, the rank, big-endian sizes, then the data).

    The same bytes torchvision's MNIST reads; reading them here spares every training process the ~1 s that
    ``import torchvision`` costs, more than reading the file does.
    """
    raw = path.read_bytes()
    rank = raw[3] if len(raw) > 4 and raw[:3] == b"\x00\x00\x08" else 0
    sizes = struct.unpack(f">{rank}I", raw[4 : 4 + 4 * rank]) if rank else ()
    data = torch.frombuffer(bytearray(raw[4 + 4 * rank :]), dtype=torch.uint8)
    if not rank or data.numel() != torch.Size(sizes).numel():
        raise DatasetError(f"{path} is not a uint8 IDX file; restore it from data/mnist (delete it to re-unpack)")
    return data.view(sizes)


@functools.lru_cache(maxsize=2)
def _load_shipped_mnist(train: bool, root: str) -> tuple[torch.Tensor, torch.Tensor]:
    _unpack_shipped_mnist(Path(root))
    raw, prefix = Path(root) / "MNIST" / "raw", "train" if train else "t10k"
    images, labels = _read_idx(raw / f"{prefix}-images-idx3-ubyte"), _read_idx(raw / f"{prefix}-labels-idx1-ubyte")
    return _to_float(images), labels.to(torch.int64)


@functools.lru_cache(maxsize=8)
def _load_torchvision(dataset: str, train: bool, root: str) -> tuple[torch.Tensor, torch.Tensor]:
    from vae._torchvision import import_torchvision

    datasets = import_torchvision().datasets
    folder, title = _TORCHVISION_SETS[dataset]
    cls = getattr(datasets, folder)
    try:
        ds = cls(root, train=train, download=True)
    except Exception:
        raise DatasetError(
            f"{title} is not in {root}/{folder}/raw and could not be downloaded: run the command once on a "
            f"machine with internet access, or copy its four IDX files into {root}/{folder}/raw."
        ) from None
    return _to_float(ds.data), ds.targets.to(torch.int64)


def release_cache() -> None:
    """Forget every dataset read so far (MNIST's training set alone is ~190 MB of float32).

    The loaders keep what they read for the life of the process; a caller that needed a large split once
    (e.g. to fit a density on the training codes) calls this afterwards. The next load reads from disk again.
    """
    _load_shipped_mnist.cache_clear()
    _load_torchvision.cache_clear()
    _read_folder.cache_clear()
    _load_prepared.cache_clear()
    _load_zip.cache_clear()


def load_mnist(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST from the repository: train 50k, valid 10k (the last 10k training images), test 10k."""
    return load_dataset("mnist", split)


def load_dataset(name: str, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """ "mnist", "fashion-mnist", "kmnist" (downloaded by torchvision where internet exists) or a folder path."""
    _check_split(split)
    if name in ("mnist", *_TORCHVISION_SETS):
        load = _load_shipped_mnist if name == "mnist" else functools.partial(_load_torchvision, name)
        images, labels = load(split != "test", str(data_dir()))
        return (images, labels) if split == "test" else _split_train(images, labels, split)
    path = Path(name)
    if path.is_file() and path.suffix.lower() == ".zip":
        return _load_zip(str(path.resolve()), path.stat().st_mtime_ns, split)
    if not path.is_dir():
        raise DatasetError(
            f"unknown dataset {name!r}: use mnist, fashion-mnist, kmnist, the path of a folder of images, a zip "
            "of images or a prepared set"
        )
    if _prepared(path):
        return _load_prepared(str(path.resolve()), split)
    return _load_folder(str(path.resolve()), split)


def _prepared(path: Path) -> bool:
    from vae.prepared_sets import is_prepared

    return is_prepared(path)


@functools.lru_cache(maxsize=12)
def _load_prepared(folder: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    from vae.prepared_sets import PreparedSetError, load_split

    try:
        return load_split(folder, split)
    except PreparedSetError as error:
        raise DatasetError(str(error)) from None


@functools.lru_cache(maxsize=6)
def _load_zip(path: str, stamp: int, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    # A zip is prepared in memory ("picture" preparation) and split like a stored prepared set; nothing is written.
    from vae.image_sets import ImageSetError, read_zip
    from vae.prepared_sets import split as split_set

    try:
        prepared = split_set(read_zip(Path(path).read_bytes()))
    except ImageSetError as error:
        raise DatasetError(f"{path}: {error}") from None
    except OSError as error:
        raise DatasetError(f"{path}: could not be read ({error.strerror})") from None
    images, labels = prepared[split]
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1), torch.from_numpy(labels)


def label_names(name: str) -> tuple[str, ...]:
    """The names of a dataset's labels, index by index: a built-in set's classes, a prepared set's folder names
    (empty when it has none), an image folder's sub-folder names; digits for a path that no longer exists."""
    path = Path(name)
    if name in BUILTIN_LABELS:
        return BUILTIN_LABELS[name]
    if not path.exists():
        return BUILTIN_LABELS["mnist"]
    if path.is_dir() and _prepared(path):
        from vae.prepared_sets import PreparedSetError, read_meta

        try:
            return read_meta(path).label_names
        except PreparedSetError as error:
            raise DatasetError(str(error)) from None
    if path.is_dir():
        return _read_folder(str(path.resolve()))[2]
    return ()


def dataset_record(name: str, train_x: torch.Tensor, train_y: torch.Tensor) -> dict[str, Any]:
    """What a checkpoint records about the data it was trained on, so it still describes itself when the
    dataset's folder is gone: title, preparation, label names (left out where unknown), image size, channels,
    and a hash of the training split as used: sha256 of its float32 images' bytes, then of its int64 labels'
    (about 0.15 s for MNIST's 50k images)."""
    images = train_x.detach().to("cpu", torch.float32).contiguous()  # (N, C, H, W)
    digest = hashlib.sha256(images.numpy().data)
    digest.update(train_y.detach().to("cpu", torch.int64).contiguous().numpy().data)
    path = Path(name)
    if name in BUILTIN_LABELS:  # prepared by their authors
        described = {"title": name, "preparation": "original", "label_names": list(BUILTIN_LABELS[name])}
    elif path.is_dir() and _prepared(path):
        from vae.prepared_sets import PreparedSetError, read_meta

        try:
            meta = read_meta(path)
        except PreparedSetError as error:
            raise DatasetError(str(error)) from None
        described = {"title": meta.title, "preparation": meta.preparation, "label_names": list(meta.label_names)}
    elif path.is_dir():
        names = list(_read_folder(str(path.resolve()))[2])
        described = {"title": path.name, "preparation": "folder (grey, resized to 28x28)", "label_names": names}
    else:  # a zip prepared in memory (as pictures), or tensors handed to fit under a name: label names unknown
        described = {"title": path.stem or name, "preparation": "picture" if path.suffix.lower() == ".zip" else ""}
    return {
        **described,
        "image_size": list(images.shape[2:]),
        "channels": int(images.shape[1]),
        "data_hash": f"sha256:{digest.hexdigest()}",
    }


@functools.lru_cache(maxsize=4)
def _read_folder(folder: str) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    from PIL import Image, UnidentifiedImageError

    root = Path(folder)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DatasetError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) found under {root}")
    classes = sorted({p.parent.name for p in files if p.parent != root})
    images, labels = [], []
    for file in files:
        try:
            with Image.open(file) as img:
                grey = img.convert("L").resize((28, 28), Image.Resampling.LANCZOS)
        except (UnidentifiedImageError, OSError) as error:
            raise DatasetError(f"{file}: not a readable image ({error})") from None
        images.append(torch.frombuffer(bytearray(grey.tobytes()), dtype=torch.uint8).view(28, 28))
        labels.append(classes.index(file.parent.name) if file.parent != root and classes else -1)
    return _to_float(torch.stack(images)), torch.tensor(labels, dtype=torch.int64), tuple(classes)


def _load_folder(folder: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    # A fixed shuffle, then 80% train / 10% valid / 10% test, so the split never depends on file order quirks.
    images, labels, _ = _read_folder(folder)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    n_valid = n_test = max(1, len(images) // 10) if len(images) >= 3 else 0
    bounds = {"test": (0, n_test), "valid": (n_test, n_test + n_valid), "train": (n_test + n_valid, len(images))}
    lo, hi = bounds[split]
    chosen = order[lo:hi] if (split == "train" or hi > lo) else order  # tiny folders: every split sees all
    return images[chosen], labels[chosen]


class Binarizer:
    """Dynamic binarisation: each call draws fresh binary images x ~ Bernoulli(pixels), as float32 0/1.

    The same draw as ``torch.bernoulli`` in distribution, from a seeded numpy PCG64 stream: a uniform u in
    [0, 1) per pixel, 1 where u < p. On the CPU this is about 2.5x faster than ``torch.bernoulli`` (whose
    Mersenne Twister draws one number at a time), which matters when a batch of 100 MLP-VAE images takes a few
    milliseconds to train on."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Pixel probabilities in [0, 1], any shape, on the CPU -> a binary float32 tensor of that shape."""
        uniform = torch.from_numpy(self._rng.random(images.numel(), dtype=np.float32)).view(images.shape)
        return (uniform < images).to(torch.float32)
