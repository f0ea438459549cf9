"""The canvas chart component (explorer/web/chart.js) in a blank Chromium page at twice the CSS pixel density, on
made-up data whose places and colours are known: each heatmap cell, bar top, curve point and rule is drawn where
its scale puts it, in its colour; hover names the right values; new data repaints the same canvas; text stays
text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _web_page import BlankPage, require_chromium
from test_chart_data import history

from explorer.charts import chart_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

WEB = Path(__file__).resolve().parent.parent / "explorer" / "web"
RATIO = 2  # device pixels per CSS pixel
FRAMES = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
MOUNT = f"""([data, width]) => {{
  document.body.innerHTML = '<div id="host"></div>';
  const host = document.getElementById('host');
  host.style.width = width + 'px';
  mountChart({{data, parentElement: host}});
  return {FRAMES};
}}"""
UPDATE = f"data => {{ mountChart({{data, parentElement: document.getElementById('host')}}); return {FRAMES}; }}"
ROOT = "document.querySelector('#host .explorer-chart')"
STATE = f"() => {{ const r = {ROOT}; return {{...r.dataset, layout: JSON.parse(r.dataset.layout)}}; }}"
PIXEL = f"""([x, y]) => {{
  const canvas = {ROOT}.querySelector('canvas.base');
  const ratio = canvas.width / canvas.clientWidth;
  return Array.from(canvas.getContext('2d').getImageData(Math.floor(x * ratio), Math.floor(y * ratio), 1, 1).data);
}}"""
CANVAS_AT = f"() => {{ const r = {ROOT}.querySelector('canvas.over').getBoundingClientRect(); return [r.x, r.y]; }}"
TIP = f"() => {{ const tip = {ROOT}.querySelector('.tip'); return tip.hidden ? null : tip.textContent; }}"


@pytest.fixture(scope="module")
def page():
    require_chromium()
    script = (WEB / "chart.js").read_text().replace("export default function", "globalThis.mountChart = function")

    def setup(page) -> None:
        page.set_viewport_size({"width": 1000, "height": 800})
        page.set_content("<!doctype html><title>chart</title><body style='margin: 0'></body>")
        page.add_style_tag(content=(WEB / "chart.css").read_text())
        page.add_script_tag(content=(WEB / "mount.js").read_text())
        page.add_script_tag(content=script)

    with BlankPage(setup, device_scale_factor=RATIO).running() as session:
        yield session


def mount(page, data: dict, width: int = 600) -> dict:
    page.evaluate(MOUNT, [data, width])
    return page.evaluate(STATE)


def pixel(page, x: float, y: float) -> np.ndarray:
    return np.array(page.evaluate(PIXEL, [x, y]), dtype=float)


def hover(page, x: float, y: float) -> str | None:
    left, top = page.evaluate(CANVAS_AT)
    page.call(lambda p: p.mouse.move(left + x, top + y))
    page.evaluate(f"() => {FRAMES}")
    return page.evaluate(TIP)


def rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def scale_rgb(value: float) -> np.ndarray:
    """The error scale's colour of a value, mixed the way the chart promises: linearly between stops, clamped."""
    domain, colors = chart_data.ERROR_SCALE["domain"], chart_data.ERROR_SCALE["colors"]
    return np.array([np.interp(value, domain, [rgb(c)[k] for c in colors]) for k in range(3)])


def to_y(panel: dict, value: float) -> float:
    lo, hi = panel["y"]
    return panel["top"] + (hi - value) / (hi - lo) * panel["height"]


def to_x(panel: dict, value: float) -> float:
    lo, hi = panel["x"]
    return panel["left"] + (value - lo) / (hi - lo) * panel["width"]


# --------------------------------------------------------------------------------------------------------


