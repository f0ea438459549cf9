"""MNIST from the repository, image-folder datasets, and the message for a dataset that is not there."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from vae.data import DatasetError, load_dataset, load_mnist


def test_mnist_splits_shapes_and_labels():
    sizes = {"train": 50_000, "valid": 10_000, "test": 10_000}
    for split, n in sizes.items():
        images, labels = load_mnist(split)
        assert images.shape == (n, 1, 28, 28) and images.dtype == torch.float32
        assert labels.shape == (n,) and labels.dtype == torch.int64
        assert float(images.min()) == 0.0 and float(images.max()) == 1.0
    test_labels = load_mnist("test")[1]
    assert torch.bincount(test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert load_mnist("train")[1][:5].tolist() == [5, 0, 4, 1, 9]  # the famous first training digits
    assert load_mnist("test")[1][:5].tolist() == [7, 2, 1, 0, 4]


def test_valid_is_the_tail_of_the_training_file():
    train, valid = load_mnist("train")[0], load_mnist("valid")[0]
    assert not torch.equal(train[-1], valid[0])
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


def test_image_folder_dataset(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(10):
            array = rng.integers(0, 255, size=(40 + i, 30, 3), dtype=np.uint8)  # any size, colour
            Image.fromarray(array).save(tmp_path / label / f"{i}.png")
    splits = {s: load_dataset(str(tmp_path), s) for s in ("train", "valid", "test")}
    assert sum(len(x) for x, _ in splits.values()) == 20
    for images, labels in splits.values():
        assert images.shape[1:] == (1, 28, 28) and float(images.max()) <= 1.0
        assert set(labels.tolist()) <= {0, 1}


def test_missing_datasets_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset(str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no images"):
        load_dataset(str(empty))
    # Offline: torchvision's download fails; the message says how to get the data.
    from urllib.error import URLError

    from vae._torchvision import import_torchvision

    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(import_torchvision().datasets, "FashionMNIST", offline)
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match=r"Fashion-MNIST is not in .* could not be downloaded"):
        load_dataset("fashion-mnist")
    with pytest.raises(DatasetError, match="MNIST is missing"):
        load_mnist("test")


def test_release_cache_forgets_loaded_splits_and_reloads_equal():
    from vae.data import _load_shipped_mnist, release_cache

    before, _ = load_mnist("test")
    assert _load_shipped_mnist.cache_info().currsize >= 1
    release_cache()
    assert _load_shipped_mnist.cache_info().currsize == 0
    after, _ = load_mnist("test")
    assert after is not before and torch.equal(after, before)
