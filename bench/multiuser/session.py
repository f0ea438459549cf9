"""One browser session of the load benchmark: what it does (slider steps, uploads, page switches), what it times
and the errors it counts; and the digit scans it uploads."""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from bench._probes import KEY_CLOCK_JS
from bench.multiuser.common import (
    FIRST_LOAD_TIMEOUT_MS,
    MAX_ACTIONS_PER_SESSION,
    MAX_SCREENSHOTS,
    MEDIA_PATH,
    OUTPUT,
    SLIDER_MOVES_PER_CYCLE,
    SLIDERS_USED,
)
from tests._browser import is_benign, wait_idle

# --------------------------------------------------------------------------------------------------------
# What the sessions upload


class Digits:
    """Test-set digits as dark-on-light 200x200 PNG scans, a different one for every upload."""

    def __init__(self) -> None:
        from vae.data import load_mnist

        self.images = load_mnist("test")[0][:, 0].numpy()
        self.count = 0

    def next(self) -> bytes:
        import numpy as np
        from PIL import Image

        image = self.images[self.count % len(self.images)]
        self.count += 1
        big = Image.fromarray((image * 255).astype(np.uint8)).resize((200, 200), Image.Resampling.BILINEAR)
        paper = 235 - np.asarray(big, dtype=np.float32) * 215 / 255
        buffer = io.BytesIO()
        Image.fromarray(paper.astype(np.uint8)).save(buffer, format="PNG")
        return buffer.getvalue()


# --------------------------------------------------------------------------------------------------------
# One session


@dataclass
class Results:
    slider_ms: list[float] = field(default_factory=list)
    upload_ms: list[float] = field(default_factory=list)
    switch_ms: list[float] = field(default_factory=list)
    first_load_ms: list[float] = field(default_factory=list)
    sliders_seen: int = 0
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < 3:
            examples.append(detail[:300])


# The live sliders' range inputs (in the component's open shadow root: locators reach them, page.evaluate does
# not); inactive dimensions sit in a closed <details>, so only the first grid's are used.
LIVE = '[data-testid="live-sliders"]'
LIVE_SLIDERS = f'{LIVE} .ls-controls > .ls-grid input[type="range"]'

# Milliseconds from the last key press to an address other than `old` (false until then), by bench/_probes.py's
# key clock (installed in every page before Streamlit's own scripts).
SLIDER_DONE = """([old]) => {
  const clock = window.__keys, last = clock.answers[clock.answers.length - 1];
  return clock.url !== old && last && last.t0 === clock.t0 ? Math.max(0.001, last.t1 - last.t0) : false;
}"""

PROBLEMS = """() => {
  const texts = sel => [...document.querySelectorAll(sel)].map(e => e.innerText.slice(0, 300));
  const broken = [...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src);
  return {
    exception: texts('[data-testid="stException"]'),
    error: texts('[data-testid="stAlertContentError"]'),
    broken: broken,
  };
}"""


