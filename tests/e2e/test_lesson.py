"""The guided lesson in Chromium: open a step by its link, walk every step with Show me / Back to the lesson /
Next, check each landed page's heading, banner and URL (screenshot each: test-output/e2e/lesson-step-N.png),
then leave the lesson and find the latent size as it was."""

from __future__ import annotations

import re

import pytest

from explorer.lesson import steps as lesson

from .conftest import UI

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def banner(ui: UI):
    return ui.page.locator(".st-key-lesson-banner")


def card(ui: UI):
    return ui.page.locator(".st-key-lesson-card")


def latent_size(ui: UI) -> str:
    sidebar = ui.page.locator('[data-testid="stSidebar"]')
    return sidebar.locator("label:has(input[type=radio]:checked)").first.inner_text()


def test_walking_the_lesson_with_show_me_and_next(ui: UI) -> None:
    ui.goto("/?lesson=1")
    ui.page.locator("h1", has_text="Lesson").wait_for()
    assert "16" in latent_size(ui)
    for number, step in enumerate(lesson.STEPS, start=1):
        card(ui).get_by_text(step.title, exact=True).wait_for()
        card(ui).get_by_role("button", name=f"Show me on {step.page_title}").click()
        ui.page.locator("h1", has_text=step.page_title).wait_for()
        banner(ui).get_by_text(f"Lesson · step {number} of {lesson.STEP_COUNT}: {step.title}").wait_for()
        ui.idle()
        assert re.search(rf"[?&]lesson={number}\b", ui.page.url), ui.page.url
        assert str(step.setup.latent_size or 16) in latent_size(ui)
        if step.setup.pad_gap is not None:
            ui.page.get_by_text("Pinned", exact=False).first.wait_for()
        if step.page == "views/inside.py":
            ui.page.locator('.inside-vae[data-state="ready"]').wait_for()
            ui.page.locator(".inside-vae").get_by_text(f"(a {step.setup.digit})").first.wait_for()
        ui.page.wait_for_timeout(1500)  # let the live components paint before the shot
        ui.screenshot(f"lesson-step-{number}")
        ui.assert_clean()
        if number < lesson.STEP_COUNT:
            banner(ui).get_by_role("button", name="Back to the lesson").click()
            ui.page.locator("h1", has_text="Lesson").wait_for()
            card(ui).get_by_role("button", name="Next", exact=True).click()
    banner(ui).get_by_role("button", name="Leave the lesson").click()
    banner(ui).wait_for(state="detached")
    ui.idle()
    assert "lesson=" not in ui.page.url
    assert "16" in latent_size(ui)
    ui.assert_clean()


def test_a_bad_lesson_link_gets_a_message_in_the_browser(ui: UI) -> None:
    ui.goto("/?lesson=%3Cb%3Ex%3C%2Fb%3E")
    alert = ui.page.locator('[data-testid="stAlert"]', has_text="does not name a step")
    alert.wait_for()
    assert "<b>" not in alert.inner_text() and not ui.page.locator("b", has_text="x").count()
    ui.page.locator("h1", has_text="Latent-space explorer").wait_for()
    ui.assert_clean()
