"""Own images as a dataset (vae.image_sets, vae.prepared_sets, vae.data, the CLI): the ~600 shapes in three
sub-folders, made here with Pillow, and each hostile zip the issue lists, which must get its own message and
leave nothing behind outside the runs folder."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from _shapes import FOLDERS, shape_png, shapes_zip
from safetensors.torch import load_file

from vae import data, image_sets, prepared_sets
from vae.image_sets import ImageSetError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shapes() -> bytes:
    return shapes_zip()


def _zip(members: dict[str, bytes] | list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    items = members.items() if isinstance(members, dict) else members
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", method) as archive:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about duplicate names; we want them
        for name, content in items:
            archive.writestr(name, content)
    return out.getvalue()


def _pngs(n: int, folder: str = "", seed: int = 1) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    return {f"{folder}{i:03d}.png": shape_png(FOLDERS[i % 3], rng) for i in range(n)}


def _tree(*roots: Path) -> set[str]:
    found = set()
    for root in roots:
        for here, folders, files in os.walk(root):
            found.update(str(Path(here) / name) for name in [*folders, *files])
    return found


# --------------------------------------------------------------------------------------------------------
# The shapes


def test_shapes_give_three_labels_and_all_images(shapes):
    for preparation in ("picture", "digit"):
        prepared = image_sets.read_zip(shapes, preparation)
        assert prepared.images.shape == (600, 28, 28) and prepared.images.dtype == np.uint8
        assert prepared.label_names == FOLDERS
        assert np.bincount(prepared.labels).tolist() == [200, 200, 200]
        assert prepared.skipped == {}
        assert prepared.counts_text() == "600 images used; none skipped"
        assert prepared.images.max() == 255  # light shapes stay light in both preparations


def test_picture_preparation_keeps_the_shape_in_place():
    grey = np.zeros((40, 80), dtype=np.float32)
    grey[:, 40:] = 1.0  # right half white, left half black: fitted to 28x14 and padded with the border median
    picture = image_sets.fit_picture(grey)
    assert picture.shape == (28, 28)
    assert picture[14, 27] == pytest.approx(1.0) and picture[14, 0] == pytest.approx(0.0)


def test_saved_once_split_and_loaded_as_a_dataset(tmp_path, shapes):
    prepared = image_sets.read_zip(shapes)
    folder = prepared_sets.save(prepared, tmp_path, "my <b>shapes</b>")
    assert folder.parent == tmp_path / "datasets" and folder.name.startswith("my-b-shapes-b-")
    stamp = (folder / prepared_sets.IMAGES_FILE).stat().st_mtime_ns
    assert prepared_sets.save(prepared, tmp_path, "my <b>shapes</b>") == folder  # the same set: not rewritten
    assert (folder / prepared_sets.IMAGES_FILE).stat().st_mtime_ns == stamp
    meta = prepared_sets.read_meta(folder)
    assert meta.title == "my <b>shapes</b>" and meta.label_names == FOLDERS
    assert meta.sizes == {"train": 480, "valid": 60, "test": 60}
    sizes = {split: len(data.load_dataset(str(folder), split)[0]) for split in data.SPLITS}
    assert sizes == meta.sizes
    x, y = data.load_dataset(str(folder), "test")
    assert x.shape == (60, 1, 28, 28) and x.dtype == torch.float32 and float(x.max()) == 1.0
    assert set(y.tolist()) <= {0, 1, 2}
    assert data.label_names(str(folder)) == FOLDERS
    assert [p.name for p in (tmp_path / "datasets").iterdir()] == [folder.name]  # no temporary left


def test_a_zip_is_a_dataset_in_memory(tmp_path, shapes):
    path = tmp_path / "photos.zip"
    path.write_bytes(shapes)
    before = _tree(tmp_path)
    x, y = data.load_dataset(str(path), "train")
    assert x.shape == (480, 1, 28, 28) and sorted(set(y.tolist())) == [0, 1, 2]
    assert _tree(tmp_path) == before


def test_labels_need_every_image_in_a_subfolder():
    mixed = {**_pngs(30, "a/"), **_pngs(30, "b/", seed=2), **_pngs(5, "", seed=3)}
    prepared = image_sets.read_zip(_zip(mixed))
    assert prepared.label_names == () and set(prepared.labels.tolist()) == {-1}
    assert "outside any sub-folder" in prepared.notes[0]
    flat = image_sets.read_zip(_zip(_pngs(60)))
    assert flat.label_names == () and flat.notes == ()


# --------------------------------------------------------------------------------------------------------
# Hostile and broken zips


def _refused(archive: bytes, tmp_path: Path, *expected: str) -> str:
    """Prepare ``archive`` as the CLI does (runs root inside tmp_path); it must be refused and write nothing
    anywhere around tmp_path (its parent, the working directory)."""
    (tmp_path / "runs").mkdir(exist_ok=True)
    path = tmp_path / "in.zip"
    path.write_bytes(archive)
    before = _tree(tmp_path.parent, Path.cwd())
    with pytest.raises(ImageSetError) as caught:
        prepared_sets.prepare_zip(path, tmp_path / "runs")
    assert _tree(tmp_path.parent, Path.cwd()) == before
    message = str(caught.value)
    for text in expected:
        assert text in message, message
    return message


@pytest.mark.parametrize(
    ("name", "why"),
    [("../x.png", "'..'"), ("a/../../x.png", "'..'"), ("/abs.png", "absolute"), ("C:/x.png", "drive letters")],
)
def test_member_names_that_climb_out_are_refused(tmp_path, name, why):
    members = {**_pngs(60, "ok/"), name: shape_png("circles", np.random.default_rng(0))}
    message = _refused(_zip(members), tmp_path, why, "refused as a whole")
    assert "x.png" not in message and "abs.png" not in message  # the member's name is not repeated


def test_symlinks_are_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in _pngs(60).items():
            archive.writestr(name, content)
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16) | 0x20
        archive.writestr(link, "/etc/passwd")
    message = _refused(out.getvalue(), tmp_path, "symbolic links")
    assert "passwd" not in message


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path):
    bomb = _zip({**_pngs(60), "big.png": bytes(50 * 2**20)})  # 50 MB of zeros deflate to ~50 KB
    _refused(bomb, tmp_path, "zip bomb", "limit is 200 to 1")


def test_the_total_size_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(image_sets, "MAX_TOTAL_BYTES", 4_000)
    _refused(_zip(_pngs(60)), tmp_path, "would unpack to", "the limit is")


def test_too_many_members(tmp_path, monkeypatch):
    monkeypatch.setattr(image_sets, "MAX_MEMBERS", 100)
    _refused(_zip({f"{i}.txt": b"" for i in range(101)}), tmp_path, "101 entries", "limit is 100 files")


def test_the_member_cap_is_stated_at_fifty_thousand():
    assert image_sets.MAX_MEMBERS == 50_000


def test_no_images_and_too_few_say_how_many_are_needed(tmp_path):
    _refused(_zip({"notes.txt": b"hello there, not an image"}), tmp_path, "no usable images", "at least 50")
    message = _refused(_zip(_pngs(12)), tmp_path, "only 12 usable images", "at least 50")
    assert "Skipped" not in message
    _refused(b"PK\x05\x06" + bytes(18) + b"junk", tmp_path, "no usable images")
    _refused(b"definitely not a zip", tmp_path, "not a readable zip file")
    _refused(b"", tmp_path, "empty")


def test_non_images_broken_oversized_and_duplicates_are_skipped_and_counted(tmp_path):
    good = list(_pngs(60, "shapes/").items())
    png = good[0][1]
    big = io.BytesIO()
    from PIL import Image

    Image.new("L", (7000, 7000), 0).save(big, format="PNG")  # 49 megapixels: over the upload limit
    members = [
        *good,
        ("shapes/readme.txt", b"These are my shapes, drawn by hand."),
        ("shapes/page.pdf", b"%PDF-1.4 not really"),
        ("shapes/broken.png", png[: len(png) // 2]),
        ("shapes/huge.png", big.getvalue()),
        ("shapes/noise.bin", os.urandom(11 * 2**20)),  # over 10 MB, incompressible
        ("shapes/000.png", png),  # the same name again
        ("__MACOSX/shapes/._000.png", b"\x00\x05\x16\x07"),
        ("shapes/.DS_Store", b"\x00\x00\x00\x01Bud1"),
    ]
    prepared = image_sets.read_zip(_zip(members))
    assert len(prepared.images) == 60
    assert prepared.skipped == {
        "not an image": 2,
        "damaged image": 1,
        "too large": 2,
        "duplicate name": 1,
        "system or hidden file": 2,
    }
    assert prepared.counts_text().startswith("60 images used; 8 skipped (")


def test_folder_names_with_markup_are_kept_as_text():
    members = {**_pngs(30, "<img src=x onerror=alert(1)>/"), **_pngs(30, "**x** [a](javascript:e)/", seed=5)}
    prepared = image_sets.read_zip(_zip(members))
    assert prepared.label_names == ("**x** [a](javascript:e)", "<img src=x onerror=alert(1)>")


def test_a_folder_on_the_server_skips_links(tmp_path):
    root = tmp_path / "pictures"
    for name, content in _pngs(60, "a/").items():
        (root / Path(name).parent).mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    secret = tmp_path / "secret.png"
    secret.write_bytes(shape_png("circles", np.random.default_rng(0)))
    (root / "a" / "link.png").symlink_to(secret)
    prepared = image_sets.read_folder(root)
    assert len(prepared.images) == 60 and prepared.skipped == {"link or special file": 1}
    with pytest.raises(ImageSetError, match="does not exist"):
        image_sets.read_folder(tmp_path / "missing")


# --------------------------------------------------------------------------------------------------------
# The CLI on the zip


def _train(tmp_path: Path, zip_path: Path, kind: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "VAE_RUNS": str(tmp_path / "runs")}
    args = ["--dataset", str(zip_path), "--kind", kind, "--latent-dim", "2", "--hidden", "16", "--epochs", "2"]
    command = [sys.executable, "-m", "vae.train", *args, "--seed", "7", "--no-progress", "--out", str(out), *extra]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_cli_trains_on_the_zip_with_equal_weights_for_equal_seeds(tmp_path, shapes):
    zip_path = tmp_path / "photos.zip"
    zip_path.write_bytes(shapes)
    outs = [tmp_path / "runs" / "vae-a", tmp_path / "runs" / "vae-b"]
    for out in outs:
        done = _train(tmp_path, zip_path, "vae", out)
        assert done.returncode == 0, done.stderr
    a, b = (load_file(out / "model.safetensors") for out in outs)
    assert sorted(a) == sorted(b) and all(torch.equal(a[k], b[k]) for k in a)
    (dataset,) = (tmp_path / "runs" / "datasets").iterdir()  # prepared once, used by both
    from vae.checkpoint import read_checkpoint

    record = read_checkpoint(outs[0])
    assert record.dataset["name"] == str(dataset) and record.dataset["train_size"] == 480
    done = _train(tmp_path, zip_path, "classifier", tmp_path / "runs" / "clf")
    assert done.returncode == 0, done.stderr
    assert read_checkpoint(tmp_path / "runs" / "clf").model.num_classes == 3


def test_cli_refuses_a_hostile_zip_with_its_message(tmp_path):
    zip_path = tmp_path / "bad.zip"
    zip_path.write_bytes(_zip({**_pngs(60), "../escape.png": b"x"}))
    before = _tree(tmp_path.parent)
    done = _train(tmp_path, zip_path, "vae", tmp_path / "runs" / "vae")
    assert done.returncode == 1
    assert "'..'" in done.stderr and "Traceback" not in done.stderr
    assert _tree(tmp_path.parent) == before


def test_a_checkpoint_keeps_its_folder_names_when_copied_away_from_its_deleted_set(tmp_path, monkeypatch):
    import hashlib
    import shutil

    from vae.checkpoint import label_names, load
    from vae.train import main

    zip_path = tmp_path / "photos.zip"
    zip_path.write_bytes(shapes_zip(per_folder=20))  # 60 images, the fewest a zip may hold
    monkeypatch.setenv("VAE_RUNS", str(tmp_path / "runs"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "runs" / "vae"
    args = ["--dataset", str(zip_path), "--latent-dim", "2", "--hidden", "16", "--epochs", "1", "--batch-size", "16"]
    assert main([*args, "--preparation", "digit", "--no-progress", "--no-timeline", "--out", str(out)]) == 0
    (prepared,) = (tmp_path / "runs" / "datasets").iterdir()
    train_x, train_y = data.load_dataset(str(prepared), "train")
    expected_hash = hashlib.sha256(train_x.numpy().tobytes() + train_y.numpy().tobytes()).hexdigest()

    moved = tmp_path / "elsewhere" / "my-model"
    shutil.copytree(out, moved)
    shutil.rmtree(prepared)
    data.release_cache()
    model = load(moved)
    assert label_names(model.checkpoint) == FOLDERS
    recorded = model.checkpoint.dataset
    assert (recorded["title"], recorded["preparation"]) == ("photos", "digit")
    assert (recorded["image_size"], recorded["channels"]) == ([28, 28], 1)
    assert recorded["data_hash"] == f"sha256:{expected_hash}" and recorded["train_size"] == len(train_x) == 48
