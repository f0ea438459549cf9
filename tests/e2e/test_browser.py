"""The explorer the way a person uses it: `streamlit run app.py` in headless Chromium, clicked and typed at.

AppTest (tests/test_app.py) runs the page scripts without a browser; these tests catch what only a browser
shows: the frontend's own errors, widgets that do not answer the keyboard, images that never arrive,
downloads, uploads through the real file input, and charts that do not draw.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from .conftest import LOAD_TIMEOUT_MS, UI, VIEWPORT, streamlit_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# URL path -> (title in the sidebar and as the page's h1, what shows the page has really drawn)
PAGES = {
    "/": ("Home", ".js-plotly-plot .scatterlayer .js-line"),  # the training curves, drawn by Plotly
    "/sliders": ("Latent sliders", '[data-testid="live-sliders"][data-state="ready"]:not([data-paints="0"])'),
    "/reconstruct": ("Reconstruct", '[data-testid="stImage"] img'),
    "/interpolate": ("Interpolate", '[data-testid="stImage"] img'),
    "/latent_map": ("Latent map", '.latent-map[data-state="ready"]'),
    "/sampling": ("AE vs VAE sampling", '[data-testid="stImage"] img'),
    "/draw": ("Draw a digit", "canvas.pad"),
    "/train": ("Train", '[data-testid="stForm"]'),
    "/arithmetic": ("Latent arithmetic", '[data-testid="stImage"] img'),
}
# Pages the crisp-PNG check cannot apply to, and why.
NO_DIGIT_IMAGES = {
    "/": "Home shows training curves, no digits",
    "/latent_map": "the map draws points on a canvas; its digits show only after a click",
    "/sliders": "the Latent sliders page paints its digits and start images on <canvas>es",
    "/draw": "the Draw page paints its digits on <canvas>es, there is no <img> to check",
    "/train": "the Train page shows digits only for finished runs, which the test server may not have",
}
HEADINGS = {"Home": "Latent-space explorer"}
# Scripts the app must never load: Streamlit's Vega chunks (1.3-1.5 s of a first paint) and its 4.7 MB Plotly chunk
# (the charts draw with the 1.5 MB cartesian bundle in static/vendor/ instead). Not loadVegaEmbed.js: that 845-byte
# loader comes with st.metric's script and fetches Vega only when a metric draws a sparkline, which ours never do.
CHART_LIBRARIES = re.compile(r"ArrowVegaLiteChart|vega-interpreter|/embed\.[\w-]+\.js$|/PlotlyChart\.", re.IGNORECASE)
RESOURCES_JS = "() => performance.getEntriesByType('resource').map(e => e.name)"


def wait_images_loaded(ui: UI, selector: str = '[data-testid="stImage"] img') -> None:
    ui.page.wait_for_function(
        "s => { const i = [...document.querySelectorAll(s)];"
        " return i.length > 0 && i.every(e => e.complete && e.naturalWidth > 0); }",
        arg=selector,
    )


def slider_input(ui: UI, label: str | None = None):
    sliders = ui.page.locator('[data-testid="stSlider"]')
    if label is not None:
        sliders = sliders.filter(has=ui.page.get_by_text(label, exact=True))
    return sliders.first.locator('input[type="range"]')


def image_sources(ui: UI) -> list[str]:
    return ui.page.eval_on_selector_all('[data-testid="stImage"] img', "es => es.map(e => e.getAttribute('src'))")


# True once at least `n` images show a src that was not on the page before, and every image has loaded.
NEW_IMAGES_JS = """([before, n]) => {
  const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
  const fresh = imgs.filter(e => !before.includes(e.getAttribute('src')));
  return fresh.length >= n && imgs.every(e => e.complete && e.naturalWidth > 0);
}"""


def grey(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32)


# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_loads_without_errors(ui: UI, path: str):
    title, ready = PAGES[path]
    ui.goto(path)
    assert ui.page.locator("h1").first.inner_text().strip() == HEADINGS.get(title, title)
    ui.page.locator(ready).first.wait_for()
    if "img" in ready:
        wait_images_loaded(ui)
    ui.idle()
    ui.screenshot(path.strip("/") or "home")
    assert not [u for u in ui.page.evaluate(RESOURCES_JS) if CHART_LIBRARIES.search(u)]
    ui.assert_clean()


def test_sidebar_reaches_every_page(ui: UI):
    ui.goto("/")
    for title, _ in PAGES.values():
        if title != "Home":
            ui.open(title)
    ui.open("Home", heading=HEADINGS["Home"])
    ui.assert_clean()


def test_deep_link_on_a_fresh_server_runs_the_whole_app(browser, models_present):
    """A bookmark to /sliders opened right after a server (re)start must get the app, not the bare page."""
    with streamlit_server(log_name="server-deep-link.log") as server:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(server.url + "/sliders")
            page.locator("h1", has_text="Latent sliders").wait_for(timeout=LOAD_TIMEOUT_MS)
            # app.py ran: its navigation (with titles, not file names) and the sidebar's latent-size choice.
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.get_by_role("link", name="AE vs VAE sampling").wait_for(timeout=10_000)
            page.locator('[data-testid="stSidebar"]').get_by_text("Latent size", exact=True).wait_for(timeout=30_000)
            assert page.title() == "Latent-space explorer"
        finally:
            context.close()


# True once the <img> of the st.image captioned `caption` shows a new, fully loaded src.
NEW_IMAGE_JS = """([caption, old]) => {
  const box = [...document.querySelectorAll('[data-testid="stImage"]')].find(e => e.innerText.includes(caption));
  const img = box && box.querySelector('img');
  return !!img && img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0;
}"""


def test_keyboard_on_a_slider_changes_the_decoded_image(ui: UI):
    # The sliders page's digit is painted in the page by the live component (explorer/sliders/sliders.js).
    ui.goto("/sliders")
    live = ui.page.locator('[data-testid="live-sliders"][data-state="ready"]:not([data-paints="0"])')
    live.wait_for()
    canvas = live.locator("canvas.ls-digit")
    before = canvas.evaluate("c => c.toDataURL()")

    thumb = live.locator('input[type="range"]').first
    start = thumb.input_value()
    thumb.focus()
    for _ in range(5):
        ui.page.keyboard.press("ArrowRight")
    assert float(thumb.input_value()) > float(start)
    ui.page.wait_for_timeout(100)  # a frame for the repaint
    assert canvas.evaluate("c => c.toDataURL()") != before, "new value, same picture"

    for _ in range(5):
        ui.page.keyboard.press("ArrowLeft")
    assert thumb.input_value() == start
    ui.idle()
    ui.page.wait_for_timeout(100)
    assert canvas.evaluate("c => c.toDataURL()") == before, "back at the start value, another picture"
    ui.screenshot("sliders-after-keyboard")
    ui.assert_clean()


@pytest.fixture(scope="module")
def scanned_digit(tmp_path_factory) -> tuple[bytes, int]:
    """A test-set digit as a person's scan would look: dark ink on light paper, 200x200, PNG."""
    from vae import load_mnist

    images, labels = load_mnist("test")
    index = 0
    pixels = (255 - images[index, 0].numpy() * 255).clip(0, 255).astype(np.uint8)
    scan = Image.fromarray(pixels).resize((200, 200), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    scan.save(out, format="PNG")
    return out.getvalue(), int(labels[index])


def upload_on_reconstruct(ui: UI, name: str, data: bytes) -> None:
    ui.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": data}
    )
    ui.page.locator('[data-testid="stFileChipName"]', has_text=name).wait_for()