def test_error_maps_colour_each_pixel_on_the_clamped_diverging_scale(page):
    error = np.zeros((28, 28))
    error[0, 5], error[27, 0], error[10, 20], error[4, 9] = 0.75, -2.0, -0.25, 1.0
    data = chart_data.error_maps({"AE − original": error, "VAE − original": -error}, testid="errors")
    state = mount(page, data)
    assert (state["testid"], state["kind"], state["state"], state["panels"]) == ("errors", "heatmap", "ready", "2")
    assert state["marks"] == str(2 * 28 * 28)
    first, second = state["layout"]
    assert first["top"] == second["top"] and second["left"] >= first["left"] + first["width"]  # side by side
    assert page.evaluate(f"() => {ROOT}.querySelector('canvas.base').width") == RATIO * 600  # HiDPI
    for panel, sign in ((first, 1), (second, -1)):
        cell = panel["cell"]
        assert cell == 8 and panel["width"] == 28 * cell
        for r, c in ((0, 5), (27, 0), (10, 20), (4, 9), (3, 3)):
            seen = pixel(page, panel["left"] + (c + 0.5) * cell, panel["top"] + (r + 0.5) * cell)
            assert np.abs(seen[:3] - scale_rgb(sign * error[r, c])).max() <= 1, (r, c, seen, sign * error[r, c])
    assert np.abs(pixel(page, first["left"] + 2, first["top"] + 2)[:3] - rgb("#f7f7f7")).max() <= 1  # exact: white
    x, y = first["left"] + 5.5 * first["cell"], first["top"] + 0.5 * first["cell"]
    assert hover(page, x, y) == "AE − original\nrow 0, column 5\nerror 0.75"
    x, y = second["left"] + 20.5 * second["cell"], second["top"] + 10.5 * second["cell"]
    assert hover(page, x, y) == "VAE − original\nrow 10, column 20\nerror 0.25"
    assert hover(page, 1, 1) is None  # outside both maps


def test_grouped_bars_reach_the_height_their_share_predicts(page):
    ae, vae = list(range(1, 11)), [0] * 8 + [3, 1]
    data = chart_data.class_histogram({"AE": ae, "VAE": vae}, testid="classes")
    state = mount(page, data, 700)
    assert (state["kind"], state["series"], state["marks"]) == ("bars", "2", "20")
    (panel,) = state["layout"]
    assert panel["y"][0] == 0 and 0.75 <= panel["y"][1] <= 1.0  # from zero to just over the tallest share
    band = panel["width"] / 10
    bar = band * 0.8 / 2
    for digit, model, share, color in ((8, 1, 0.75, "#FF7F0E"), (3, 0, 4 / 55, "#1F77B4")):
        left = panel["left"] + digit * band + band * 0.1 + model * bar  # 10% of the band either side of a group
        x, top = left + bar / 2, to_y(panel, share)
        assert np.abs(pixel(page, x, top + 2)[:3] - rgb(color)).max() <= 2, (digit, model)
        assert pixel(page, x, top - 2)[3] == 0, (digit, model)  # nothing drawn just above the bar
        outer = left + bar + 2 if model == 1 else left - 2  # the group's outer side: empty
        inner = left + bar - 2.5 if model == 1 else left + 2.5
        assert pixel(page, outer, top + 4)[3] == 0 and np.abs(pixel(page, inner, top + 4)[:3] - rgb(color)).max() <= 2
    legend = page.evaluate(f"() => [...{ROOT}.querySelectorAll('.legend span')].map(s => s.textContent)")
    assert legend == ["AE", "VAE"]
    x = panel["left"] + 8.5 * band
    assert hover(page, x, panel["top"] + panel["height"] - 5) == "digit 8\nAE 16.4%\nVAE 75.0%"


def test_curves_put_each_point_where_its_panel_scale_says_and_grow_in_place(page):
    state = mount(page, chart_data.training_curves(history(kl=2.0, epochs=3), testid="curves"), 900)
    assert (state["kind"], state["panels"], state["marks"], state["paints"]) == ("lines", "3", "18", "1")
    loss, reconstruction, kl = state["layout"]
    assert loss["top"] == reconstruction["top"] == kl["top"]  # 0 columns: as many as fit, here all three
    assert loss["x"] == [1, 3] and loss["y"][0] <= 10 / 3 and loss["y"][1] >= 11  # each panel its own y scale
    assert reconstruction["y"][1] < loss["y"][1] or reconstruction["y"] != loss["y"]
    x, y = to_x(loss, 2), to_y(loss, 5.5)  # epoch 2, valid: a dashed orange line with a marker
    assert np.abs(pixel(page, x, y)[:3] - rgb("#FF7F0E")).max() <= 3
    x, y = to_x(reconstruction, 3), to_y(reconstruction, 3.0)  # epoch 3, train: blue
    assert np.abs(pixel(page, x, y)[:3] - rgb("#1F77B4")).max() <= 3
    assert hover(page, to_x(loss, 2) + 3, loss["top"] + 10) == "loss · epoch 2\ntrain 5.00\nvalid 5.50"

    page.evaluate(f"() => {{ window.firstCanvas = {ROOT}.querySelector('canvas.base'); {ROOT}.stamp = 7; }}")
    four = chart_data.training_curves(history(kl=2.0, epochs=4), testid="curves")
    page.evaluate(UPDATE, four)  # the next epoch arrives
    grown = page.evaluate(STATE)
    assert (grown["paints"], grown["marks"], grown["layout"][0]["x"]) == ("2", "24", [1, 4])
    same = page.evaluate(f"() => {ROOT}.querySelector('canvas.base') === window.firstCanvas && {ROOT}.stamp === 7")
    assert same, "the chart was rebuilt instead of repainted"
    page.evaluate(UPDATE, four)  # a rerun with the same data
    assert page.evaluate(STATE)["paints"] == "2"


