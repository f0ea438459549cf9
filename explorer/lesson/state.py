"""The guided lesson's state: the step being taught, the step whose page setting waits to be applied, and a
snapshot of every setting "Show me" changed, so leaving the lesson puts each one back as it was.

The step is mirrored in the URL (``?lesson=N``): every change of step writes it, so a copied address opens
the same step, and leaving removes it. "Show me" only asks for its setting (``request_entry``); the next run
applies it (``apply_setup``) before the sidebar and the page draw their widgets, which is the one moment
Streamlit lets code set a widget's value. A setting is snapshotted the first time the lesson changes it, so
after several steps leaving still restores what the user had before the lesson began.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from explorer.inside import state as inside_state
from explorer.latent_map import state as map_state
from explorer.lesson.steps import Setup
from explorer.sampling import state as sampling_state
from explorer.shared import state

PARAM = "lesson"
STEP_LIST = "lesson.list"  # the Lesson page's list of steps (a radio)
_STEP = "lesson.step"  # the step being taught, or absent outside the lesson
_PENDING = "lesson.pending"  # the step whose Setup the next run applies
_SNAPSHOT = "lesson.snapshot"  # dict[key, the value before the lesson changed it, or _ABSENT]
_ABSENT = ("lesson", "absent")  # stands for "the key did not exist" in the snapshot


def lesson_param() -> str | None:
    """The URL's ``lesson`` text, unparsed (explorer.lesson.link parses it), or None without one."""
    return st.query_params.get(PARAM)


def lesson_step() -> int | None:
    """The step being taught, or None outside the lesson."""
    return st.session_state.get(_STEP)


def set_lesson_step(number: int) -> None:
    """Teach step ``number`` (already checked) and put it in the URL; usable as an on_click callback."""
    st.session_state[_STEP] = int(number)
    if st.query_params.get(PARAM) != str(number):
        st.query_params[PARAM] = str(number)


def show_step_list(number: int) -> None:
    """Before the Lesson page's step list is drawn: select the step being taught."""
    if st.session_state.get(STEP_LIST) != number:
        st.session_state[STEP_LIST] = number


def pick_from_step_list() -> None:
    """on_change callback of the step list."""
    set_lesson_step(int(st.session_state[STEP_LIST]))


def drop_lesson_param() -> None:
    if PARAM in st.query_params:
        del st.query_params[PARAM]


def request_entry(number: int) -> None:
    """ "Show me" for step ``number``: teach it, and set its page's state on the next run (``take_entry``)."""
    set_lesson_step(number)
    st.session_state[_PENDING] = int(number)


def take_entry() -> int | None:
    """The step whose setting waits to be applied (once), or None."""
    return st.session_state.pop(_PENDING, None)


def _remember(key: str) -> None:
    snapshot = st.session_state.setdefault(_SNAPSHOT, {})
    if key not in snapshot:
        snapshot[key] = st.session_state.get(key, _ABSENT)


def _set(key: str, value: Any) -> None:
    _remember(key)
    st.session_state[key] = value


def _set_all(settings: dict[str, Any]) -> None:
    """Apply what a feature's own function says shows the step (its keys, its values), remembering each."""
    for key, value in settings.items():
        _set(key, value)


def _put_back(key: str) -> None:
    """Give ``key`` its value from before the lesson again (the snapshot keeps it, for leaving)."""
    snapshot = st.session_state.get(_SNAPSHOT, {})
    if key not in snapshot:
        return
    if snapshot[key] == _ABSENT:
        st.session_state.pop(key, None)
    else:
        st.session_state[key] = snapshot[key]


def apply_setup(setup: Setup) -> None:
    """Set what ``setup`` names (call before the sidebar and the page draw): latent size, pickers, sampler."""
    if setup.latent_size is not None:
        _set_all(state.latent_size_settings(int(setup.latent_size)))
    else:  # a step without a size of its own shows the user's: undo an earlier step's switch
        for key in state.latent_size_settings(0):
            _put_back(key)
    for prefix, digit, nth in ((setup.picker, setup.digit, setup.nth), (setup.end_picker, setup.end_digit, 0)):
        if prefix is None or digit is None:
            continue
        _set_all(state.PickerKeys(prefix).test_settings(digit, nth))
        _remember(state.CHOSEN_IMAGE)  # a shared picker records its image as the session's chosen one
    if setup.inside_source is not None:
        _set_all(inside_state.source_settings(setup.inside_source))
    if setup.sampler is not None:
        _set_all(sampling_state.sampler_settings(setup.sampler))


def set_pad_pin(uv: tuple[float, float]) -> None:
    """Pin the Latent map's pad at pad position ``uv`` on entry (explorer.latent_map.state.pad_entry reads it)."""
    _set_all(map_state.pin_settings(uv))


def earlier_value(key: str) -> Any:
    """What ``key`` held before the lesson changed it (None if it had no value or the lesson left it alone)."""
    value = st.session_state.get(_SNAPSHOT, {}).get(key, st.session_state.get(key))
    return None if value == _ABSENT else value


def leave_lesson() -> None:
    """Put every setting the lesson changed back, forget the step and take it out of the URL (on_click)."""
    for key in list(st.session_state.get(_SNAPSHOT, {})):
        _put_back(key)
    st.session_state.pop(_SNAPSHOT, None)
    st.session_state.pop(_STEP, None)
    st.session_state.pop(_PENDING, None)
    drop_lesson_param()
