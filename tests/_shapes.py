"""Test helper: a zip of shape pictures in three sub-folders (circles, squares, triangles), drawn with Pillow."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image, ImageDraw

FOLDERS = ("circles", "squares", "triangles")


def shape_png(kind: str, rng: np.random.Generator, size: int = 40) -> bytes:
    """One light shape on a dark background, at a random place and size, as PNG bytes."""
    img = Image.new("L", (size, size), int(rng.integers(0, 40)))
    draw = ImageDraw.Draw(img)
    r = int(rng.integers(8, 16))
    cx, cy = (int(v) for v in rng.integers(r + 1, size - r - 1, 2))
    fill = int(rng.integers(180, 256))
    if "circle" in kind:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif "square" in kind:
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=fill)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def shapes_zip(per_folder: int = 200, seed: int = 0, top: str = "shapes/", folders=FOLDERS) -> bytes:
    """A zip of ``per_folder`` PNGs in each folder (600 by default), under one top folder."""
    rng = np.random.default_rng(seed)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in folders:
            for i in range(per_folder):
                archive.writestr(f"{top}{folder}/{i:03d}.png", shape_png(folder, rng))
    return out.getvalue()
