"""The chart component (explorer/charts/live_chart.js) in a blank Chromium page, with the app's plotly.js bundle
(static/vendor/): it draws the figure it is given, a new figure updates the same plot (no new element, the
Train page's curves never blank), markup in a title stays text, and a plotly.js that cannot load gives a
message instead of an empty box."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly
import pytest
from _web_page import BlankPage, require_chromium
from test_chart_data import history

from explorer.charts import chart_data, plots
from explorer.shared.browser.components import web_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

BLANK = "<!doctype html><title>live chart</title><body></body>"
PLOTLY_JS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly-cartesian-4.1.1.min.js"
MOUNT = """([data, fresh]) => {
  if (fresh) document.body.innerHTML = '<div id="host" style="width: 700px"></div>';
  mountLiveChart({data, parentElement: document.getElementById('host')});
}"""
STATE = """() => {
  const roots = document.querySelectorAll('#host .explorer-live-chart');
  const root = roots[0], plot = root.firstElementChild;
  plot.__seen ??= Math.random();
  const note = root.querySelector('p');
  return {roots: roots.length, state: root.dataset.state, paints: Number(root.dataset.paints),
          testid: root.dataset.testid, identity: plot.__seen, message: note.hidden ? null : note.textContent,
          traces: (plot.data || []).map(t => ({name: t.name, y: Array.from(t.y || [])})),
          title: plot.querySelector('.gtitle')?.textContent ?? null,
          paths: plot.querySelectorAll('.scatterlayer path.js-line').length};
}"""


@pytest.fixture(scope="module")
def page():
    require_chromium()
    script = (
        web_path("live_chart.js").read_text().replace("export default function", "globalThis.mountLiveChart = function")
    )

    def setup(page) -> None:
        page.route("**/plotly.min.js", lambda route: route.fulfill(path=str(PLOTLY_JS), content_type="text/javascript"))
        page.route("**/missing/**", lambda route: route.fulfill(status=404, body="not here"))
        page.route("**/blank", lambda route: route.fulfill(body=BLANK, content_type="text/html"))
        page.goto("http://explorer.test/blank")
        page.add_script_tag(content=web_path("mount.js").read_text())
        page.add_script_tag(content=script)

    with BlankPage(setup).running() as session:
        yield session


def payload(rows, testid="curves", src="http://explorer.test/plotly.min.js") -> dict:
    figure = plots.figure(chart_data.training_curves(rows, testid=testid))
    return {"src": src, "testid": testid, "figure": figure.to_json()}


def wait_paints(page, n: int) -> dict:
    script = f"() => Number(document.querySelector('#host .explorer-live-chart')?.dataset.paints) >= {n}"
    page.call(lambda p: p.wait_for_function(script))
    return page.evaluate(STATE)


def test_draws_the_figure_then_updates_the_same_plot_in_place(page):
    page.evaluate(MOUNT, [payload(history(kl=2.0, epochs=3)), True])
    first = wait_paints(page, 1)
    assert first["state"] == "ready" and first["testid"] == "curves" and first["roots"] == 1
    train = [t for t in first["traces"] if t["name"] == "train"]
    assert train[0]["y"] == pytest.approx([10.0, 5.0, 10.0 / 3]) and len(first["traces"]) == 6
    assert first["paths"] == 6  # a drawn line per series and panel
    page.evaluate(MOUNT, [payload(history(kl=2.0, epochs=5)), False])  # the next epochs arrive
    second = wait_paints(page, 2)
    assert second["roots"] == 1 and second["identity"] == first["identity"]  # the same element, updated
    assert len(next(t for t in second["traces"] if t["name"] == "train")["y"]) == 5


def test_a_title_with_markup_stays_text(page):
    data = chart_data.latent_bars([1.0, 2.0], "<img src=x onerror=alert(1)>KL", testid="bars")
    page.evaluate(MOUNT, [{"src": "http://explorer.test/plotly.min.js", "testid": "bars",
                          "figure": plots.figure(data).to_json()}, True])  # fmt: skip
    state = wait_paints(page, 1)
    assert state["testid"] == "bars" and page.evaluate("() => document.querySelectorAll('#host img').length") == 0
    assert state["title"] == "<img src=x onerror=alert(1)>KL"  # shown as the text it is


def test_plotly_that_cannot_load_gives_a_message(page):
    page.evaluate("() => { delete globalThis.Plotly; globalThis.__explorerPlotly = {promise: null}; }")
    page.evaluate(MOUNT, [payload(history(kl=1.0), src="http://explorer.test/missing/plotly.js"), True])
    script = "() => document.querySelector('#host .explorer-live-chart').dataset.state === 'error'"
    page.call(lambda p: p.wait_for_function(script))
    state = page.evaluate(STATE)
    assert state["message"].startswith("This chart cannot be drawn: could not load")
    json.dumps(state)


def test_the_bundle_is_the_plotly_js_release_the_python_package_builds_figures_for():
    shipped = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:200]
    ours = PLOTLY_JS.read_text()[:200]
    version = re.search(r"plotly\.js \(cartesian - minified\) v([\d.]+)", ours)
    assert version and f"plotly.js v{version.group(1)}" in shipped, (ours[:80], shipped[:80])
    license_text = (PLOTLY_JS.parent / "LICENSE-plotly.js.txt").read_text()
    assert "MIT License" in license_text and "Plotly" in license_text
