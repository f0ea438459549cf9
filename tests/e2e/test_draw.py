"""Draw a digit, in Chromium: a mouse-drawn "1" is reconstructed live as a 1 and can be used on other pages."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import UI

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PAGE = "Draw a digit"


def pixels(ui: UI, selector: str) -> np.ndarray:
    """The 28x28 picture a canvas shows, from the data-pixels attribute the component writes beside it."""
    text = ui.page.locator(selector).get_attribute("data-pixels")
    return np.array([float(v) for v in text.split(",")], dtype=np.float32).reshape(28, 28)


def draw_one(ui: UI) -> None:
    """A slightly slanted vertical stroke, mouse held down over 40 small moves, like a hand drawing a 1."""
    box = ui.page.locator("canvas.pad").bounding_box()
    x, y = box["x"] + box["width"] * 0.52, box["y"] + box["height"] * 0.15
    ui.page.mouse.move(x, y)
    ui.page.mouse.down()
    for step in range(1, 41):
        ui.page.mouse.move(x - step * 0.4, y + step * box["height"] * 0.0175)
    ui.page.mouse.up()


def test_a_drawn_one_is_reconstructed_as_a_one_and_can_be_used(ui: UI) -> None:
    import vae
    from explorer.shared import core

    ui.open(PAGE)
    for kind in ("ae", "vae"):  # both models fetched and running in the page
        ui.page.locator(f'canvas.recon-{kind}[data-ready="true"]').wait_for()
    assert not pixels(ui, "canvas.recon-ae").any(), "a blank canvas should show blank reconstructions"
    assert ui.page.get_by_role("button", name="Use this drawing").is_disabled()

    draw_one(ui)
    ui.page.locator('.draw-digit[data-has-ink="true"]').wait_for()
    ui.page.wait_for_timeout(300)  # the last animation frame's repaint
    prepared = pixels(ui, "canvas.prepared")
    assert prepared.max() == pytest.approx(1.0, abs=1e-4) and (prepared > 0.5).sum() >= 20
    pictures = {kind: pixels(ui, f"canvas.recon-{kind}") for kind in ("ae", "vae")}
    classifier = vae.load("checkpoints/classifier").eval()
    for kind, picture in pictures.items():
        assert picture.max() > 0.5, f"{kind}: reconstruction is blank"
        guess = core.guesses(classifier, picture[None])[0]
        assert guess.label == 1, f"{kind}: the classifier calls the reconstruction a {guess}"
    ui.screenshot("draw-one")

    ui.page.get_by_role("button", name="Use this drawing").click()
    ui.page.get_by_text("Kept as “drawing”").wait_for()
    ui.idle()
    ui.assert_clean()

    ui.open("Reconstruct")
    ui.page.get_by_text("My uploads").click()
    ui.idle()
    row_title = ui.page.locator('[data-testid="stMarkdownContainer"] strong', has_text="drawing")
    row_title.first.wait_for()  # the drawing's reconstruction row, titled with its name
    ui.assert_clean()