def test_curves_wrap_and_leave_gaps(page):
    rows = history(kl=0.0, epochs=4)  # an autoencoder: no KL panel
    rows[1]["valid_loss"] = float("nan")  # a diverged epoch is a gap, not a broken chart
    state = mount(page, chart_data.training_curves(rows, columns=1, testid="ae-curves"), 500)
    assert (state["panels"], state["marks"]) == ("2", str(2 * 2 * 4 - 1))
    first, second = state["layout"]
    assert second["top"] > first["top"] + first["height"]  # one panel per row
    assert hover(page, to_x(first, 2), first["top"] + 5) == "loss · epoch 2\ntrain 5.00\nvalid no value"


def test_score_histogram_draws_its_bins_and_labelled_rules(page):
    scores = np.arange(1000.0)
    data = chart_data.score_histogram(scores, score=42.0, threshold=990.0, testid="scores")
    state = mount(page, data)
    (panel,) = state["layout"]
    assert state["marks"] == str(sum(1 for n in data["counts"] if n))
    assert panel["x"] == pytest.approx(data["domain"]) and panel["y"][0] == 0
    for value, color in ((42.0, "#d62728"), (990.0, "#808080")):
        x = round(to_x(panel, value)) + 0.5
        assert np.abs(pixel(page, x, panel["top"] + panel["height"] / 2)[:3] - rgb(color)).max() <= 2, value
    here, cutoff = panel["labels"]
    assert (here["text"], cutoff["text"]) == ("this image", "99th pct")
    assert cutoff["top"] >= here["top"] + here["height"]  # on separate lines
    assert cutoff["left"] + cutoff["width"] <= panel["left"] + panel["width"]  # flipped left of its rule, not cut
    assert here["left"] > to_x(panel, 42.0)  # right of its rule
    edges, counts = data["edges"], data["counts"]
    k = 30
    tip = hover(page, (to_x(panel, edges[k]) + to_x(panel, edges[k + 1])) / 2, panel["top"] + panel["height"] - 3)
    assert tip == f"{edges[k]:.1f} to {edges[k + 1]:.1f}: {counts[k]} test images"
    assert hover(page, to_x(panel, 42.0), panel["top"] + 40) == "this image: 42.00"


def test_latent_bars_keep_text_as_text_and_follow_the_width(page):
    title = '<img src=x onerror="window.hacked = 1"> KL per dimension'
    data = chart_data.latent_bars([0.5, float("nan"), 2.0], title, testid="bars")
    state = mount(page, data, 500)
    assert state["marks"] == "2"  # the NaN bar is left out
    assert page.evaluate(f"() => {ROOT}.querySelector('.title').textContent") == title
    assert page.evaluate("() => document.querySelectorAll('#host img').length") == 0
    assert page.evaluate("() => window.hacked") is None
    assert page.evaluate(f"() => getComputedStyle({ROOT}.querySelector('.legend')).display") == "none"  # one series
    (panel,) = state["layout"]
    band = panel["width"] / 3
    assert np.abs(pixel(page, panel["left"] + 2.5 * band, to_y(panel, 2.0) + 2)[:3] - rgb("#1F77B4")).max() <= 2
    assert hover(page, panel["left"] + 0.5 * band, panel["top"] + panel["height"] - 2) == "z0: 0.500"
    assert hover(page, panel["left"] + 1.5 * band, panel["top"] + panel["height"] - 2) == "z1: no value"

    page.evaluate(f"() => {{ document.getElementById('host').style.width = '320px'; return {FRAMES}; }}")
    page.evaluate(f"() => {FRAMES}")
    resized = page.evaluate(STATE)
    assert resized["paints"] == "2" and resized["layout"][0]["width"] < panel["width"]
    assert page.evaluate(f"() => {ROOT}.querySelector('canvas.base').width") == RATIO * 320
