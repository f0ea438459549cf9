"""The Latent map's pad, in Chromium: the pointer alone (no click) changes both decoded digits; a click pins."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from .conftest import UI

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def decoded(ui: UI, kind: str) -> np.ndarray:
    text = ui.page.locator(f"canvas.pad-digit-{kind}").get_attribute("data-pixels")
    return np.array([float(v) for v in text.split(",")], dtype=np.float32).reshape(28, 28)


def test_moving_over_the_pad_decodes_both_models_live_and_a_click_pins(ui: UI) -> None:
    ui.open("Latent map")
    for kind in ("ae", "vae"):
        ui.page.locator(f'canvas.pad-digit-{kind}[data-ready="true"]').wait_for()
    overlay = ui.page.locator("canvas.pad-vae")
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    before = {kind: decoded(ui, kind) for kind in ("ae", "vae")}

    # Pointer moves only, no button: from the pad's centre towards its upper left.
    for step in range(1, 21):
        ui.page.mouse.move(
            box["x"] + box["width"] * (0.5 - step * 0.015), box["y"] + box["height"] * (0.5 - step * 0.012)
        )
    ui.page.wait_for_timeout(300)
    after = {kind: decoded(ui, kind) for kind in ("ae", "vae")}
    for kind in ("ae", "vae"):
        change = np.abs(after[kind] - before[kind]).max()
        assert change > 0.2, f"{kind}: the decoded digit did not follow the pointer (max change {change:.3f})"
    assert not ui.page.get_by_text("Pinned").count(), "nothing is pinned before a click"
    ui.assert_clean()

    ui.page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    ui.page.get_by_text("Pinned").first.wait_for()
    ui.idle()
    assert ui.page.get_by_text("decoded on the server").count() == 2
    # The server maps the pinned pad position to a code on its own (explorer.latent_map.latent_pad) and decodes it with
    # torch; the page's live picture at that position must be the same digit, up to the PNG's 8 bits.
    for kind, title in (("ae", "Autoencoder"), ("vae", "VAE")):
        image = ui.page.locator('[data-testid="stImage"]', has_text=f"{title}, decoded on the server").locator("img")
        server = np.asarray(Image.open(io.BytesIO(ui.image_bytes(image.first))).convert("L"), dtype=np.float32)
        server = server[::5, ::5] / 255.0  # shown at 5x5 screen pixels per digit pixel
        gap = np.abs(server - decoded(ui, kind)).max()
        assert gap <= 1.0 / 255.0, f"{kind}: page and server decode the pinned point differently (max {gap:.4f})"
    ui.screenshot("latent-pad")
    ui.assert_clean()
