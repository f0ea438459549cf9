"""The guided lesson: its steps as data, ``?lesson=N`` links (good and hostile), every step's "Show me" landing
on its page with its state (read from the widgets and from the data the live components receive), the banner,
and leaving the lesson putting the settings back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_clean
from test_app import APP, SIZES, TIMEOUT

from explorer.latent_map import latent_pad
from explorer.lesson import steps as lesson

SIZE = 16  # the user's latent size before the lesson (the app's default)


@pytest.fixture(autouse=True)
def _no_user_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_RUNS", str(tmp_path / "runs"))


def _open(param: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if param is not None:
        at.query_params["lesson"] = param
    return at.run()


def _component(at, name: str) -> list[dict]:
    return [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == name]


def _banner(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**Lesson · step")]


def _test_image(digit: int, nth: int) -> tuple[int, np.ndarray]:
    from explorer.shared import resources

    images, labels = resources.test_set()
    index = int(np.flatnonzero(labels == digit)[nth])
    return index, images[index]


def _gap(size: int, digits: tuple[int, int]) -> tuple[float, float]:
    from explorer.shared import resources

    codes = resources.codes(resources.catalog().pairs[size].ae)
    plane = latent_pad.pad_plane(codes, "ae")
    uv = plane.plane_to_pad(plane.project(codes))
    return lesson.gap_point(uv, resources.test_set()[1], *digits)


# --------------------------------------------------------------------------------------------------------
# The steps as data


def test_the_steps_follow_the_argument_and_name_real_pages() -> None:
    from pathlib import Path

    assert 8 <= lesson.STEP_COUNT <= 10
    root = Path(__file__).resolve().parents[1]
    for step in lesson.STEPS:
        assert (root / step.page).is_file() and step.page_title
        sentences = step.text.count(". ") + 1
        assert 2 <= sentences <= 5, step.title
        assert step.task.strip().endswith("?") or "?" in step.task, step.title
        assert (step.setup.latent_size == lesson.TWO_D) == bool(step.why_2d), step.title
    pages = [s.page for s in lesson.STEPS]
    assert pages[:3] == ["views/reconstruct.py", "views/latent_map.py", "views/latent_map.py"]
    assert "views/inside.py" in pages and "views/sampling.py" in pages and pages[-1] == "views/interpolate.py"
    with pytest.raises(IndexError):
        lesson.step(lesson.STEP_COUNT + 1)


def test_the_gap_point_sits_in_an_empty_place_between_the_two_digits() -> None:
    rng = np.random.default_rng(0)
    ones = rng.normal((-0.5, 0.0), 0.05, (300, 2))
    sevens = rng.normal((0.5, 0.0), 0.05, (300, 2))
    uv, labels = np.concatenate([ones, sevens]), np.repeat([1, 7], 300)
    u, v = lesson.gap_point(uv, labels, 1, 7)
    assert -0.3 < u < 0.3 and abs(v) < 0.3
    assert (np.linalg.norm(uv - (u, v), axis=1) < 0.06).sum() == 0


@pytest.mark.skipif(2 not in SIZES, reason="needs the shipped 2-D pair")
def test_the_shipped_autoencoders_gap_between_1s_and_7s_is_empty() -> None:
    from explorer.shared import resources

    ae = resources.catalog().pairs[2].ae
    plane = latent_pad.pad_plane(resources.codes(ae), "ae")
    uv = plane.plane_to_pad(plane.project(resources.codes(ae)))
    labels = resources.test_set()[1]
    point = np.asarray(_gap(2, (1, 7)))
    distance = np.linalg.norm(uv - point, axis=1)
    assert (distance < 0.06).sum() == 0
    nearest = labels[np.argsort(distance)[:40]]
    assert (nearest == 1).mean() >= 0.25 and (nearest == 7).mean() >= 0.25


# --------------------------------------------------------------------------------------------------------
# Links


def test_a_lesson_link_opens_that_step_on_the_lesson_page() -> None:
    at = _open("4")
    assert_clean(at)
    assert at.title[0].value == "Lesson"
    assert at.subheader[0].value == lesson.step(4).title
    assert at.radio(key="lesson.list").value == 4
    assert at.query_params["lesson"] == ["4"] or at.query_params["lesson"] == "4"


@pytest.mark.parametrize("hostile", ["999", "<b>x</b>", "-1", "²", "", "0", "4.0", str(10**400)])
def test_a_malformed_lesson_link_gets_a_message_and_a_working_page(hostile: str) -> None:
    at = _open(hostile)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Latent-space explorer"  # Home, working
    (warning,) = [w.value for w in at.warning if "lesson" in w.value.lower()]
    assert "step" in warning and (len(hostile) < 3 or hostile not in warning)
    assert "lesson" not in at.query_params
    assert not _banner(at)


# --------------------------------------------------------------------------------------------------------
# Show me, step by step


def _show_me(number: int):
    at = _open(str(number))
    at.button(key="lesson.show").click().run()
    return at


def _on(at, page: str):
    """Tell AppTest which page the app moved to: after ``at.switch_page`` it keeps requesting that page on every
    run, where a browser stays on the page the app's own st.switch_page opened."""
    return at.switch_page(page)


