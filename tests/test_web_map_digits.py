"""The Latent map's digit mode (explorer/latent_map/map.js with sprites.js) in a blank Chromium page, on made-up points
whose sprites are known: each point is drawn as its own picture, tinted in its label's colour, centred on its
place, as large as the zoom says, crisp; points hidden by the legend are not drawn."""

from __future__ import annotations

import numpy as np
import pytest
from _web_page import BlankPage, require_chromium

from explorer.latent_map import map_chart, sprites
from explorer.shared.browser.components import LIBRARIES, web_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
ROOT = "document.querySelector('#host .latent-map')"
MOUNT = """data => {
  document.body.innerHTML = '<div id="host" style="width: 600px"></div>';
  const host = document.getElementById('host');
  mountLatentMap({data, parentElement: host, setStateValue: () => {}});
  return new Promise(done => {
    const root = host.querySelector('.latent-map');
    const wait = () => (root.dataset.mode === 'digits' ? done(true) : setTimeout(wait, 20));
    wait();
  });
}"""
PIXEL = f"""([x, y]) => {{
  const canvas = {ROOT}.querySelector('canvas.base');
  const ratio = canvas.width / canvas.clientWidth;
  return Array.from(canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data);
}}"""
SCREEN = "index => document.getElementById('host').__latentMap.screenOf(index)"
FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


def _sprites() -> np.ndarray:
    """Image 0: ink on its left half only; image 1: ink on its top half only; image 2: a full square."""
    images = np.zeros((3, 28, 28), dtype=np.float32)
    images[0, :, :14] = 1
    images[1, :14, :] = 1
    images[2] = 1
    return images


@pytest.fixture(scope="module")
def page():
    require_chromium()
    script = web_path("map.js").read_text().replace("export default function", "globalThis.mountLatentMap = function")

    def setup(page) -> None:
        page.set_viewport_size({"width": 800, "height": 700})
        page.set_content("<!doctype html><title>map</title><body></body>")
        page.add_style_tag(content=web_path("map.css").read_text())
        for name in LIBRARIES["map.js"]:
            page.add_script_tag(content=web_path(name).read_text())
        page.add_script_tag(content=script)

    with BlankPage(setup).running() as session:
        yield session


@pytest.fixture
def mounted(page):
    points = np.array([(-2.3, 0.37), (2.1, -0.63), (-0.13, 0.83)], dtype=np.float32)
    data = map_chart.payload(
        points,
        np.array([1, 7, 3]),
        np.arange(3),
        title="VAE",
        axis_titles=("z0", "z1"),
        prior_origin=None,
        colors=COLORS,
        sprites=sprites.inline_entry(_sprites(), columns=2),
    )
    page.evaluate(MOUNT, data)
    return page


def _rgb(color: str) -> list[int]:
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def _pixel(page, x: float, y: float) -> list[int]:
    return page.evaluate(PIXEL, [x, y])[:3]


def test_each_point_is_its_own_digit_tinted_by_label_where_the_view_puts_it(mounted):
    assert mounted.evaluate(f"() => {ROOT}.dataset.drawn") == "3"
    x, y = mounted.evaluate(SCREEN, 0)  # ink on the left half only
    assert _pixel(mounted, x - 4, y) == _rgb(COLORS[1])
    assert min(_pixel(mounted, x + 4, y)) >= 235
    x, y = mounted.evaluate(SCREEN, 1)  # ink on the top half only
    assert _pixel(mounted, x, y - 4) == _rgb(COLORS[7])
    assert min(_pixel(mounted, x, y + 4)) >= 235
    x, y = mounted.evaluate(SCREEN, 2)  # a full square, 14 px wide at the fitted view, crisp edges
    assert _pixel(mounted, x + 6, y + 6) == _rgb(COLORS[3])
    assert min(_pixel(mounted, x + 8, y + 8)) >= 235


def test_digits_grow_with_the_zoom_and_hidden_digits_are_not_drawn(mounted):
    x, y = mounted.evaluate(SCREEN, 2)
    assert min(_pixel(mounted, x + 11, y)) >= 235  # outside the 14 px square
    mounted.evaluate(f"() => {ROOT}.querySelector('button[aria-label=\"Zoom in\"]').click()")
    mounted.evaluate(FRAME)
    x, y = mounted.evaluate(SCREEN, 2)
    assert _pixel(mounted, x + 11, y) == _rgb(COLORS[3])  # now 28 px wide
    assert mounted.evaluate(f"() => {ROOT}.dataset.drawn") == "1"  # the other two are out of view: not drawn
    mounted.evaluate(f"() => [...{ROOT}.querySelectorAll('.legend button')][3].click()")
    mounted.evaluate(FRAME)
    assert min(_pixel(mounted, x, y)) >= 235
    assert mounted.evaluate(f"() => {ROOT}.dataset.drawn") == "0"


def test_dots_stay_the_default(page):
    points = np.array([(0.0, 0.0), (1.0, 1.0)], dtype=np.float32)
    data = map_chart.payload(
        points, np.array([1, 2]), np.arange(2), title="AE", axis_titles=("z0", "z1"), prior_origin=None, colors=COLORS
    )
    page.evaluate(MOUNT.replace("dataset.mode === 'digits'", "dataset.state === 'ready'"), data)
    assert page.evaluate(f"() => {ROOT}.dataset.mode") == "dots"
