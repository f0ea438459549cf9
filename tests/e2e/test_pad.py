"""The Latent map's pad, in Chromium: the pointer alone (no click) changes both decoded digits; a click pins."""

from __future__ import annotations

import numpy as np
import pytest

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
    ui.screenshot("latent-pad")
    ui.assert_clean()