def result_text(ui: UI, name: str) -> str:
    pattern = re.compile(rf"{re.escape(name)}\s+classifier")
    row = ui.page.locator('[data-testid="stMarkdownContainer"]', has_text=pattern)
    row.first.wait_for()
    return row.first.inner_text()


def test_uploaded_scan_is_reconstructed_and_recognised(ui: UI, scanned_digit):
    data, label = scanned_digit
    ui.goto("/reconstruct")
    ui.page.get_by_text("My uploads", exact=True).click()
    ui.page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(state="attached")
    upload_on_reconstruct(ui, "my-scan.png", data)
    text = result_text(ui, "my-scan.png")
    ui.idle()
    wait_images_loaded(ui)
    guess = re.search(r"original (\d)", text)
    assert guess, text
    assert int(guess.group(1)) == label, text
    # original, AE and VAE reconstruction of the upload are all on the page
    for caption in ("original", "AE", "VAE"):
        assert ui.page.locator('[data-testid="stImage"]', has_text=re.compile(rf"^{caption}$")).count() >= 1
    ui.screenshot("reconstruct-upload")
    ui.assert_clean()


# The charts mount in the chart component's shadow root, which document.querySelectorAll does not enter.
PLOTS_JS = """() => {
  const all = root => [...root.querySelectorAll('.js-plotly-plot'),
    ...[...root.querySelectorAll('*')].filter(e => e.shadowRoot).flatMap(e => all(e.shadowRoot))];
  return all(document).map(plot => ({
  meta: plot.layout?.meta ?? null,
  traces: (plot.data || []).map(trace => ({type: trace.type, points: (trace.z || trace.y || []).length})),
  labels: (plot.layout?.annotations || []).map(a => a.text),
  drawn: plot.querySelectorAll('.heatmaplayer image, .barlayer .point').length,
  }));
}"""


