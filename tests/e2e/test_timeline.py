"""The Latent map's training timeline and digit mode in Chromium: the epoch slider repaints both maps at that
epoch, play advances the epochs (no server round trip), and the digit toggle draws from the served atlas.

The server here reads a copy of the shipped z=2 pair and classifier; where the shipped folders carry no
timeline.safetensors, the copy gets one from a short training run of the same kind and size (the page draws
whatever timeline sits beside a model), so the test does not depend on the shipped models having been retrained.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import _browser

from .conftest import HEALTH_TIMEOUT, OUTPUT, REPO, UI

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = ".training-timeline"


def _checkpoints_with_timelines(root: Path) -> Path:
    from vae.config import ModelConfig, TrainConfig
    from vae.data import load_mnist
    from vae.timeline import TIMELINE_FILE
    from vae.training import fit

    for name in ("classifier", "ae-z2", "vae-z2"):
        shutil.copytree(REPO / "checkpoints" / name, root / name)
    train_x, train_y = load_mnist("train")
    valid_x, valid_y = load_mnist("valid")
    data = (train_x[:2000], train_y[:2000], valid_x[:1000], valid_y[:1000])
    for kind in ("ae", "vae"):
        if (root / f"{kind}-z2" / TIMELINE_FILE).is_file():
            continue
        config = ModelConfig(kind=kind, arch="mlp", latent_dim=2, hidden=(64,))
        fit(config, TrainConfig(epochs=4, batch_size=128), root / f"run-{kind}", data=data, progress=False)
        shutil.move(root / f"run-{kind}" / TIMELINE_FILE, root / f"{kind}-z2" / TIMELINE_FILE)
        shutil.rmtree(root / f"run-{kind}")
    return root


@pytest.fixture(scope="module")
def server(models_present: None, tmp_path_factory) -> Iterator[_browser.StreamlitServer]:
    """This module's own server, on the copy with timelines."""
    root = _checkpoints_with_timelines(tmp_path_factory.mktemp("checkpoints"))
    env = {"VAE_CHECKPOINTS": str(root), "VAE_RUNS": str(root.parent / "runs")}
    try:
        with _browser.streamlit_server(
            "app.py", OUTPUT / "server-timeline.log", env=env, health_timeout=HEALTH_TIMEOUT, warm_start=True
        ) as running:
            yield running
    except _browser.ServerError as error:
        pytest.fail(str(error))


def _maps(ui: UI) -> list[dict]:
    """Each timeline map's epoch and a checksum of its pixels (the component sits in a shadow root: locators
    reach it, document.querySelector does not)."""
    return ui.page.locator(f"{ROOT} canvas.map").evaluate_all(
        """canvases => canvases.map(c => {
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let sum = 0;
          for (let i = 0; i < data.length; i += 4) sum = (sum * 31 + data[i]) % 1000000007;
          return {epoch: c.dataset.epoch, pixels: sum};
        })"""
    )


def test_the_epoch_slider_repaints_both_maps_and_play_advances(ui: UI) -> None:
    ui.open("Latent map")  # the copy holds only the z=2 pair
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
    ui.page.wait_for_timeout(1500)  # about five epochs at 300 ms each
    assert int(root.get_attribute("data-epoch")) >= 3
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
