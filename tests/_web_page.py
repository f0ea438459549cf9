"""A blank Chromium page for the browser-side code's tests (the .js files in explorer's feature folders), driven
from a thread of its own.

The e2e tests keep a sync Playwright open in the main thread for the whole session, and Playwright's sync API
refuses to start a second one inside that thread's event loop; a one-thread pool gives each blank page its
own thread, so these tests run in the same pytest session as the e2e ones, in any order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests import _browser


class BlankPage:
    """``setup(page)`` runs once in the page's thread (routes, content, script tags); ``evaluate`` runs there too.
    ``page_options`` go to ``browser.new_page`` (e.g. ``device_scale_factor=2`` for a HiDPI screen)."""

    def __init__(self, setup: Callable[[Any], None], **page_options: Any) -> None:
        self._setup = setup
        self._page_options = page_options
        self._pool = ThreadPoolExecutor(1)
        self._playwright = self._browser = self.page = None

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=_browser.CHROMIUM, args=_browser.CHROMIUM_ARGS)
        self.page = self._browser.new_page(**self._page_options)
        self._setup(self.page)

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self._pool.submit(self.page.evaluate, script, arg).result()

    def call(self, action: Callable[[Any], Any]) -> Any:
        """``action(page)`` in the page's thread, e.g. for page.mouse."""
        return self._pool.submit(action, self.page).result()

    @contextmanager
    def running(self) -> Iterator[BlankPage]:
        try:
            self._pool.submit(self._start).result()
            yield self
        finally:
            self._pool.submit(self._stop).result()
            self._pool.shutdown()


def require_chromium() -> None:
    """Skip without Debian's chromium on a developer's machine; fail in CI, where scripts/test.sh installs it."""
    if not Path(_browser.CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{_browser.CHROMIUM} is missing in CI; scripts/test.sh installs Debian's chromium package")
        pytest.skip(f"{_browser.CHROMIUM} is missing (apt-get install chromium, or run ./scripts/test.sh)")
