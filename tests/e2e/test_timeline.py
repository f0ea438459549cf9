"""The Latent map's training timeline in Chromium, on the shipped z=2 pair's timelines: the epoch slider
repaints both maps at that epoch, and play advances the epochs, all without a server round trip."""

from __future__ import annotations

import pytest

from .conftest import UI

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROOT = ".training-timeline"


def _maps(ui: UI) -> list[dict]:
    return ui.page.evaluate(
        f"""() => [...document.querySelectorAll('{ROOT} canvas.map')].map(c => ({{
          epoch: c.dataset.epoch,
          pixels: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 == 0))
            .reduce((sum, v, i) => (sum + v * (i % 97 + 1)) % 1000000007, 0),
        }}))"""
    )


def test_the_epoch_slider_repaints_both_maps_and_play_advances(ui: UI) -> None:
    ui.goto("/")
    ui.page.locator('[data-testid="stSidebar"]').get_by_text("2 dimensions", exact=True).click()
    ui.idle()
    ui.open("Latent map")
    root = ui.page.locator(f'{ROOT}[data-state="ready"]')
    root.wait_for()
    root.scroll_into_view_if_needed()
    assert ui.page.locator(f"{ROOT} canvas.map").count() == 2
    last = _maps(ui)
    slider = ui.page.locator(f"{ROOT} input[type=range]")
    assert int(slider.get_attribute("max")) >= 2
    slider.focus()
    ui.page.keyboard.press("Home")  # to the first epoch
    assert root.get_attribute("data-epoch") == "1"
    first = _maps(ui)
    assert [m["epoch"] for m in first] == ["1", "1"]
    for before, after in zip(last, first, strict=True):
        assert before["pixels"] != after["pixels"], "a map was not repainted for the first epoch"
    ui.page.locator(f"{ROOT} button", has_text="Play").click()
    ui.page.wait_for_function(f"() => Number(document.querySelector('{ROOT}').dataset.epoch) >= 3", timeout=10_000)
    assert [m["epoch"] for m in _maps(ui)] != ["1", "1"]
    ui.screenshot("training-timeline")
    ui.assert_clean()


def test_the_digit_toggle_draws_the_test_digits_from_the_served_atlas(ui: UI) -> None:
    ui.open("Latent map")
    ui.page.locator('[data-testid="latent-map-vae"][data-state="ready"]').wait_for()
    ui.page.get_by_text("Show the digits, not dots").click()
    for kind in ("ae", "vae"):
        root = ui.page.locator(f'[data-testid="latent-map-{kind}"][data-mode="digits"]')
        root.wait_for(timeout=60_000)  # the atlas came from static/atlas/ and was tinted
        assert int(root.get_attribute("data-drawn")) >= 9_000
    ui.screenshot("latent-map-digits")
    ui.assert_clean()
