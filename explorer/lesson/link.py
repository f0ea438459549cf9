"""The parser of the lesson's URL parameter (``?lesson=4``): which step a link opens.

Only ASCII digits name a step ("4", "04"); anything else, superscripts and other Unicode digits included, is
refused with a ``LessonError`` whose message says what is accepted without repeating what was sent.
"""

from __future__ import annotations

from typing import Any

from explorer.lesson.steps import STEP_COUNT

MAX_CHARS = 6  # "000010" still names step 10; longer is not a step number anyone typed


class LessonError(ValueError):
    """The ``lesson`` parameter does not name a step; the message says why, never repeating the value."""


def parse_lesson(value: Any, count: int = STEP_COUNT) -> int:
    """The step number (1..``count``) that ``value``, the URL's ``lesson`` text, names."""
    expected = f"a step number from 1 to {count}"
    if not isinstance(value, str):
        raise LessonError(f"The lesson link must name {expected}.")
    text = value.strip()
    if not text:
        raise LessonError(f"The lesson link is empty; it must name {expected}.")
    if len(text) > MAX_CHARS or not all("0" <= ch <= "9" for ch in text):
        raise LessonError(f"The lesson link does not name a step: it must be {expected}, written in digits 0-9.")
    number = int(text)
    if not 1 <= number <= count:
        raise LessonError(f"The lesson has no such step: it has steps 1 to {count}.")
    return number