class Session:
    def __init__(
        self, number: int, browser, base: str, results: Results, digits: Digits, args, timeout_s: float = 0
    ) -> None:
        self.number = number
        self.browser = browser
        self.base = base
        self.results = results
        self.digits = digits
        self.args = args
        self.rng = random.Random(number)
        self.timeout_ms = 1000 * (timeout_s or args.action_timeout)
        self.reported: set[tuple[str, str]] = set()
        self.context = None
        self.page = None
        self.missing_media: set[str] = set()

    screenshots = 0

    # Everything the browser reports on its own.
    def on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if is_benign(url):
            return
        media = MEDIA_PATH.search(f"{message.text} {url}")
        if media and ("404" in message.text or "Image source error" in message.text):
            self.missing_media.add(media.group(0))  # judged at the next check: replaced, or shown broken?
            return
        self.results.error("console error", f"{message.text} ({url})")

    def on_response(self, response) -> None:
        if response.status >= 400 and response.url.startswith(self.base):
            media = MEDIA_PATH.search(response.url)
            if response.status == 404 and media:
                self.missing_media.add(media.group(0))
                return
            self.results.error("HTTP error", f"{response.status} {response.url}")

    async def check_page(self, page, where: str) -> None:
        """Count exception and error boxes shown (each distinct message once per session) and broken pictures.

        A picture the server no longer has (404) is an error when the page still shows it broken. When the
        page has already replaced it (the browser asked for it after a newer run had superseded it), it is
        counted apart, as "404 for a replaced picture".
        """
        found = await page.evaluate(PROBLEMS)
        for kind, texts in (("exception box", found["exception"]), ("error box", found["error"])):
            for text in texts:
                if (kind, text) not in self.reported:
                    self.reported.add((kind, text))
                    self.results.error(kind, f"{where}: {text}")
        broken = {MEDIA_PATH.search(src).group(0) for src in found["broken"] if MEDIA_PATH.search(src)}
        for path in broken:
            self.results.error("broken picture shown", f"{where}: {path}")
        for path in self.missing_media - broken:
            self.results.error("404 for a replaced picture", f"{where}: {path}")
        self.missing_media.clear()

    async def settle(self, page) -> None:
        """Wait until the page has finished drawing, as a person waits to see the result before going on."""
        await wait_idle(page, 0, self.timeout_ms, settled=True)

    async def open_page(self, page, title: str, record: bool = True) -> None:
        started = time.perf_counter()
        await page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
        await page.locator("h1", has_text=title).wait_for(timeout=self.timeout_ms)
        if title == "Latent sliders":  # the in-page decoder has painted, and the server has written the link
            await page.locator(f'{LIVE}[data-state="ready"]:not([data-paints="0"])').wait_for(timeout=self.timeout_ms)
            await page.wait_for_function("() => location.search.includes('code=')", timeout=self.timeout_ms)
        if record:
            self.results.switch_ms.append(1000 * (time.perf_counter() - started))
        await self.settle(page)

    async def move_slider(self, page) -> None:
        """One keyboard step on a live slider, timed from the key press to the server's answer (new code=)."""
        old = await page.evaluate("() => window.__keys.url")
        sliders = page.locator(LIVE_SLIDERS)
        count = await sliders.count()
        self.results.sliders_seen = count
        slider = sliders.nth(self.rng.randrange(max(1, min(SLIDERS_USED, count))))
        value, top = await slider.evaluate("e => [Number(e.value), Number(e.max)]")
        await slider.focus()
        await slider.press("ArrowLeft" if value >= top else "ArrowRight")  # a step that always changes the code
        handle = await page.wait_for_function(SLIDER_DONE, arg=[old], timeout=self.timeout_ms, polling=100)
        self.results.slider_ms.append(float(await handle.json_value()))
        await self.settle(page)

    async def upload(self, page) -> None:
        name = f"s{self.number:02d}-{self.digits.count:05d}.png"
        data = self.digits.next()
        source = page.get_by_role("radiogroup").filter(has_text="My uploads").get_by_text("My uploads")
        await source.click()
        dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        await dropzone.wait_for(state="attached", timeout=self.timeout_ms)  # the rerun has begun
        await self.settle(page)
        started = time.perf_counter()
        await dropzone.set_input_files({"name": name, "mimeType": "image/png", "buffer": data})
        row = page.locator('[data-testid="stMarkdownContainer"] strong', has_text=name)
        refusal = page.locator('[data-testid="stAlertContentError"]', has_text=name)
        await row.or_(refusal).first.wait_for(timeout=self.timeout_ms)
        if await refusal.count():
            self.results.error("failed upload", await refusal.first.inner_text())
            return
        self.results.upload_ms.append(1000 * (time.perf_counter() - started))
        await self.settle(page)

    async def screenshot(self, page, what: str) -> None:
        """Keep a picture of the first few failures, for whoever reads the report."""
        if Session.screenshots < MAX_SCREENSHOTS:
            Session.screenshots += 1
            with contextlib.suppress(Exception):
                await page.screenshot(path=OUTPUT / f"failure-{Session.screenshots}-s{self.number}-{what}.png")

    async def open(self) -> None:
        """A new browser context (a new Streamlit session) on the home page, then on Latent sliders."""
        self.context = await self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(self.timeout_ms)
        await self.context.add_init_script(KEY_CLOCK_JS)
        self.page = page = await self.context.new_page()
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.results.error("page error", str(error)))
        page.on("response", self.on_response)
        started = time.perf_counter()
        await page.goto(self.base + "/", timeout=FIRST_LOAD_TIMEOUT_MS)
        await page.locator("h1").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
        self.results.first_load_ms.append(1000 * (time.perf_counter() - started))
        await self.settle(page)
        await self.open_page(page, "Latent sliders", record=False)

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()

    async def loop(self, deadline: float, max_cycles: int = MAX_ACTIONS_PER_SESSION) -> None:
        """Slider moves and an upload, over and over, until the deadline (or max_cycles cycles)."""
        page = self.page
        actions = cycles = 0
        on_sliders = True  # open() left the page there
        while time.monotonic() < deadline and actions < MAX_ACTIONS_PER_SESSION and cycles < max_cycles:
            cycles += 1
            step = "opening Latent sliders"
            try:
                if not on_sliders:
                    await self.open_page(page, "Latent sliders")
                on_sliders = False
                for _ in range(SLIDER_MOVES_PER_CYCLE):
                    if time.monotonic() >= deadline:
                        break
                    step = "moving a slider"
                    await self.move_slider(page)
                    actions += 1
                    await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
                await self.check_page(page, "Latent sliders")
                if time.monotonic() >= deadline:
                    break
                step = "opening Reconstruct"
                await self.open_page(page, "Reconstruct")
                step = "uploading"
                await self.upload(page)
                actions += 1
                await self.check_page(page, "Reconstruct")
                await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
            except Exception as error:  # a timeout or a vanished element: count it, start over, go on
                kind = "timeout" if "Timeout" in type(error).__name__ else "session failure"
                self.results.error(kind, f"session {self.number}, {step}: {str(error).splitlines()[0]}")
                await self.screenshot(page, step.replace(" ", "-"))
                with contextlib.suppress(Exception):
                    await page.goto(self.base + "/", timeout=FIRST_LOAD_TIMEOUT_MS)
                    await page.locator("h1").first.wait_for(timeout=FIRST_LOAD_TIMEOUT_MS)
                actions += 1
        with contextlib.suppress(Exception):
            await self.check_page(page, "end of the run")
