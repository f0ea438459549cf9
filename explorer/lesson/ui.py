"""The guided lesson on screen: the Lesson page's step card, "Show me", the banner every other page carries
while the lesson runs, and what app.py does before each page (follow a ``?lesson=`` link, apply "Show me").

The steps are data (explorer.lesson.steps); their state goes through explorer.lesson.state.
"""

from __future__ import annotations

import streamlit as st

from explorer.latent_map import cache as map_cache
from explorer.lesson import state as lesson_state
from explorer.lesson import steps as lesson
from explorer.lesson.link import LessonError, parse_lesson
from explorer.shared import context, resources, state

LESSON_PAGE = "views/lesson.py"


def before_page(on_lesson_page: bool) -> None:
    """app.py, before the sidebar: follow a new ``?lesson=`` link, keep the URL on the step, apply "Show me"."""
    follow_link(on_lesson_page)
    number = lesson_state.take_entry()
    if number is not None:
        setup = lesson.step(number).setup
        lesson_state.apply_setup(setup)
        if setup.pad_gap is not None:
            pin = gap_pin(setup.pad_gap)
            if pin is not None:
                lesson_state.set_pad_pin(pin)


def follow_link(on_lesson_page: bool) -> None:
    """A ``?lesson=N`` the session is not already on opens step N on the Lesson page; a bad one gets a message."""
    raw, current = lesson_state.lesson_param(), lesson_state.lesson_step()
    if raw is None or (current is not None and raw == str(current)):
        if raw is None and current is not None:
            lesson_state.set_lesson_step(current)  # the sidebar's navigation dropped it from the URL
        return
    try:
        number = parse_lesson(raw)
    except LessonError as error:
        lesson_state.drop_lesson_param()
        if current is not None:
            lesson_state.set_lesson_step(current)
        st.warning(f"{error} Open the Lesson page to pick a step.", icon=":material/school:")
        return
    lesson_state.set_lesson_step(number)
    if not on_lesson_page:
        st.switch_page(LESSON_PAGE, query_params={lesson_state.PARAM: str(number)})


def gap_pin(digits: tuple[int, int]) -> tuple[float, float] | None:
    """The empty place between two digits' clusters on the chosen pair's autoencoder pad (or the VAE's)."""

    pair = context.current_pair()
    checkpoint = None if pair is None else pair.get("ae") or pair.get("vae")
    if checkpoint is None:
        return None
    kind = "ae" if checkpoint is pair.get("ae") else "vae"
    plane, _ = map_cache.pad(checkpoint, kind, "pca", (0, 1))
    uv = plane.plane_to_pad(plane.project(resources.codes(checkpoint)))
    return lesson.gap_point(uv, resources.test_set()[1], *digits)


def show_me(number: int) -> None:
    """Open step ``number``'s page with its state set (applied by ``before_page`` on the next run)."""
    lesson_state.request_entry(number)
    st.switch_page(lesson.step(number).page, query_params={lesson_state.PARAM: str(number)})


def size_note(step: lesson.Step) -> str:
    """What the step does to the sidebar's latent size, in words ("" when it leaves it alone)."""
    wanted = step.setup.latent_size
    if wanted is None:
        return ""
    before = lesson_state.earlier_value(state.LATENT_SIZE)
    back = f"; your choice of {before} comes back when you leave" if before not in (None, wanted) else ""
    return f"This step uses the {wanted}-D models ({step.why_2d}){back}."


def banner(on_lesson_page: bool) -> None:
    """The compact banner of the step being taught, on every page but the Lesson page."""
    number = lesson_state.lesson_step()
    if number is None or on_lesson_page:
        return
    step = lesson.step(number)
    with st.container(border=True, key="lesson-banner"):
        words, buttons = st.columns([3, 2], vertical_alignment="center")
        words.markdown(f"**Lesson · step {number} of {lesson.STEP_COUNT}: {step.title}**  \n{step.task}")
        if note := size_note(step):
            words.caption(note)
        row = buttons.container(horizontal=True, horizontal_alignment="right")
        if row.button("Back", key="lesson.banner.back", disabled=number == 1, icon=":material/arrow_back:"):
            show_me(number - 1)
        if row.button("Next", key="lesson.banner.next", disabled=number == lesson.STEP_COUNT):
            show_me(number + 1)
        if row.button("Back to the lesson", key="lesson.banner.lesson"):
            st.switch_page(LESSON_PAGE, query_params={lesson_state.PARAM: str(number)})
        row.button("Leave the lesson", key="lesson.banner.leave", on_click=lesson_state.leave_lesson)


def lesson_page() -> None:
    """The Lesson page: the step list, the step card, Back / Next and "Show me"."""
    number = lesson_state.lesson_step() or 1
    lesson_state.set_lesson_step(number)
    listing, card = st.columns([1, 3], gap="large")
    with listing:
        lesson_state.show_step_list(number)
        st.radio(
            "Steps",
            range(1, lesson.STEP_COUNT + 1),
            format_func=lambda n: f"{n}. {lesson.step(n).title}",
            key=lesson_state.STEP_LIST,
            on_change=lesson_state.pick_from_step_list,
        )
        st.button("Leave the lesson", key="lesson.leave", on_click=lesson_state.leave_lesson)
    with card:
        step_card(number)


def step_card(number: int) -> None:
    step = lesson.step(number)
    with st.container(border=True, key="lesson-card"):
        st.caption(f"Step {number} of {lesson.STEP_COUNT} · opens {step.page_title}")
        st.subheader(step.title)
        st.markdown(step.text)
        if step.formula:
            st.latex(step.formula)
        st.markdown(f"**Try it:** {step.task}")
        if note := size_note(step):
            st.caption(note)
        for page, text in step.more:
            st.page_link(page, label=f"{lesson.PAGES[page]}: {text}")
        back, show, forward = st.columns(3)
        back.button(
            "Back",
            key="lesson.back",
            disabled=number == 1,
            on_click=lesson_state.set_lesson_step,
            args=(number - 1,),
            width="stretch",
        )
        if show.button(f"Show me on {step.page_title}", key="lesson.show", type="primary", width="stretch"):
            show_me(number)
        forward.button(
            "Next",
            key="lesson.next",
            disabled=number == lesson.STEP_COUNT,
            on_click=lesson_state.set_lesson_step,
            args=(number + 1,),
            width="stretch",
        )
