"""Digit sprite atlases for the browser's maps: many 28x28 greyscale digits packed into one PNG.

Cell ``i`` of an atlas (row ``i // columns``, column ``i % columns``) holds image ``i``; ink is bright (MNIST's
own convention), so the browser can use the grey level as the alpha of a digit tinted in its label's colour
(sprites.js). The 10,000 test digits make a 2800x2800 PNG of about 2 MB, so it is written once to
static/ under a content hash and cached by the browser like the model weights. No streamlit here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from pathlib import Path

import numpy as np

from explorer.latent_map.contract import SpriteAtlas

CELL = 28
COLUMNS = 100
STATIC_ATLAS = "atlas"  # folder under the app's static/ folder
URL_PREFIX = "app/static/atlas/"


def atlas_png(images: np.ndarray, columns: int = COLUMNS) -> bytes:
    """The PNG (8-bit grey) of images (N, 28, 28) in [0, 1], ``columns`` cells a row, empty cells black."""
    from PIL import Image

    images = np.asarray(images, dtype=np.float32).reshape(-1, CELL, CELL)
    count = len(images)
    rows = max(1, -(-count // columns))
    sheet = np.zeros((rows * columns, CELL, CELL), dtype=np.uint8)
    sheet[:count] = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
    grid = sheet.reshape(rows, columns, CELL, CELL).transpose(0, 2, 1, 3).reshape(rows * CELL, columns * CELL)
    buffer = io.BytesIO()
    Image.fromarray(grid, mode="L").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def atlas_entry(url: str, count: int, columns: int = COLUMNS) -> SpriteAtlas:
    """What the map components take as ``sprites``: where the atlas is and how its cells are laid out."""
    return {"url": url, "columns": int(columns), "cell": CELL, "count": int(count)}


def inline_entry(images: np.ndarray, columns: int = COLUMNS) -> SpriteAtlas:
    """An atlas carried in the data itself as a data: URL (small sets, and the tests)."""
    png = atlas_png(images, columns)
    return atlas_entry("data:image/png;base64," + base64.b64encode(png).decode("ascii"), len(images), columns)


def write_atlas(images: np.ndarray, static_root: str | Path) -> SpriteAtlas:
    """Write the atlas of ``images`` to ``static_root/atlas/<hash>.png`` once (atomically); returns its entry."""
    png = atlas_png(images)
    name = hashlib.blake2b(png, digest_size=10).hexdigest() + ".png"
    folder = Path(static_root) / STATIC_ATLAS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not (path.is_file() and path.stat().st_size == len(png)):
        partial = path.with_name(f".{name}.{os.getpid()}.tmp")
        partial.write_bytes(png)
        os.replace(partial, path)
    return atlas_entry(URL_PREFIX + name, len(images))
