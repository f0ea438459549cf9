"""The Train page in Chromium: start a tiny run, watch it learn, stop it, and use the model on other pages.

Its own `streamlit run app.py` writes runs into a temporary folder ($VAE_RUNS), never into runs/. The run is
small (2,000 training images, about a second per epoch) and is stopped after its curves have grown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.train import run_records, runs

from .conftest import LOAD_TIMEOUT_MS, OUTPUT, UI, VIEWPORT, streamlit_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]
EPOCHS = 100  # never reached: the test stops the run once the curve has gained a point

# The live curves are the live Plotly chart (explorer/charts/live_chart.js): data-points counts the points plotted (one
# per epoch, split and panel), data-paints the paints of the one element, which must update, not remount, as the
# run's history grows.
CURVES = '[data-testid="train-curves"][data-state="ready"]'


@pytest.fixture(scope="module")
def train_server(models_present, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(run_records.RUNS_ENV, str(root))
        with streamlit_server(log_name="train-server.log") as server:
            try:
                yield server, root
            finally:  # the worker leads its own process group: stopping the server does not stop it
                runs.stop(root)
                runs.wait(root, 60)


def _tab(context, server) -> UI:
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    tab = UI(page, server)
    page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    return tab


def _number(ui: UI, label: str, value: str) -> None:
    box = ui.page.locator('[data-testid="stNumberInput"]').filter(has=ui.page.get_by_text(label, exact=True))
    box.locator("input").fill(value)
    box.locator("input").press("Tab")  # Enter would submit the form


def _choose(ui: UI, label: str, option: str, scope=None) -> None:
    where = scope or ui.page
    where.locator('[data-testid="stSelectbox"]').filter(has=ui.page.get_by_text(label, exact=True)).click()
    ui.page.get_by_role("option", name=option).click()


def _no_errors(ui: UI) -> None:
    assert ui.page.locator('[data-testid="stException"]').count() == 0
    alerts = ui.page.locator('[data-testid="stAlertContentError"]')
    assert alerts.count() == 0, alerts.all_inner_texts()
    assert not ui.errors, ui.errors


def test_train_watch_stop_and_use_the_run(browser, train_server):
    server, root = train_server
    context = browser.new_context(viewport=VIEWPORT)
    other = browser.new_context(viewport=VIEWPORT)  # a second visitor
    try:
        trainer = _tab(context, server)
        trainer.goto("/train")
        _number(trainer, "Epochs", str(EPOCHS))
        _choose(trainer, "Training images", "first 2,000")
        trainer.page.get_by_role("button", name="Start training").click()

        curves = trainer.page.locator(f'{CURVES}:not([data-points="0"])')
        curves.wait_for(timeout=120_000)
        points, paints = int(curves.get_attribute("data-points")), int(curves.get_attribute("data-paints"))
        curves.evaluate("root => { root.firstPlot = root.querySelector('.js-plotly-plot'); }")
        trainer.page.locator(f'{CURVES}:not([data-points="{points}"])').wait_for(timeout=60_000)  # the next epoch
        assert int(curves.get_attribute("data-points")) > points and int(curves.get_attribute("data-paints")) > paints
        assert curves.evaluate("root => root.querySelector('.js-plotly-plot') === root.firstPlot"), "remounted"
        assert f"/{EPOCHS}" in trainer.page.locator('[data-testid="stProgress"]').inner_text()
        trainer.screenshot("train-during")

        explorer = _tab(context, server)  # another tab keeps exploring while the run trains
        explorer.goto("/sliders")  # the live sliders: the digit is drawn in the page, the server answers a release
        explorer.page.locator('[data-testid="live-sliders"][data-state="ready"]:not([data-paints="0"])').wait_for()
        explorer.page.wait_for_function("() => location.search.includes('code=')")
        explorer.idle()
        before = explorer.page.evaluate("() => location.href")
        explorer.page.locator('[data-testid="live-sliders"] input[type="range"]').first.focus()
        explorer.page.keyboard.press("PageUp")
        explorer.page.wait_for_function("(old) => location.href !== old", arg=before, timeout=30_000)

        visitor = _tab(other, server)
        visitor.goto("/train")
        visitor.page.get_by_text("is in progress on this server").first.wait_for()
        assert visitor.page.get_by_role("button", name="Start training").is_disabled()
        assert visitor.page.get_by_role("button", name="Run the beta sweep").is_disabled()
        visitor.page.locator('[data-testid="stProgress"]').wait_for()  # and may watch the run

        trainer.page.get_by_role("button", name="Stop training").click()
        trainer.page.get_by_text("Stopped: stopped by SIGTERM").wait_for(timeout=60_000)
        assert runs.read_lock(root) is None or runs.active_run(root).state == "stopped"
        (name,) = [p.name for p in runs.usable_folders(root)]
        trainer.page.get_by_role("button", name="Start training").wait_for()
        trainer.screenshot("train-stopped")

        sidebar = trainer.page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("2 dimensions").click()
        trainer.idle()
        _choose(trainer, "Model", f"user run: {name}", scope=sidebar)
        trainer.idle()
        sidebar.get_by_text(f"VAE: {name}").wait_for()
        trainer.open("Latent sliders")
        trainer.page.locator('[data-testid="live-sliders"][data-state="ready"]:not([data-paints="0"])').wait_for()
        assert name in trainer.page.locator('[data-testid="stSidebar"]').inner_text()
        for tab in (trainer, explorer, visitor):
            _no_errors(tab)
    finally:
        context.close()
        other.close()
    assert (Path(OUTPUT) / "train-stopped.png").exists()