def _check_picker(at, prefix: str, digit: int, nth: int) -> None:
    assert at.selectbox(key=f"{prefix}.digit").value == digit
    assert at.number_input(key=f"{prefix}.nth").value == nth


@pytest.mark.skipif(sorted(SIZES) != [2, 16], reason="the lesson is written for the shipped 2-D and 16-D pairs")
@pytest.mark.parametrize("number", range(1, lesson.STEP_COUNT + 1))
def test_show_me_lands_on_the_steps_page_with_its_state(number: int) -> None:
    step = lesson.step(number)
    at = _show_me(number)
    assert_clean(at)
    assert at.title[0].value == step.page_title
    size = step.setup.latent_size or SIZE
    assert at.radio(key="sidebar.latent_size").value == size
    (banner,) = _banner(at)
    assert f"step {number} of {lesson.STEP_COUNT}: {step.title}" in banner and step.task in banner
    if step.setup.latent_size == 2:
        assert any("your choice of 16 comes back when you leave" in c.value for c in at.caption)
    setup = step.setup
    if setup.picker is not None:
        _check_picker(at, setup.picker, setup.digit, setup.nth)
    if setup.end_picker is not None:
        _check_picker(at, setup.end_picker, setup.end_digit, 0)
    if step.page == "views/inside.py":
        (data,) = _component(at, "explorer.inside_vae")
        index, image = _test_image(setup.digit, setup.nth)
        assert data["mode"] == "image" and data["caption"] == f"test image #{index} (a {setup.digit})"
        np.testing.assert_allclose(data["image"], image.ravel(), atol=1e-6)
        assert data["models"]["vae"]["spec"]["latent_dim"] == size
    if step.page == "views/latent_map.py":
        maps = _component(at, "explorer.latent_map")
        assert len(maps) == 2 and all(m["axis_titles"] == ["z0", "z1"] for m in maps)
        (pad,) = _component(at, "explorer.latent_pad")
        if setup.pad_gap is None:
            assert pad["pinned"] is None
        else:
            want = _gap(2, setup.pad_gap)
            assert pad["pinned"] == pytest.approx({"u": want[0], "v": want[1]}, abs=1e-6)
            assert any(m.value.startswith("**Pinned** at pad position") for m in at.markdown)
    if setup.sampler is not None:
        assert at.radio(key="sample.sampler").value == setup.sampler
    if step.page == "views/interpolate.py":
        start, _ = _test_image(1, 0)
        end, _ = _test_image(7, 0)
        captions = {c for image in at.image for c in image.captions}
        assert f"test image #{start} (a 1)" in captions and f"test image #{end} (a 7)" in captions


