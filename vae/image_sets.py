"""A person's own images as a dataset: a zip (or a folder on this machine) read safely and prepared to 28x28.

``read_zip`` and ``read_folder`` return an :class:`ImageSet` (uint8 images, labels from the first sub-folder,
label names and the count of files skipped per reason); anything that makes the whole input unusable raises
:class:`ImageSetError`, whose message names the problem and a limit but never repeats the input's bytes or
member names. A zip is never extracted: its members are listed, checked (no ``..``, absolute paths, drive
letters or symlinks; caps on the member count, the total size and each member's compression ratio) and read
into memory one by one, each through the checks of ``vae.image_files`` that single uploads get.

Preparations: "digit" is the MNIST-style pipeline of ``vae.images.prepare_array`` (white ink on black,
cropped, 20x20, centred by mass); "picture" keeps the grey picture as it is, fitted into 28x28 by its longer
side and padded with its own border colour. The prepared set is stored by ``vae.prepared_sets``.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from vae.image_files import ImageError, flatten_alpha, grey_and_alpha, open_first_frame, refuse_non_image
from vae.images import MAX_UPLOAD_MB, prepare_array

PREPARATIONS = {"digit": "digit-like (MNIST's steps)", "picture": "picture (grey, fitted and padded)"}
MAX_MEMBERS = 50_000  # files in one zip or folder
MAX_TOTAL_BYTES = 1 << 30  # uncompressed bytes of all members together
MAX_RATIO = 200  # a member's uncompressed size over its compressed size
RATIO_FLOOR = 1 << 20  # members smaller than this may compress as well as they like
MAX_MEMBER_BYTES = MAX_UPLOAD_MB * 2**20  # the single-upload limit, per image
MIN_IMAGES = 50  # fewer usable images than this cannot be split into training and held-out images
MAX_LABELS = 10  # the map's palette and the classifier's head: one colour per folder
MAX_LABEL_CHARS = 60
SIZE = 28
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ImageSetError(ValueError):
    """The zip or folder cannot be used as a whole; ``str(err)`` is a sentence for the person who sent it."""


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Prepared images: uint8 (N, 28, 28), labels int64 (N,) (-1 everywhere when unlabelled)."""

    images: np.ndarray
    labels: np.ndarray
    label_names: tuple[str, ...]
    preparation: str
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> how many files
    notes: tuple[str, ...] = ()

    @property
    def labelled(self) -> bool:
        return bool(self.label_names)

    def counts_text(self) -> str:
        """'600 images used; 3 skipped (2 not an image, 1 damaged image)' in plain words."""
        used = f"{len(self.images):,} images used"
        if not self.skipped:
            return f"{used}; none skipped"
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.skipped.items()))
        return f"{used}; {sum(self.skipped.values()):,} skipped ({reasons})"


# --------------------------------------------------------------------------------------------------------
# Decoding and the two preparations


def _reason_category(error: ImageError) -> str:
    reason = error.reason
    if "truncated or corrupt" in reason:
        return "damaged image"
    if "megapixels" in reason or "limit" in reason:
        return "too large"
    if "not supported" in reason or "colour mode" in reason:
        return "unsupported format"
    if "empty" in reason:
        return "empty file"
    return "not an image"


def decode_grey(data: bytes, name: str) -> np.ndarray:
    """An image file's bytes as float32 grey in [0, 1] (transparency flattened, EXIF rotation applied)."""
    if not data:
        raise ImageError(name, "the file is empty")
    refuse_non_image(data, name)
    img, _ = open_first_frame(data, name)
    try:
        with contextlib.suppress(Exception):  # a broken EXIF block is no reason to refuse good pixels
            ImageOps.exif_transpose(img, in_place=True)
        grey, alpha = grey_and_alpha(img, name)
    finally:
        img.close()
    return flatten_alpha(grey, alpha)