def test_reconstruct_draws_its_charts_in_the_page(ui: UI):
    """The error maps and the score histogram are Plotly charts: drawn, with every panel, bin and label."""
    ui.goto("/reconstruct")
    ui.page.wait_for_function(f"() => ({PLOTS_JS})().filter(p => p.drawn > 0).length >= 2", timeout=60_000)
    plots = {plot["meta"]["testid"]: plot for plot in ui.page.evaluate(PLOTS_JS)}
    maps, histogram = plots["error-maps"], plots["score-histogram"]
    assert maps["traces"] == [{"type": "heatmap", "points": 28}] * 2 and maps["drawn"] == 2  # 28 rows each
    assert maps["labels"] == ["AE − original", "VAE − original"]
    assert histogram["traces"][0] == {"type": "bar", "points": 60} and histogram["drawn"] > 10
    assert sorted(histogram["labels"]) == ["99th pct", "this image"]
    ui.assert_clean()


def test_text_file_named_png_is_refused_and_the_page_keeps_working(ui: UI, scanned_digit):
    data, label = scanned_digit
    ui.goto("/reconstruct")
    ui.page.get_by_text("My uploads", exact=True).click()
    ui.page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(state="attached")
    upload_on_reconstruct(ui, "notes.png", b"Shopping list: milk, eggs, a better autoencoder.\n" * 4)
    error = ui.page.locator('[data-testid="stAlertContentError"]', has_text="notes.png")
    error.wait_for()
    assert "not an image" in error.inner_text()
    ui.idle()
    ui.screenshot("reconstruct-refused-upload")
    assert ui.page.locator('[data-testid="stException"]').count() == 0

    # The page still works: a good upload after the bad one is reconstructed and recognised.
    upload_on_reconstruct(ui, "good.png", data)
    text = result_text(ui, "good.png")
    assert int(re.search(r"original (\d)", text).group(1)) == label, text
    ui.idle()
    assert ui.page.locator('[data-testid="stException"]').count() == 0
    assert not ui.errors, ui.errors


def test_interpolation_gif_download_has_the_chosen_number_of_frames(ui: UI):
    ui.goto("/interpolate")
    steps = slider_input(ui, "Steps")
    chosen = int(steps.get_attribute("value")) - 1
    steps.focus()
    for _ in range(1):
        # one step at a time, each until its rerun has redrawn both strips (the downloads come with them)
        before = image_sources(ui)
        ui.page.keyboard.press("ArrowLeft")
        ui.page.wait_for_function(NEW_IMAGES_JS, arg=[before, 2])
    ui.idle()
    assert steps.get_attribute("value") == str(chosen)
    ui.screenshot("interpolate")

    with ui.page.expect_download() as info:
        ui.page.locator('[data-testid="stDownloadButton"]', has_text="Download GIF").locator("button").click()
    download = info.value
    assert download.suggested_filename == "interpolation.gif"
    gif = Image.open(download.path())
    assert gif.format == "GIF"
    assert gif.is_animated
    # The GIF plays forward and back without repeating the ends: steps + (steps - 2) frames.
    assert gif.n_frames == 2 * chosen - 2
    gif.seek(gif.n_frames - 1)  # every frame decodes
    ui.assert_clean()


