"""Your images in Chromium: upload the shapes zip on the Train page, see the preview, train a pair, pick it in the
sidebar and find the folder names (one with markup, shown as text) in the latent map's legend.

Its own server writes into a temporary $VAE_RUNS; the pair is small (2 epochs of 480 images).
"""

from __future__ import annotations

import pytest
from _shapes import shapes_zip  # tests/ is on sys.path, as for tests/_web_page.py

from explorer.train import run_records, runs

from .conftest import LOAD_TIMEOUT_MS, UI, VIEWPORT, streamlit_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
FOLDERS = ("<b>squares", "circles", "triangles")


@pytest.fixture(scope="module")
def own_server(models_present, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(run_records.RUNS_ENV, str(root))
        with streamlit_server(log_name="own-images-server.log") as server:
            try:
                yield server, root
            finally:
                runs.stop(root)
                runs.wait(root, 60)


def test_upload_preview_train_pick_and_see_the_folder_names(browser, own_server, tmp_path):
    server, root = own_server
    archive = tmp_path / "shapes.zip"
    archive.write_bytes(shapes_zip(folders=FOLDERS))
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(LOAD_TIMEOUT_MS)
        ui = UI(page, server)
        page.on("pageerror", lambda error: ui.errors.append(f"page error: {error}"))
        ui.goto("/train")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(archive))
        page.get_by_text("shapes: 600 images used; none skipped").wait_for()
        page.get_by_text("Labels: <b>squares (200), circles (200), triangles (200)").wait_for()
        page.get_by_text("prepared images, 28x28").wait_for()
        form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Train a pair"))
        epochs = form.locator('[data-testid="stNumberInput"] input')
        epochs.fill("2")
        epochs.press("Tab")
        ui.screenshot("own-images-preview")
        form.get_by_role("button", name="Train a pair").click()
        page.get_by_text("is in progress on this server").first.wait_for(timeout=60_000)
        assert runs.wait(root, 400)
        assert {s.spec.kind: s.state for s in runs.statuses(root)} == dict.fromkeys(
            ("classifier", "ae", "vae"), "finished"
        )

        ui.goto("/latent_map")
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("2 dimensions").click()
        ui.idle()
        sidebar.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Model", exact=True)).click()
        page.get_by_role("option", name="your images: shapes").click()
        ui.idle()
        sidebar.get_by_text("Your images: shapes").wait_for()
        legend = page.locator('[data-testid="latent-map-vae"] .legend')
        legend.wait_for()
        text = legend.inner_text()
        assert all(name in text for name in FOLDERS), text
        assert legend.locator("b").count() == 0  # the markup stayed text
        ui.screenshot("own-images-map")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not ui.errors, ui.errors
    finally:
        context.close()
