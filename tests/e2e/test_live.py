"""The live sliders in a real browser: pictures follow a held mouse, the server learns the code on release,
a copied link reopens the same picture, and a hostile link leaves a working page with a clear message."""

from __future__ import annotations

import urllib.parse

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

LIVE = '[data-testid="live-sliders"]'
PAINTED = f'{LIVE}[data-state="ready"]:not([data-paints="0"])'  # the decoder loaded and painted once
MOVES = 30


def _ready(ui):
    root = ui.page.locator(PAINTED)
    root.wait_for()  # locators pierce the component's shadow root; page.evaluate would not
    root.locator("canvas.ls-digit").wait_for()
    return root


def _digit(root) -> str:
    return root.locator("canvas.ls-digit").evaluate("canvas => canvas.toDataURL()")


def _paints(root) -> int:
    return int(root.get_attribute("data-paints") or 0)


def _href(page) -> str:
    return page.evaluate("() => location.href")  # Streamlit rewrites the URL in place (history API)


def _code_param(url: str) -> str | None:
    return urllib.parse.parse_qs(urllib.parse.urlparse(url).query).get("code", [None])[0]


def _drag(ui, root) -> tuple[list[str], str]:
    """Hold the mouse on the first slider's thumb and move it in MOVES small steps; returns the digit's
    pictures seen while the button was held, and the picture after release."""
    page = ui.page
    box = root.locator("input[type=range]").first.bounding_box()
    value = float(root.locator("input[type=range]").first.input_value())
    lo = float(root.locator("input[type=range]").first.get_attribute("min"))
    hi = float(root.locator("input[type=range]").first.get_attribute("max"))
    x = box["x"] + box["width"] * (value - lo) / (hi - lo)
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    seen = []
    for i in range(1, MOVES + 1):
        page.mouse.move(x + i * box["width"] / (2.5 * MOVES), y)
        page.wait_for_timeout(30)
        seen.append(_digit(root))
    page.mouse.up()
    return seen, _digit(root)


def test_drag_repaints_before_release_and_server_gets_the_code(ui) -> None:
    ui.goto("/sliders")
    root = _ready(ui)
    ui.page.wait_for_function("() => location.search.includes('code=')")
    before, url_before, paints_before = _digit(root), _href(ui.page), _paints(root)

    held, after = _drag(ui, root)

    distinct = set(held)
    assert held[-1] != before, "the digit did not change while the mouse button was held"
    assert len(distinct) >= 10, f"only {len(distinct)} different pictures during {MOVES} held moves"
    assert _paints(root) - paints_before >= 10
    # Released: the code reaches Python, which writes it into the URL.
    ui.page.wait_for_function("(before) => location.href !== before", arg=url_before)
    assert _code_param(_href(ui.page)) != _code_param(url_before)
    ui.idle()
    assert _digit(root) == after, "a rerun after release moved the picture"
    ui.assert_clean()


def test_copied_link_reopens_the_same_picture(ui, context) -> None:
    ui.goto("/sliders")
    root = _ready(ui)
    ui.page.wait_for_function("() => location.search.includes('code=')")
    url_before = _href(ui.page)
    _drag(ui, root)
    ui.page.wait_for_function("(before) => location.href !== before", arg=url_before)
    ui.idle()
    link, picture = _href(ui.page), _digit(root)

    other = context.new_page()
    try:
        other.goto(link)
        copy = other.locator(PAINTED)
        copy.wait_for(timeout=90_000)
        assert _digit(copy) == picture
        assert _code_param(_href(other)) == _code_param(link)
    finally:
        other.close()
    ui.assert_clean()


@pytest.mark.parametrize(
    "query",
    [
        "size=16&kind=vae&code=" + urllib.parse.quote("<script>window.__pwned=1</script>,1,2"),
        "size=16&kind=<img src=x onerror=window.__pwned=1>&code=nan,inf,1e999",
        "size=999999999999&code=" + ",".join(["1e308"] * 16),
    ],
)
def test_hostile_link_gets_a_message_and_a_working_page(ui, query: str) -> None:
    ui.goto("/sliders?" + query)
    root = _ready(ui)
    warning = ui.page.locator('[data-testid="stAlertContentWarning"]', has_text="could not be used")
    warning.first.wait_for()
    assert "<script>" not in warning.first.inner_text()
    assert ui.page.evaluate("() => window.__pwned") is None
    before = _digit(root)
    held, _ = _drag(ui, root)
    assert held[-1] != before, "the page does not work after a hostile link"
    ui.assert_clean()


def test_without_the_in_page_decoder_the_server_sliders_take_over(ui) -> None:
    # Routing a URL also turns off the browser cache for this tab, so the weights' request really fails.
    ui.page.route("**/app/static/models/**", lambda route: route.abort())
    ui.goto("/sliders")
    ui.page.locator(f'{LIVE}[data-state="error"]').wait_for()
    ui.page.locator('[data-testid="stAlertContentWarning"]', has_text="did not start").wait_for()
    ui.idle()
    assert ui.page.locator('[data-testid="stSlider"]').count() > 0
    assert ui.page.locator('[data-testid="stImage"]', has_text="decoded code").count() == 1
    assert ui.page.locator('[data-testid="stException"]').count() == 0


def _labels(root) -> tuple[list[str], str]:
    # The active dimensions' labels: the inactive ones sit in a closed <details>, where innerText is empty.
    return root.locator(".ls-controls > .ls-grid .ls-label").all_inner_texts(), root.locator(
        ".ls-strip-title"
    ).inner_text()


def test_switching_model_of_the_same_size_relabels_sliders_and_strip(ui) -> None:
    # AE and VAE of one latent size: same number of sliders, different labels (variance vs KL) and ranges.
    # The old page kept the first model's "Traverse dimension" label; the sliders and the strip must follow.
    ui.goto("/sliders")
    root = _ready(ui)
    vae_labels, vae_title = _labels(root)
    assert all("KL" in label for label in vae_labels) and vae_labels[0] in vae_title, (vae_labels, vae_title)
    ui.page.get_by_text("Autoencoder", exact=True).click()
    ui.page.locator(f'{LIVE}[data-state="ready"]:not([data-paints="0"]) .ls-label', has_text="var").first.wait_for()
    ae_labels, ae_title = _labels(root)
    assert ae_labels and vae_labels
    assert all("var" in label for label in ae_labels), ae_labels
    assert ae_labels[0] in ae_title and "KL" not in ae_title, ae_title
    ui.page.get_by_text("VAE", exact=True).first.click()
    ui.page.locator(f'{LIVE}[data-state="ready"]:not([data-paints="0"]) .ls-label', has_text="KL").first.wait_for()
    assert _labels(root) == (vae_labels, vae_title)
    ui.assert_clean()
