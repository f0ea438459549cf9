"""The Latent sliders component (explorer/sliders/sliders.js) in a blank Chromium page, on a tiny seeded VAE: a
moved slider repaints the digit with torch's decode of the new code, the traversal strip shows the decoded
traversal of the dimension moved, a release sends the code, a new revision from Python moves the sliders, and
labels are shown as text."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch
from _web_component import HOST, ORIGIN, ComponentPage, decode
from _web_page import require_chromium

from explorer.shared.latent_space import SliderSpec
from explorer.sliders.component import sliders_data
from vae.config import ModelConfig
from vae.models import build_model

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ROOT = f"{HOST}.querySelector('.live-sliders')"
GREY_LEVELS = 1.0  # canvas grey (0-255) against round(255 * torch's pixel)
# Ordered by importance as slider_specs orders them; z1 is inactive (inside the "inactive" details).
SPECS = [
    SliderSpec(2, -3.0, 3.0, 0.01, 1.8, None, True),
    SliderSpec(0, -3.0, 3.0, 0.01, 0.9, None, True),
    SliderSpec(1, -3.0, 3.0, 0.01, 0.001, None, False),
]
START = np.array([0.5, -0.25, 1.0], dtype=np.float32)


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    """A tiny seeded VAE whose decoder weights are tripled: its pixels span 0.01-0.99 (not 0.36-0.65 as at
    initialisation), so a slider moved by 0.05 changes the picture by about ten grey levels, not one."""
    torch.manual_seed(5)
    model = build_model(ModelConfig(kind="vae", arch="mlp", latent_dim=3, hidden=(32,))).eval()
    with torch.no_grad():
        for parameter in model.decoder.parameters():
            parameter.mul_(3.0)
    return model


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with ComponentPage("sliders.js", css="sliders.css", html="sliders.html").running() as p:
        yield p


@pytest.fixture
def mounted(page, model):
    page.mount(sliders_data(page.entry(model), SPECS, START, revision=1))
    page.wait_for(f"{ROOT}.dataset.state === 'ready' && Number({ROOT}.dataset.paints) >= 1")
    page.frames()
    return page


def _move(page, dim: int, value: float) -> float:
    """Set slider ``dim`` to ``value`` and fire its input event; returns the value the range input kept."""
    kept = page.evaluate(
        """([dim, value]) => {
            const input = document.getElementById('ls-z' + dim);
            input.value = String(value);
            input.dispatchEvent(new Event('input', {bubbles: true}));
            return Number(input.value);
        }""",
        [dim, value],
    )
    page.frames()
    return kept


def _assert_painted(page, selector: str, picture: np.ndarray) -> None:
    grey = page.grey(selector)
    gap = np.abs(grey - np.round(255 * picture)).max()
    assert gap <= GREY_LEVELS, f"{selector}: {gap} grey levels from torch's picture"


def test_the_first_paint_is_the_start_code(mounted, model) -> None:
    _assert_painted(mounted, ".ls-digit", decode(model, START[None])[0])
    values = mounted.evaluate("() => [...document.querySelectorAll('.ls-range')].map(i => [i.dataset.dim, i.value])")
    assert values == [["2", "1"], ["0", "0.5"], ["1", "-0.25"]]
    assert mounted.evaluate("() => window.sent") == []


def test_moving_a_slider_repaints_the_digit_with_torchs_decode(mounted, model) -> None:
    paints = int(mounted.evaluate(f"() => {ROOT}.dataset.paints"))
    kept = _move(mounted, 0, -2.137)
    assert kept == pytest.approx(-2.14)  # the range input keeps its step
    code = START.copy()
    code[0] = kept
    want = decode(model, code[None])[0]
    assert np.abs(want - decode(model, START[None])[0]).max() > 0.2  # the move changes the picture
    _assert_painted(mounted, ".ls-digit", want)
    assert int(mounted.evaluate(f"() => {ROOT}.dataset.paints")) == paints + 1
    assert mounted.evaluate("() => document.querySelector('output.ls-value[for=\"ls-z0\"]').textContent") == "-2.14"
    kept = _move(mounted, 2, 2.5)  # a second dimension, on top of the first
    code[2] = kept
    _assert_painted(mounted, ".ls-digit", decode(model, code[None])[0])


def test_the_strip_shows_the_decoded_traversal_of_the_moved_dimension(mounted, model) -> None:
    kept = _move(mounted, 0, 1.2)
    values = np.linspace(-3.0, 3.0, 9, dtype=np.float64)
    codes = np.repeat(START[None], 9, axis=0)  # z1 and z2 held where they start
    codes[:, 0] = values
    pictures = decode(model, codes)
    for i, picture in enumerate(pictures):
        _assert_painted(mounted, f".ls-cell:nth-child({i + 1}) canvas", picture)
    captions = mounted.evaluate("() => [...document.querySelectorAll('.ls-caption')].map(c => c.textContent)")
    assert captions == [f"{v:+.2f}" for v in values]
    title = mounted.evaluate("() => document.querySelector('.ls-strip-title').textContent")
    assert title == f"Traversal of {SPECS[1].label}, the others held"
    here = mounted.evaluate("() => [...document.querySelectorAll('.ls-thumb')].map(c => c.matches('.ls-here'))")
    assert here == [i == 6 for i in range(9)]  # 1.2 is nearest the seventh step (+1.50)

    _move(mounted, 2, -1.0)  # another dimension: the strip now traverses z2 with z0 held at 1.2
    codes = np.repeat(np.array([[kept, START[1], 0.0]], dtype=np.float32), 9, axis=0)
    codes[:, 2] = values
    for i, picture in enumerate(decode(model, codes)):
        _assert_painted(mounted, f".ls-cell:nth-child({i + 1}) canvas", picture)


def test_a_release_sends_the_code(mounted) -> None:
    kept = _move(mounted, 1, 0.73)
    mounted.evaluate("() => document.getElementById('ls-z1').dispatchEvent(new Event('change', {bubbles: true}))")
    sent = mounted.evaluate("() => window.sent")
    assert [name for name, _ in sent] == ["code"]
    assert sent[0][1]["z"] == pytest.approx([START[0], kept, START[2]], abs=1e-6)
    assert isinstance(sent[0][1]["at"], int | float) and sent[0][1]["at"] > 0


def test_a_new_revision_moves_the_sliders_and_the_same_one_does_not(mounted, model) -> None:
    _move(mounted, 0, 2.0)  # the hand is on z0
    moved = np.array([-1.5, 0.25, 2.75], dtype=np.float32)
    mounted.mount(sliders_data(mounted.entry(model), SPECS, moved, revision=1), fresh=False)  # a plain rerun
    assert mounted.evaluate("() => document.getElementById('ls-z0').value") == "2"
    code = START.copy()
    code[0] = 2.0
    _assert_painted(mounted, ".ls-digit", decode(model, code[None])[0])

    mounted.mount(sliders_data(mounted.entry(model), SPECS, moved, revision=2), fresh=False)
    mounted.frames()
    values = mounted.evaluate("() => [0, 1, 2].map(d => Number(document.getElementById('ls-z' + d).value))")
    assert values == pytest.approx(moved.tolist())
    shown = mounted.evaluate("() => [0, 1, 2].map(d => document.querySelector(`output[for=ls-z${d}]`).textContent)")
    assert shown == ["-1.50", "0.25", "2.75"]
    _assert_painted(mounted, ".ls-digit", decode(model, moved[None])[0])
    assert mounted.evaluate("() => window.sent") == []  # Python's move is not sent back


def test_labels_stay_text(page, model) -> None:
    data = sliders_data(page.entry(model), SPECS, START, revision=1)
    markup = '<img src=x onerror="window.hacked = 1"><b>z2</b>'
    data["sliders"][0]["label"] = markup
    page.mount(data)
    page.wait_for(f"{ROOT}.dataset.state === 'ready'")
    label = page.evaluate(
        "() => [document.querySelector('label[for=ls-z2]').textContent, "
        "document.querySelectorAll('#host img, #host b').length, window.hacked]"
    )
    assert label == [markup, 0, None]
    title = page.evaluate("() => document.querySelector('.ls-strip-title').textContent")
    assert title == f"Traversal of {markup}, the others held"
    inactive = page.evaluate("() => document.querySelector('.ls-inactive summary').textContent")
    assert inactive.startswith("1 inactive dimension")


def test_the_servers_picture_shows_while_the_decoder_cannot(page, model) -> None:
    # The weights' URL answers with a web page, so the in-page decoder never starts: the digit on screen is the
    # preview Python sent with the data (a gradient here, unlike any decode), grey byte for grey byte.
    preview = np.linspace(0.0, 1.0, 784, dtype=np.float32).reshape(28, 28)
    entry = {**page.entry(model), "hash": "no-such-weights", "url": f"{ORIGIN}/not-the-weights.bin"}
    page.mount(sliders_data(entry, SPECS, START, revision=1, preview=preview))
    page.wait_for(f"{ROOT}.dataset.state === 'error'")
    assert page.evaluate(f"() => [{ROOT}.dataset.shown, {ROOT}.dataset.paints]") == ["preview", "0"]
    assert np.array_equal(page.grey(".ls-digit"), np.round(255 * preview))


def test_once_the_decoder_is_ready_a_preview_never_covers_its_picture(page, model) -> None:
    page.mount(sliders_data(page.entry(model), SPECS, START, revision=1, preview=np.zeros((28, 28))))
    page.wait_for(f"{ROOT}.dataset.state === 'ready' && Number({ROOT}.dataset.paints) >= 1")
    page.frames()
    assert page.evaluate(f"() => {ROOT}.dataset.shown") == "decoder"
    _assert_painted(page, ".ls-digit", decode(model, START[None])[0])
    moved = np.array([-1.5, 0.25, 2.75], dtype=np.float32)
    page.mount(sliders_data(page.entry(model), SPECS, moved, revision=2, preview=np.zeros((28, 28))), fresh=False)
    page.frames()
    _assert_painted(page, ".ls-digit", decode(model, moved[None])[0])  # decoded in the page, not the black preview


def _click(page, selector: str) -> None:
    page.evaluate("selector => document.querySelector(selector).click()", selector)
    page.frames()


def _slider_values(page) -> list[float]:
    return page.evaluate("() => [0, 1, 2].map(d => Number(document.getElementById('ls-z' + d).value))")


def test_set_all_to_zero_moves_repaints_and_sends(mounted, model) -> None:
    _click(mounted, ".ls-start:nth-of-type(1)")
    assert mounted.evaluate("() => document.querySelector('.ls-start:nth-of-type(1)').textContent") == "Set all to 0"
    assert _slider_values(mounted) == [0, 0, 0]
    _assert_painted(mounted, ".ls-digit", decode(model, np.zeros((1, 3)))[0])
    (sent,) = mounted.evaluate("() => window.sent")
    assert sent[0] == "code" and sent[1]["z"] == [0, 0, 0]


def test_prior_draws_are_standard_normal_clipped_to_the_sliders_and_sent(mounted, model) -> None:
    draws = np.array(
        mounted.evaluate(
            """() => {
              const button = document.querySelector('.ls-start:nth-of-type(2)');
              for (let i = 0; i < 400; i++) button.click();
              return window.sent.map(([, value]) => value.z);
            }"""
        )
    )
    assert draws.shape == (400, 3) and len({tuple(d) for d in draws}) > 390
    assert np.abs(draws).max() <= 3.0 and np.allclose(draws, np.round(draws, 2), atol=1e-6)  # range and 0.01 step
    assert abs(draws.mean()) < 0.1 and 0.9 < draws.std() < 1.1, (draws.mean(), draws.std())
    mounted.frames()
    _assert_painted(mounted, ".ls-digit", decode(model, draws[-1:].astype(np.float32))[0])


def test_an_image_start_puts_its_encoding_on_the_sliders(page, model) -> None:
    image = np.linspace(0.0, 1.0, 784, dtype=np.float32).reshape(28, 28)
    data = sliders_data(page.entry(model), SPECS, START, revision=1)
    encoded = [1.2345, -7.0, 0.5]  # out of z1's range: the page clips it, as Python's clip_code does
    data["starts"] = [
        {
            "caption": "test image #7 (a 3)",
            "image": base64.b64encode(bytes(np.round(255 * image).astype(np.uint8))).decode(),
            "code": encoded,
        }
    ]
    page.mount(data)
    page.wait_for(f"{ROOT}.dataset.state === 'ready' && Number({ROOT}.dataset.paints) >= 1")
    tile = ".ls-start-image"
    assert (
        page.evaluate(f"() => document.querySelector('{tile}').getAttribute('aria-label')")
        == "Encode test image #7 (a 3)"
    )
    assert np.array_equal(page.grey(".ls-start-thumb"), np.round(255 * image))
    _click(page, tile)
    assert _slider_values(page) == pytest.approx([1.23, -3.0, 0.5])
    (sent,) = page.evaluate("() => window.sent")
    assert sent[1]["z"] == pytest.approx([1.23, -3.0, 0.5], abs=1e-6)
    _assert_painted(page, ".ls-digit", decode(model, np.array([[1.23, -3.0, 0.5]]))[0])
