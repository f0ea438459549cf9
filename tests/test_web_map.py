"""The Latent map's canvas scatter (explorer/latent_map/map.js) in a blank Chromium page, on a made-up point set whose
places are known: each point is drawn in its digit's colour where the view puts it, hover names it, a click
sends its test-set index, the legend hides a digit, zoom and pan move the view as asked."""

from __future__ import annotations

import numpy as np
import pytest
from _web_page import BlankPage, require_chromium

from explorer.latent_map import map_chart
from explorer.shared.browser.components import LIBRARIES, web_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

MAP_JS = web_path("map.js")
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
LONE = 4242  # the test-set index of the one 3, alone at (-3.7, 1.8), off the grid lines

MOUNT = """data => {
  document.body.innerHTML = '<div id="host" style="width: 600px"></div>';
  window.sent = [];
  const host = document.getElementById('host');
  mountLatentMap({data, parentElement: host, setStateValue: (name, value) => window.sent.push([name, value])});
  return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));
}"""
ROOT = "document.querySelector('#host .latent-map')"
PIXEL = f"""([x, y]) => {{
  const canvas = {ROOT}.querySelector('canvas.base');
  const ratio = canvas.width / canvas.clientWidth;
  return Array.from(canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data);
}}"""
SCREEN = "index => document.getElementById('host').__latentMap.screenOf(index)"
FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


def _points() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    ones = rng.normal(0, 0.3, size=(300, 2))  # a cloud of 1s around the origin
    sevens = rng.normal(0, 0.3, size=(200, 2)) + np.array([2.5, -1.5])  # and of 7s to the lower right
    points = np.concatenate([ones, sevens, [(-3.7, 1.8)]]).astype(np.float32)
    labels = np.array([1] * 300 + [7] * 200 + [3])
    indices = np.concatenate([np.arange(300), np.arange(1000, 1200), [LONE]])
    return points, labels, indices


@pytest.fixture(scope="module")
def page():
    require_chromium()
    script = MAP_JS.read_text().replace("export default function", "globalThis.mountLatentMap = function")

    def setup(page) -> None:
        page.set_viewport_size({"width": 800, "height": 700})
        page.set_content("<!doctype html><title>map</title><body></body>")
        page.add_style_tag(content=MAP_JS.with_suffix(".css").read_text())
        for name in LIBRARIES["map.js"]:
            page.add_script_tag(content=web_path(name).read_text())
        page.add_script_tag(content=script)

    with BlankPage(setup).running() as session:
        yield session


@pytest.fixture
def mounted(page):
    points, labels, indices = _points()
    data = map_chart.payload(
        points, labels, indices, title="VAE", axis_titles=("PC 1", "PC 2"), prior_origin=(0, 0), colors=COLORS
    )
    page.evaluate(MOUNT, data)
    return page


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _over_white(color: str, alpha: float = 0.7) -> np.ndarray:
    return alpha * _rgb(color) + (1 - alpha) * 255


def test_every_point_is_drawn_in_its_digits_colour_where_the_view_puts_it(mounted):
    assert mounted.evaluate(f"() => {ROOT}.dataset.state") == "ready"
    assert mounted.evaluate(f"() => {ROOT}.dataset.drawn") == "501"
    view = mounted.evaluate(f"() => JSON.parse({ROOT}.dataset.view)")
    # The whole set and the prior's 3-sigma circle fit; one unit is as long across as down (circles are round).
    assert view["x0"] <= -3.7 and view["x1"] >= 3 and view["y0"] <= -3 and view["y1"] >= 3
    assert (view["x1"] - view["x0"]) / view["width"] == pytest.approx((view["y1"] - view["y0"]) / view["height"])
    x, y = mounted.evaluate(SCREEN, LONE)
    assert x == pytest.approx(view["left"] + (-3.7 - view["x0"]) / (view["x1"] - view["x0"]) * view["width"])
    pixel = np.array(mounted.evaluate(PIXEL, [x, y])[:3], dtype=float)
    assert np.abs(pixel - _over_white(COLORS[3])).max() <= 4, pixel
    empty = np.array(mounted.evaluate(PIXEL, [x + 30, y - 30])[:3])  # nothing is drawn up there
    assert empty.min() >= 230, empty