def fit_picture(grey: np.ndarray) -> np.ndarray:
    """The "picture" preparation: fitted into 28x28 by the longer side, padded with the border's median."""
    height, width = grey.shape
    scale = SIZE / max(height, width)
    size = (min(SIZE, max(1, round(width * scale))), min(SIZE, max(1, round(height * scale))))
    shrinking = size[0] < width or size[1] < height
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    fitted = np.asarray(Image.fromarray(grey.astype(np.float32)).resize(size, resample), dtype=np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    out = np.full((SIZE, SIZE), float(np.median(border)), dtype=np.float32)
    top, left = (SIZE - size[1]) // 2, (SIZE - size[0]) // 2
    out[top : top + size[1], left : left + size[0]] = fitted
    return np.clip(out, 0.0, 1.0)


def prepare_bytes(data: bytes, name: str, preparation: str) -> np.ndarray | None:
    """One file prepared as uint8 (28, 28); None for a digit-like preparation that found no ink."""
    grey = decode_grey(data, name)
    if preparation == "digit":
        image = prepare_array(grey)
        if not np.any(image > 0):
            return None
    else:
        image = fit_picture(grey)
    return np.round(image * 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------------
# Member names: labels, hidden files, hostile paths


def _parts(name: str) -> tuple[str, ...]:
    return tuple(part for part in name.replace("\\", "/").split("/") if part not in ("", "."))


def _hostile(name: str) -> str | None:
    """Why a member name could escape the folder it would be unpacked into, or None."""
    clean = name.replace("\\", "/")
    if clean.startswith("/"):
        return "absolute paths"
    if _DRIVE.match(clean):
        return "drive letters"
    if ".." in clean.split("/"):
        return "'..' (a step out of the folder)"
    if "\x00" in name:
        return "NUL characters"
    return None


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" or part == "Thumbs.db" for part in parts)


def label_text(folder: str) -> str:
    """A folder name as a label: control characters dropped, at most MAX_LABEL_CHARS; shown as text only."""
    text = _CONTROL.sub("", folder).strip() or "(unnamed)"
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def _labels(paths: list[tuple[str, ...]]) -> tuple[list[str | None], list[str]]:
    """The label of each image (its first folder below a shared top folder) and notes on what was decided."""
    if paths and all(len(p) > 1 for p in paths) and len({p[0] for p in paths}) == 1:
        paths = [p[1:] for p in paths]  # a zip of one folder: that folder is no label
    folders = [p[0] if len(p) > 1 else None for p in paths]
    named = sorted({f for f in folders if f is not None})
    if not named:
        return [None] * len(paths), []
    if None in folders:
        return [None] * len(paths), ["Some images sit outside any sub-folder, so the set is used without labels."]
    if len(named) < 2:
        return [None] * len(paths), ["All images sit in one sub-folder, so there are no labels to learn."]
    if len(named) > MAX_LABELS:
        note = f"{len(named)} sub-folders, but at most {MAX_LABELS} can be labels; the set is used without labels."
        return [None] * len(paths), [note]
    return folders, []


# --------------------------------------------------------------------------------------------------------
# Reading a zip


def _open_zip(data: bytes) -> zipfile.ZipFile:
    import io

    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ImageSetError("This is not a readable zip file.") from None
    except Exception:  # zipfile reports some malformed central directories as other errors
        raise ImageSetError("This is not a readable zip file.") from None


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """Refuse the whole zip for names that climb out, links, too many members, or bomb-like sizes."""
    files = [m for m in members if not m.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise ImageSetError(f"The zip holds {len(members):,} entries; the limit is {MAX_MEMBERS:,} files.")
    for member in members:
        why = _hostile(member.filename)
        if why:
            raise ImageSetError(f"The zip has member names with {why}; such a zip is refused as a whole.")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ImageSetError("The zip contains symbolic links; such a zip is refused as a whole.")
    total = sum(m.file_size for m in files)
    if total > MAX_TOTAL_BYTES:
        raise ImageSetError(
            f"The zip would unpack to {total / 2**20:,.0f} MB; the limit is {MAX_TOTAL_BYTES / 2**20:,.0f} MB."
        )
    for member in files:
        ratio = member.file_size / max(1, member.compress_size)
        if member.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise ImageSetError(
                f"A member of the zip is compressed {ratio:,.0f} to 1 (the limit is {MAX_RATIO} to 1): "
                "this looks like a zip bomb and is refused."
            )


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: list[int]) -> bytes | str:
    """The member's bytes, or the reason it is skipped; never more than the per-image and total limits."""
    if member.flag_bits & 0x1:
        return "encrypted"
    if member.file_size > MAX_MEMBER_BYTES:
        return "too large"
    try:
        with archive.open(member) as handle:
            data = handle.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return "damaged in the zip"
    except Exception:  # a damaged deflate stream can surface as zlib.error
        return "damaged in the zip"
    if len(data) > MAX_MEMBER_BYTES:  # the header lied about the size
        return "too large"
    budget[0] -= len(data)
    if budget[0] < 0:
        raise ImageSetError(f"The zip unpacks to more than {MAX_TOTAL_BYTES / 2**20:,.0f} MB, the limit.")
    return data


def _zip_entries(data: bytes) -> Iterator[tuple[tuple[str, ...], bytes | str]]:
    archive = _open_zip(data)
    with archive:
        try:
            members = archive.infolist()
        except Exception:
            raise ImageSetError("This is not a readable zip file.") from None
        _check_members(members)
        budget = [MAX_TOTAL_BYTES]
        for member in members:
            if not member.is_dir():
                yield _parts(member.filename), _read_member(archive, member, budget)


def read_zip(data: bytes, preparation: str = "picture", *, min_images: int = MIN_IMAGES) -> ImageSet:
    """A zip's images prepared as a set (see the module docstring for the rules and limits)."""
    if not data:
        raise ImageSetError("The zip file is empty.")
    return _collect(_zip_entries(bytes(data)), preparation, min_images)


# --------------------------------------------------------------------------------------------------------
# Reading a folder on this machine (local installs)


def _folder_entries(root: Path) -> Iterator[tuple[tuple[str, ...], bytes | str]]:
    count, budget = 0, MAX_TOTAL_BYTES
    for here, folders, files in os.walk(root, followlinks=False):
        folders.sort()
        for name in sorted(files):
            count += 1
            if count > MAX_MEMBERS:
                raise ImageSetError(f"The folder holds more than {MAX_MEMBERS:,} files, the limit.")
            path = Path(here) / name
            parts = path.relative_to(root).parts
            try:
                info = path.lstat()
            except OSError:
                yield parts, "unreadable"
                continue
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
                yield parts, "link or special file"
                continue
            if info.st_size > MAX_MEMBER_BYTES:
                yield parts, "too large"
                continue
            budget -= info.st_size
            if budget < 0:
                raise ImageSetError(f"The folder holds more than {MAX_TOTAL_BYTES / 2**20:,.0f} MB, the limit.")
            try:
                yield parts, path.read_bytes()
            except OSError:
                yield parts, "unreadable"


def read_folder(folder: str | Path, preparation: str = "picture") -> ImageSet:
    """A folder's images prepared as a set; symbolic links are skipped, never followed."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ImageSetError("That folder does not exist on the server (or is not a folder).")
    return _collect(_folder_entries(root), preparation, MIN_IMAGES)


# --------------------------------------------------------------------------------------------------------
# Both: prepare each image, count what was skipped, attach labels


def _collect(entries: Iterable[tuple[tuple[str, ...], bytes | str]], preparation: str, min_images: int) -> ImageSet:
    if preparation not in PREPARATIONS:
        raise ImageSetError(f"Unknown preparation; use one of {', '.join(PREPARATIONS)}.")
    skipped: Counter[str] = Counter()
    seen: set[tuple[str, ...]] = set()
    images, paths = [], []
    for parts, content in entries:
        if not parts or _hidden(parts):
            skipped["system or hidden file"] += 1
            continue
        if parts in seen:
            skipped["duplicate name"] += 1
            continue
        seen.add(parts)
        if isinstance(content, str):
            skipped[content] += 1
            continue
        try:
            image = prepare_bytes(content, "image", preparation)
        except ImageError as error:
            skipped[_reason_category(error)] += 1
            continue
        if image is None:
            skipped["blank (no ink found)"] += 1
            continue
        images.append(image)
        paths.append(parts)
    if len(images) < max(1, min_images):
        found = f"only {len(images):,} usable" if images else "no usable"
        raise ImageSetError(
            f"Found {found} images; at least {max(1, min_images)} are needed (PNG, JPEG, BMP, GIF or WebP, up to "
            f"{MAX_UPLOAD_MB} MB each)." + (f" Skipped: {_skipped_text(skipped)}." if skipped else "")
        )
    folders, notes = _labels(paths)
    names = tuple(sorted({f for f in folders if f is not None}))
    labels = np.array([names.index(f) if f is not None else -1 for f in folders], dtype=np.int64)
    return ImageSet(
        images=np.stack(images),
        labels=labels,
        label_names=tuple(label_text(n) for n in names),
        preparation=preparation,
        skipped=dict(skipped),
        notes=tuple(notes),
    )


def _skipped_text(skipped: Counter[str]) -> str:
    return ", ".join(f"{n:,} {reason}" for reason, n in sorted(skipped.items()))
