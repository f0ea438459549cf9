"""Inside the VAE, in Chromium on the real app: the panels follow the pen before the stroke ends, "draw eps
again" repaints without a message to the server, and a blank drawing gets a clear message."""

from __future__ import annotations

import json
import math

import pytest

from .conftest import UI

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PAGE = "Inside the VAE"
ROOT = ".inside-vae"


def values(ui: UI) -> dict:
    return json.loads(ui.page.locator(ROOT).get_attribute("data-values"))


def paints(ui: UI) -> int:
    return int(ui.page.locator(ROOT).get_attribute("data-paints") or 0)


def three_path() -> list[tuple[float, float]]:
    """A 3 as two bowls open to the left, in canvas fractions."""
    upper = [-math.pi * 0.8 + math.pi * 1.3 * t / 20 for t in range(21)]
    lower = [-math.pi * 0.5 + math.pi * 1.3 * t / 21 for t in range(1, 22)]
    points = [(0.48 + 0.2 * math.sin(a), 0.32 - 0.16 * math.cos(a)) for a in upper]
    return points + [(0.48 + 0.22 * math.cos(a), 0.66 + 0.18 * math.sin(a)) for a in lower]


def open_draw_mode(ui: UI) -> None:
    ui.open(PAGE)
    ui.page.get_by_text("Draw one here").click()
    ui.page.locator(f'{ROOT}[data-state="blank"]').wait_for()


def test_a_blank_drawing_says_what_to_do(ui: UI) -> None:
    open_draw_mode(ui)
    status = ui.page.locator(f"{ROOT} .status").inner_text()
    assert "Nothing drawn yet" in status and "draw a digit" in status
    assert not ui.page.locator(f"{ROOT} .panel.elbo").is_visible()  # no numbers for a digit that is not there
    ui.screenshot("inside-blank")
    ui.assert_clean()


def test_the_panels_follow_the_pen_before_the_stroke_ends(ui: UI) -> None:
    open_draw_mode(ui)
    box = ui.page.locator("canvas.draw-pad").bounding_box()
    path = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in three_path()]
    ui.page.mouse.move(*path[0])
    ui.page.mouse.down()
    seen = []
    for i, point in enumerate(path[1:], start=1):
        ui.page.mouse.move(*point)
        if i in (12, 30):  # mid-stroke, the mouse still down
            ui.page.locator(f'{ROOT}[data-state="ready"]').wait_for()
            ui.page.wait_for_timeout(120)  # a few animation frames
            seen.append(values(ui))
    ui.page.mouse.up()
    first, second = seen
    assert first["mu"] != second["mu"] and first["ellipse"] != second["ellipse"]
    assert first["negElbo"] != second["negElbo"] and first["kl"] != second["kl"]
    ui.page.wait_for_timeout(500)
    final = values(ui)
    assert final["negElbo"] == pytest.approx(final["recon"]["mean"] + final["kl"])
    ui.screenshot("inside-drawn-3")
    ui.assert_clean()


def test_drawing_eps_again_sends_nothing_to_the_server(ui: UI) -> None:
    sent: list[float] = []
    ui.page.on("websocket", lambda socket: socket.on("framesent", lambda _payload: sent.append(1)))
    ui.open(PAGE)
    ui.page.locator(f'{ROOT}[data-state="ready"]').wait_for()
    ui.page.wait_for_timeout(1000)  # let the estimator finish and the script run settle
    assert sent, "the websocket was not watched"
    before, count, frames = values(ui), paints(ui), len(sent)
    for _ in range(5):
        ui.page.get_by_role("button", name="Draw eps again").click()
        ui.page.wait_for_timeout(60)
    ui.page.wait_for_timeout(400)
    after = values(ui)
    assert paints(ui) >= count + 5
    assert after["eps"] != before["eps"] and after["pointPx"] != before["pointPx"]
    assert len(sent) == frames, "a websocket message went to the server"
    ui.screenshot("inside-test-7")
    ui.assert_clean()