def test_hover_names_the_point_and_a_click_sends_its_index(mounted):
    x, y = mounted.evaluate(SCREEN, LONE)
    box = mounted.evaluate(
        f"() => {{ const r = {ROOT}.querySelector('canvas.marks').getBoundingClientRect(); return [r.left, r.top]; }}"
    )
    mounted.call(lambda p: p.mouse.move(box[0] + x + 3, box[1] + y + 2))
    mounted.evaluate(FRAME)
    assert mounted.evaluate(f"() => {ROOT}.querySelector('.tip').textContent") == f"digit 3 · test image #{LONE}"
    mounted.call(lambda p: p.mouse.click(box[0] + x + 3, box[1] + y + 2))
    assert mounted.evaluate("() => window.sent") == [["picked", LONE]]
    mounted.call(lambda p: p.mouse.click(box[0] + x + 60, box[1] + y + 60))  # far from any point: no pick
    assert mounted.evaluate("() => window.sent") == [["picked", LONE]]


def test_the_legend_hides_a_digit(mounted):
    x, y = mounted.evaluate(SCREEN, LONE)
    mounted.evaluate(f"() => [...{ROOT}.querySelectorAll('.legend button')][3].click()")
    mounted.evaluate(FRAME)
    assert mounted.evaluate(f"() => {ROOT}.dataset.drawn") == "500"
    assert min(mounted.evaluate(PIXEL, [x, y])[:3]) >= 230  # the 3 is gone
    assert mounted.evaluate(f"() => [...{ROOT}.querySelectorAll('.legend button')][3].ariaPressed") == "false"


def test_zoom_and_pan_move_the_view(mounted):
    before = mounted.evaluate(f"() => JSON.parse({ROOT}.dataset.view)")
    centre = (before["left"] + before["width"] / 2, before["top"] + before["height"] / 2)
    x0, y0 = mounted.evaluate(SCREEN, LONE)
    mounted.evaluate(f"() => {ROOT}.querySelector('button[aria-label=\"Zoom in\"]').click()")
    mounted.evaluate(FRAME)
    after = mounted.evaluate(f"() => JSON.parse({ROOT}.dataset.view)")
    assert after["x1"] - after["x0"] == pytest.approx((before["x1"] - before["x0"]) / 2)
    x1, y1 = mounted.evaluate(SCREEN, LONE)  # twice as far from the centre as before
    assert (x1 - centre[0], y1 - centre[1]) == pytest.approx((2 * (x0 - centre[0]), 2 * (y0 - centre[1])), abs=0.01)
    box = mounted.evaluate(
        f"() => {{ const r = {ROOT}.querySelector('canvas.marks').getBoundingClientRect(); return [r.left, r.top]; }}"
    )

    def drag(p) -> None:
        p.mouse.move(box[0] + 300, box[1] + 200)
        p.mouse.down()
        p.mouse.move(box[0] + 340, box[1] + 180, steps=4)
        p.mouse.up()

    mounted.call(drag)
    mounted.evaluate(FRAME)
    x2, y2 = mounted.evaluate(SCREEN, LONE)
    assert (x2 - x1, y2 - y1) == pytest.approx((40, -20), abs=0.01)
    assert mounted.evaluate("() => window.sent") == []  # a drag is not a click
    mounted.evaluate(f"() => {ROOT}.querySelector('button[aria-label=\"Fit all points\"]').click()")
    mounted.evaluate(FRAME)
    assert mounted.evaluate(f"() => JSON.parse({ROOT}.dataset.view)") == pytest.approx(before)


def test_a_path_is_drawn_on_top_and_an_unpickable_map_sends_nothing(page):
    points, labels, indices = _points()
    path = np.array([[-3.0, -2.0], [-1.0, -2.0], [1.0, -2.0]])  # along y = -2, below the clouds
    data = map_chart.payload(
        points, labels, indices, title="", axis_titles="xy", prior_origin=None, colors=COLORS, path=path
    )
    page.evaluate(MOUNT, {**data, "pickable": False})
    view = page.evaluate(f"() => JSON.parse({ROOT}.dataset.view)")

    def screen(x: float, y: float) -> tuple[float, float]:
        sx = view["left"] + (x - view["x0"]) / (view["x1"] - view["x0"]) * view["width"]
        return sx, view["top"] + (view["y1"] - y) / (view["y1"] - view["y0"]) * view["height"]

    for x in (-3.0, -2.0, 0.0, 1.0):  # the start, between steps, between steps, the end: all black
        assert max(page.evaluate(PIXEL, list(screen(x, -2.0)))[:3]) <= 40, x
    x, y = page.evaluate(SCREEN, LONE)
    box = page.evaluate(
        f"() => {{ const r = {ROOT}.querySelector('canvas.marks').getBoundingClientRect(); return [r.left, r.top]; }}"
    )
    page.call(lambda p: p.mouse.click(box[0] + x, box[1] + y))
    assert page.evaluate("() => window.sent") == []
