"""The training timeline (explorer/latent_map/timeline.js) in a blank Chromium page, on made-up timelines whose codes
are known: the slider repaints both maps at that epoch's places on fixed axes, play advances the epochs, the
curves' cursor follows, and a run still training appends epochs that the slider follows from the end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _web_page import BlankPage, require_chromium

from explorer.latent_map import timeline_chart
from explorer.shared.browser.components import LIBRARIES, web_path
from vae.timeline import LOSS_KEYS, SHOWN, Timeline

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
ROOT = "document.querySelector('#host .training-timeline')"
MOUNT = """data => {
  if (!document.getElementById('host')) document.body.innerHTML = '<div id="host" style="width: 700px"></div>';
  mountTimeline({data, parentElement: document.getElementById('host')});
  return true;
}"""
PIXEL = f"""([m, x, y]) => {{
  const canvas = {ROOT}.querySelectorAll('canvas.map')[m];
  const ratio = canvas.width / canvas.clientWidth;
  return Array.from(canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data);
}}"""
SCREEN = "([m, i]) => document.getElementById('host').__timeline.screenOf(m, i)"
SLIDE = f"""value => {{
  const slider = {ROOT}.querySelector('input[type=range]');
  slider.value = String(value);
  slider.dispatchEvent(new Event('input'));
}}"""

# Three epochs of two points: a 1 and a 7, each moving across the plane.
PLACES = {
    "vae": [[(-1.6, 0.4), (1.3, -0.7)], [(0.35, 1.45), (-0.6, -1.65)], [(1.45, 0.55), (-1.35, 0.35)]],
    "ae": [[(-4.3, 2.6), (3.4, -1.7)], [(0.7, 3.3), (-2.6, -3.1)], [(4.1, 1.3), (-3.7, 0.6)]],
}


def _timeline(kind: str, epochs: int) -> Timeline:
    timeline = Timeline(
        kind=kind,
        latent_dim=2,
        indices=torch.tensor([0, 1]),
        labels=torch.tensor([1, 7]),
        originals=torch.zeros(SHOWN, 28, 28, dtype=torch.uint8),
        prior_z=torch.zeros(SHOWN, 2),
    )
    for epoch in range(1, epochs + 1):
        timeline.epochs.append(epoch)
        timeline.mu.append(torch.tensor(PLACES[kind][epoch - 1], dtype=torch.float16))
        timeline.logvar.append(torch.zeros(2, 2, dtype=torch.float16))
        timeline.recon.append(torch.full((SHOWN, 28, 28), 40 * epoch, dtype=torch.uint8))
        timeline.samples.append(torch.zeros(SHOWN, 28, 28, dtype=torch.uint8))
        timeline.losses.append(torch.tensor([100.0 - 10 * epoch] * len(LOSS_KEYS)))
        timeline.kl_per_dim.append(torch.tensor([1.0 * epoch, 0.5]))
    return timeline


def _data(epochs: int) -> dict:
    timelines = {kind: _timeline(kind, epochs) for kind in ("ae", "vae")}
    return timeline_chart.payload(timelines, {"ae": "AE", "vae": "VAE"}, COLORS)


@pytest.fixture(scope="module")
def page():
    require_chromium()
    script = (
        web_path("timeline.js").read_text().replace("export default function", "globalThis.mountTimeline = function")
    )

    def setup(page) -> None:
        page.set_viewport_size({"width": 900, "height": 900})
        page.set_content("<!doctype html><title>timeline</title><body></body>")
        page.add_style_tag(content=web_path("timeline.css").read_text())
        for name in LIBRARIES["timeline.js"]:
            page.add_script_tag(content=web_path(name).read_text())
        page.add_script_tag(content=script)

    with BlankPage(setup).running() as session:
        yield session


def _rgb(color: str) -> list[int]:
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def _colour_at(page, m: int, i: int) -> np.ndarray:
    x, y = page.evaluate(SCREEN, [m, i])
    return np.array(page.evaluate(PIXEL, [m, x, y])[:3], dtype=float)


def _is(colour: np.ndarray, hex_colour: str) -> bool:
    return np.abs(colour - (0.7 * np.array(_rgb(hex_colour)) + 0.3 * 255)).max() <= 4


def test_the_slider_repaints_both_maps_at_that_epoch_on_fixed_axes(page):
    page.evaluate("() => { document.body.innerHTML = ''; }")
    page.evaluate(MOUNT, _data(3))
    assert page.evaluate(f"() => {ROOT}.dataset.epoch") == "3"  # opens at the last epoch
    for m, kind in enumerate(("ae", "vae")):
        assert _is(_colour_at(page, m, 0), COLORS[1]) and _is(_colour_at(page, m, 1), COLORS[7]), kind
    last = [page.evaluate(SCREEN, [m, 0]) for m in (0, 1)]
    page.evaluate(SLIDE, 0)
    assert page.evaluate(f"() => {ROOT}.dataset.epoch") == "1"
    assert page.evaluate(f"() => [...{ROOT}.querySelectorAll('canvas.map')].map(c => c.dataset.epoch)") == ["1", "1"]
    for m, kind in enumerate(("ae", "vae")):
        first = page.evaluate(SCREEN, [m, 0])
        # The same axes at every epoch: the move on screen is the move in the codes, at one fixed scale.
        (x0, y0), (x1, y1) = PLACES[kind][0][0], PLACES[kind][2][0]
        (sx0, sy0), (sx1, sy1) = first, last[m]
        scale = (sx1 - sx0) / (x1 - x0)
        assert scale > 0 and (sy1 - sy0) == pytest.approx(-scale * (y1 - y0), rel=0.02)
        assert _is(_colour_at(page, m, 0), COLORS[1])
        x, y = last[m]  # where the 1 was at epoch 3 is now empty
        assert min(page.evaluate(PIXEL, [m, x, y])[:3]) >= 235
    cursors = page.evaluate(f"() => [...{ROOT}.querySelectorAll('canvas.curves')].map(c => Number(c.dataset.cursor))")
    page.evaluate(SLIDE, 2)
    moved = page.evaluate(f"() => [...{ROOT}.querySelectorAll('canvas.curves')].map(c => Number(c.dataset.cursor))")
    assert all(b > a for a, b in zip(cursors, moved, strict=True))


def test_play_advances_the_epochs(page):
    page.evaluate("() => { document.body.innerHTML = ''; }")
    page.evaluate(MOUNT, _data(3))
    page.evaluate(SLIDE, 0)
    page.evaluate(f"() => {ROOT}.querySelector('button').click()")
    seen = page.evaluate(
        f"""() => new Promise(done => {{
          const seen = [];
          const tick = () => {{
            seen.push({ROOT}.dataset.epoch);
            if (seen.length > 30) done(seen); else setTimeout(tick, 50);
          }};
          tick();
        }})"""
    )
    assert seen[0] == "1" and "2" in seen and seen[-1] == "3"
    assert page.evaluate(f"() => {ROOT}.querySelector('button').textContent").endswith("Play")  # stopped at the end


def test_new_epochs_of_a_live_run_are_followed_from_the_end(page):
    page.evaluate("() => { document.body.innerHTML = ''; }")
    page.evaluate(MOUNT, _data(2))
    assert page.evaluate(f"() => {ROOT}.dataset.epoch") == "2"
    page.evaluate(MOUNT, _data(3))
    assert page.evaluate(f"() => {ROOT}.dataset.epoch") == "3"
    assert _is(_colour_at(page, 1, 0), COLORS[1])
    page.evaluate(SLIDE, 0)
    page.evaluate(MOUNT, _data(3))  # a refresh while looking at epoch 1 keeps it
    assert page.evaluate(f"() => {ROOT}.dataset.epoch") == "1"


def test_data_served_as_a_file_is_fetched_once(page):
    import json
    import urllib.parse

    page.evaluate("() => { document.body.innerHTML = ''; }")
    src = "data:application/json," + urllib.parse.quote(json.dumps(_data(3)))
    page.evaluate(MOUNT, {"src": src, "testid": "t"})
    page.call(lambda p: p.wait_for_function(f"() => {ROOT} && {ROOT}.dataset.state === 'ready'"))
    assert page.evaluate(f"() => {ROOT}.dataset.epoch") == "3"
    page.evaluate(SLIDE, 1)
    page.evaluate(MOUNT, {"src": src, "testid": "t"})  # a rerun with the same file: nothing reloads or moves
    assert page.evaluate(f"() => {ROOT}.dataset.epoch") == "2"
