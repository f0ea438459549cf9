"""Real-browser fixtures: one `streamlit run app.py` per test session, driven by Debian's headless Chromium.

The server runs exactly as a user starts it (``python -m streamlit run app.py``) from the repository root, on a
free loopback port, with the checkpoints the app itself would pick ($VAE_CHECKPOINTS, else checkpoints/).
Every test gets a fresh browser context, i.e. a fresh Streamlit session, that records console errors and
uncaught page errors; tests call ``ui.assert_clean()`` to fail on them. Screenshots go to test-output/e2e/.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import _browser  # the repository root is on sys.path (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "e2e"
CHROMIUM = Path(_browser.CHROMIUM)
CHROMIUM_ARGS = _browser.CHROMIUM_ARGS
VIEWPORT = {"width": 1400, "height": 1000}
MAX_SCREENSHOT_HEIGHT = 8000
HEALTH_TIMEOUT = 60.0
LOAD_TIMEOUT_MS = 90_000  # first visit of a page loads models and encodes the test set on two shared cores

Server = _browser.StreamlitServer


# --------------------------------------------------------------------------------------------------------
# The server


@contextlib.contextmanager
def streamlit_server(script: str = "app.py", log_name: str = "server.log") -> Iterator[Server]:
    """The app as ./scripts/run.sh starts it (`python -m explorer.serve`), or `streamlit run <script>` for another
    script, on a free loopback port (tests/_browser.py); a server that never answers fails the test with its log."""
    warm = script == "app.py"
    try:
        with _browser.streamlit_server(
            script, OUTPUT / log_name, health_timeout=HEALTH_TIMEOUT, warm_start=warm
        ) as running:
            yield running
    except _browser.ServerError as error:
        pytest.fail(str(error))


def _has_models() -> tuple[bool, str]:
    from explorer.shared.model_catalog import build_catalog
    from explorer.shared.resources import checkpoint_root
    from vae.checkpoint import scan_checkpoints

    root = checkpoint_root()
    catalog = build_catalog(root, scan_checkpoints(root))
    pairs = [d for d, pair in catalog.pairs.items() if pair.ae is not None and pair.vae is not None]
    return bool(pairs) and catalog.classifier is not None, str(root)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI; scripts/test.sh installs Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium, or run ./scripts/test.sh)")


@pytest.fixture(scope="session")
def models_present(chromium: Path) -> None:
    ok, root = _has_models()
    if ok:
        return
    message = f"no AE/VAE pair and classifier under {root} (train them, or set VAE_CHECKPOINTS)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def server(models_present: None) -> Iterator[Server]:
    with streamlit_server() as running:
        yield running


@pytest.fixture(scope="session")
def browser(chromium: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


# --------------------------------------------------------------------------------------------------------
# One browser session


@dataclass
class UI:
    """A page in its own browser context, plus what its console said."""

    page: object
    server: Server
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str = "/") -> None:
        self.page.goto(self.server.url + path)
        self._wait_heading(self.page.locator("h1"))

    def open(self, title: str, heading: str | None = None) -> None:
        """Open a page the way a person does: through the sidebar's link (its h1 is `heading` or the title)."""
        if not self.page.url.startswith(self.server.url):
            self.goto("/")
        nav = self.page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_role("link", name=title, exact=True).click()
        self._wait_heading(self.page.locator("h1", has_text=heading or title))

    def _wait_heading(self, heading) -> None:
        # A script that dies before its title shows an exception box instead: fail at once, with the log.
        exception = self.page.locator('[data-testid="stException"]')
        heading.first.or_(exception.first).wait_for(timeout=LOAD_TIMEOUT_MS)
        if exception.count():
            pytest.fail(f"the page raised: {exception.first.inner_text()}\nserver log:\n{self.server.log(40)}")
        self.idle()

    def idle(self, quiet_ms: int = 600, timeout_ms: int = LOAD_TIMEOUT_MS) -> None:
        _browser.wait_idle(self.page, quiet_ms, timeout_ms)

    def screenshot(self, name: str) -> Path:
        """The whole page. Streamlit scrolls inside its main container, not the document, so a "full page"
        screenshot alone shows one screen: the viewport is stretched to the content's height for the shot."""
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        height = self.page.evaluate(
            """() => Math.max(document.documentElement.scrollHeight,
                 ...['stMain', 'stAppViewContainer', 'stSidebarContent']
                   .map(id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))"""
        )
        tall = min(max(int(height), VIEWPORT["height"]), MAX_SCREENSHOT_HEIGHT)
        try:
            if tall > VIEWPORT["height"]:
                self.page.set_viewport_size({"width": VIEWPORT["width"], "height": tall})
                self.page.wait_for_timeout(400)  # let plotly and the layout follow the new size
                self.idle(quiet_ms=200)
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(VIEWPORT)
        return path

    def image_bytes(self, img) -> bytes:
        """The bytes the browser shows in an <img>: inline (data: URL) or served from /media/..."""
        src = img.get_attribute("src")
        assert src, "image without src"
        if src.startswith("data:"):
            header, _, payload = src.partition(",")
            return base64.b64decode(payload) if header.endswith(";base64") else payload.encode()
        response = self.page.request.get(src if src.startswith("http") else self.server.url + src)
        assert response.ok, f"{src}: HTTP {response.status}"
        return response.body()

    def assert_clean(self) -> None:
        """No Streamlit exception box, no error box from the pages' guard, no console or page error."""
        exceptions = self.page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.all_inner_texts()
        alerts = self.page.locator('[data-testid="stAlertContentError"]')
        assert alerts.count() == 0, alerts.all_inner_texts()
        assert not self.errors, "browser console errors:\n" + "\n".join(self.errors)


def _console_listener(errors: list[str]):
    def on_console(message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if _browser.is_benign(url):
            return
        errors.append(f"console: {message.text} ({url})")

    return on_console


@pytest.fixture(scope="session")
def context(browser):
    """One browser profile for all tests, so Streamlit's scripts are downloaded and compiled once."""
    shared = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    try:
        yield shared
    finally:
        shared.close()


@pytest.fixture
def ui(context, server: Server) -> Iterator[UI]:
    """A new tab: its own websocket, so its own Streamlit session (session state starts empty)."""
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    session = UI(page, server)
    page.on("console", _console_listener(session.errors))
    page.on("pageerror", lambda error: session.errors.append(f"page error: {error}"))
    try:
        yield session
    finally:
        page.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of the page as it was when a browser test failed."""
    outcome = yield
    report = outcome.get_result()
    session = item.funcargs.get("ui") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(session, UI):
        with contextlib.suppress(Exception):
            session.screenshot(f"FAILED-{re.sub(r'[^A-Za-z0-9_.-]+', '_', item.name)}")
