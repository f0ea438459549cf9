"""The frame every page runs in: ``guard`` (an unexpected exception becomes one short message, never a traceback),
the server log, one torch thread per request, the page icon and crisp digit pictures.

A page calls ``guard(main)``; a fragment is decorated with ``@guarded`` (a fragment rerun does not pass through the
page's guard). Either way an unexpected exception becomes one short ``st.error`` and the full traceback goes to the
server log.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
import torch

log = logging.getLogger("explorer")
F = TypeVar("F", bound=Callable[..., Any])
# The favicon (app.py): an emoji, which the browser draws. Streamlit fetches a ":material/...:" favicon from
# fonts.gstatic.com, which fails offline; the page icons in app.py are fine, they come from the Material font
# bundled with Streamlit.
PAGE_ICON = "🔢"


def guard(body: Callable[[], Any]) -> None:
    """Run a page body; an unexpected exception is logged and shown as one short error, never a traceback."""
    try:
        body()
    except Exception as error:  # Streamlit's own rerun/stop signals are BaseExceptions and pass through
        log.exception("page failed")
        st.error(
            f"Something went wrong here ({type(error).__name__}). The rest of the app still works; "
            "the details are in the server log."
        )


def guarded(fn: F) -> F:
    """``guard`` as a decorator, for fragments (put it under ``@st.fragment``)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        guard(lambda: fn(*args, **kwargs))

    return wrapper  # type: ignore[return-value]


def setup_logging() -> None:
    """Send the explorer's log (tracebacks of failed pages) to stderr beside Streamlit's own.

    EXPLORER_TIMING=1 also logs how long the slider panel takes per rerun (at DEBUG).
    """
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG if os.environ.get("EXPLORER_TIMING") else logging.INFO)
        log.propagate = False


def configure_threads() -> None:
    """One torch thread per request, unless $EXPLORER_TORCH_THREADS says otherwise.

    Measured on the shared two-core machine under load: with torch's default (2 threads) classifying one
    digit took ~150 ms median, with 1 thread 0.5 ms, and encoding the test set was faster too. The server
    already runs one script thread per session, so more threads per call only oversubscribe the cores.
    """
    try:
        wanted = max(1, int(os.environ.get("EXPLORER_TORCH_THREADS", "1")))
    except ValueError:
        log.warning("EXPLORER_TORCH_THREADS must be a whole number; using 1")
        wanted = 1
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


# Every digit on every page goes through ``pictures``. Given PNG bytes, st.image re-encodes a grey PNG as JPEG
# (quality 90, which smears the square pixels) and serves it from /media; a data: URL reaches the browser
# unchanged. The PNGs are already enlarged by whole pixels; CRISP_PIXELS stops the browser smoothing them
# again when it resizes one (a narrow column, or a high-density screen that doubles every CSS pixel).
CRISP_PIXELS = "<style>[data-testid='stImage'] img { image-rendering: pixelated; }</style>"


def crisp_pixels() -> None:
    """Once per run (app.py): style-only HTML goes to Streamlit's event container and takes no space."""
    st.html(CRISP_PIXELS)