def test_the_banners_next_opens_the_next_steps_page() -> None:
    at = _show_me(3)
    at.button(key="lesson.banner.next").click().run()
    assert_clean(at)
    assert at.title[0].value == lesson.step(4).page_title
    assert at.selectbox(key="inside.picker.digit").value == 7
    assert f"step 4 of {lesson.STEP_COUNT}" in _banner(at)[0]
    at.button(key="lesson.banner.lesson").click().run()
    assert at.title[0].value == "Lesson" and at.subheader[0].value == lesson.step(4).title


def test_the_lesson_pages_back_and_next_move_the_card_and_the_url() -> None:
    at = _open("5")
    at.button(key="lesson.next").click().run()
    assert at.subheader[0].value == lesson.step(6).title and at.radio(key="lesson.list").value == 6
    assert "6" in at.query_params["lesson"]
    at.button(key="lesson.back").click().run()
    at.button(key="lesson.back").click().run()
    assert at.subheader[0].value == lesson.step(4).title
    at.radio(key="lesson.list").set_value(2).run()
    assert_clean(at)
    assert at.subheader[0].value == lesson.step(2).title and "2" in at.query_params["lesson"]


@pytest.mark.skipif(sorted(SIZES) != [2, 16], reason="the lesson is written for the shipped 2-D and 16-D pairs")
def test_leaving_puts_back_the_latent_size_and_the_digit_the_user_had() -> None:
    at = _open()
    at.switch_page("views/inside.py").run()
    at.selectbox(key="inside.picker.digit").set_value(3).run()
    assert at.radio(key="sidebar.latent_size").value == SIZE
    at.switch_page("views/lesson.py").run()
    at.radio(key="lesson.list").set_value(4).run()
    at.button(key="lesson.show").click().run()
    assert at.radio(key="sidebar.latent_size").value == 2 and at.selectbox(key="inside.picker.digit").value == 7
    # Step 5 sets another digit; the snapshot keeps the one from before the lesson.
    _on(at, "views/inside.py").button(key="lesson.banner.next").click().run()
    assert at.selectbox(key="inside.picker.digit").value == 4
    _on(at, "views/inside.py").button(key="lesson.banner.leave").click().run()
    assert_clean(at)
    assert at.radio(key="sidebar.latent_size").value == SIZE
    assert not _banner(at) and "lesson" not in at.query_params
    assert at.title[0].value == "Inside the VAE"
    assert at.selectbox(key="inside.picker.digit").value == 3
    (data,) = _component(at, "explorer.inside_vae")
    assert data["caption"].endswith("(a 3)") and data["models"]["vae"]["spec"]["latent_dim"] == SIZE


@pytest.mark.skipif(sorted(SIZES) != [2, 16], reason="the lesson is written for the shipped 2-D and 16-D pairs")
def test_a_step_without_a_size_of_its_own_brings_the_users_size_back() -> None:
    at = _show_me(5)
    assert at.radio(key="sidebar.latent_size").value == 2
    _on(at, "views/inside.py").button(key="lesson.banner.next").click().run()
    assert_clean(at)
    assert lesson.step(6).setup.latent_size is None
    assert at.radio(key="sidebar.latent_size").value == SIZE
    (data,) = _component(at, "explorer.inside_vae")
    assert data["models"]["vae"]["spec"]["latent_dim"] == SIZE and data["caption"].endswith("(a 2)")


@pytest.mark.skipif(sorted(SIZES) != [2, 16], reason="the lesson is written for the shipped 2-D and 16-D pairs")
def test_leaving_unpins_the_pad() -> None:
    at = _show_me(3)
    at.button(key="lesson.banner.leave").click().run()
    at.radio(key="sidebar.latent_size").set_value(2).run()
    (pad,) = _component(at, "explorer.latent_pad")
    assert pad["pinned"] is None


def test_home_links_to_the_lesson() -> None:
    at = _open()
    assert at.get("page_link")[0].proto.page == "lesson"