def test_latent_map_draws_all_ten_thousand_test_digits_and_a_click_opens_one(ui: UI):
    ui.goto("/latent_map")
    maps = {kind: ui.page.locator(f'[data-testid="latent-map-{kind}"][data-state="ready"]') for kind in ("ae", "vae")}
    for found in maps.values():
        found.wait_for()
    ui.idle()
    assert [maps[kind].get_attribute("data-drawn") for kind in ("ae", "vae")] == ["10000", "10000"]
    ui.screenshot("latent_map")
    # A click on test image #7's point in the VAE's map: its details and neighbours come from the server.
    canvas = maps["vae"].locator("canvas.marks")
    x, y = maps["vae"].evaluate("root => root.parentNode.__latentMap.screenOf(7)")
    canvas.click(position={"x": x, "y": y})
    heading = ui.page.locator("h3", has_text="latent space").first
    heading.wait_for()
    picked = int(heading.inner_text().split("#")[1].split()[0])
    # Another point may lie within a pixel of #7; whichever was hit, it must be one drawn right there.
    x2, y2 = maps["vae"].evaluate(f"root => root.parentNode.__latentMap.screenOf({picked})")
    assert abs(x2 - x) <= 10 and abs(y2 - y) <= 10, (picked, x, y, x2, y2)
    assert "VAE" in heading.inner_text()
    ui.idle()
    ui.assert_clean()


def test_sampling_shows_both_grids(ui: UI):
    ui.goto("/sampling")
    grids = ui.page.locator('[data-testid="stImage"]', has_text="decoded draws").locator("img")
    grids.first.wait_for()
    wait_images_loaded(ui)
    ui.idle()
    assert grids.count() == 2
    for i in range(2):
        img = grids.nth(i)
        assert img.is_visible()
        box = img.bounding_box()
        assert box["width"] > 100 and box["height"] > 100, box
        pixels = grey(ui.image_bytes(img))
        assert pixels.std() > 5, "a blank grid"
    ui.screenshot("sampling")
    ui.assert_clean()


# Every <img> of a picture, as the browser has it: its src and how it is scaled.
PICTURES_JS = """() => [...document.querySelectorAll('[data-testid="stImage"] img')].map(
  e => [e.getAttribute('src').slice(0, 40), getComputedStyle(e).imageRendering])"""


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.skip(reason=NO_DIGIT_IMAGES[p])) if p in NO_DIGIT_IMAGES else p for p in PAGES],
)
def test_every_digit_arrives_as_a_crisp_png(ui: UI, path: str):
    """No page shows a digit that st.image re-encoded as JPEG, and none loads anything from outside the server."""
    outside: list[str] = []
    local = ("http://127.0.0.1", "data:", "blob:http://127.0.0.1")  # Components v2 mounts its JS from a blob: URL
    ui.page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(local) else 0)
    ui.goto(path)
    ui.page.locator('[data-testid="stImage"] img').first.wait_for()
    wait_images_loaded(ui)
    ui.idle()
    pictures = ui.page.evaluate(PICTURES_JS)
    assert pictures
    assert all(src.startswith("data:image/png;base64,") for src, _ in pictures), pictures
    assert all(rendering == "pixelated" for _, rendering in pictures), pictures
    favicon = ui.page.evaluate("() => document.querySelector(\"link[rel='shortcut icon']\").href")
    assert favicon.startswith("data:"), favicon  # a :material: favicon would come from fonts.gstatic.com
    assert not outside, outside
    ui.assert_clean()
