"""One live component (its JS and CSS in its feature's folder) mounted in a blank Chromium page, without Streamlit,
for its own tests.

The page is given the component's libraries and module the way explorer/shared/browser/components.py assembles them,
with the module's ``export default function`` turned into a global, its css and html, and a routed origin
that serves exported model weights at the URL their entry names (as Streamlit's static serving would).
``mount(data)`` calls the component as Streamlit does and records what it sends: ``setStateValue`` calls go to
``window.sent``, ``setTriggerValue`` calls to ``window.triggered``.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import torch
from _web_page import BlankPage
from PIL import Image

from explorer.shared.browser import weights
from explorer.shared.browser.components import LIBRARIES, web_path

ORIGIN = "http://component.test"
HOST = "document.getElementById('host')"
FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
MOUNT = """([data, html, fresh]) => {
  if (fresh) {
    document.body.innerHTML = '<div id="host" style="width: 900px"></div>';
    document.getElementById('host').innerHTML = html;
    window.sent = [];
    window.triggered = [];
  }
  mountComponent({
    data,
    parentElement: document.getElementById('host'),
    setStateValue: (name, value) => window.sent.push([name, value]),
    setTriggerValue: (name, value) => window.triggered.push([name, value]),
  });
  return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));
}"""
PNG = "selector => document.querySelector(selector).toDataURL('image/png')"  # lossless, and short to send


class ComponentPage(BlankPage):
    """A blank page holding ``script``'s libraries (browser.components.LIBRARIES) then ``script`` (file names
    under explorer/), ``css`` and ``html``."""

    def __init__(self, script: str, css: str | None = None, html: str | None = None, **options: Any) -> None:
        self.blobs: dict[str, bytes] = {}
        self._scripts = [*LIBRARIES[script], script]
        self._css = css
        self.html = web_path(html).read_text() if html else ""
        super().__init__(self._open, **options)

    def _open(self, page) -> None:
        page.set_viewport_size({"width": 1100, "height": 900})
        page.route(f"{ORIGIN}/**", self._serve)
        page.goto(ORIGIN + "/")
        if self._css:
            page.add_style_tag(content=web_path(self._css).read_text())
        for name in self._scripts:
            text = web_path(name).read_text()
            if name == self._scripts[-1]:
                text = text.replace("export default function", "globalThis.mountComponent = function")
            page.add_script_tag(content=text)

    def _serve(self, route) -> None:
        name = route.request.url.rsplit("/", 1)[-1]
        if name in self.blobs:
            route.fulfill(status=200, body=self.blobs[name], content_type="application/octet-stream")
        else:
            route.fulfill(status=200, body="<!doctype html><title>component</title>", content_type="text/html")

    def entry(self, model: torch.nn.Module) -> dict[str, Any]:
        """The model's runner entry {hash, url, spec}, its weights now served at the entry's URL."""
        exported = weights.export(model)
        self.blobs[exported.file_name] = exported.blob
        return {"hash": exported.hash, "url": exported.url, "spec": exported.spec}

    def mount(self, data: dict[str, Any], fresh: bool = True) -> None:
        """Call the component with ``data``: on a new host (``fresh``) or on the one already mounted (a rerun)."""
        self.evaluate(MOUNT, [data, self.html, fresh])

    def frames(self) -> None:
        self.evaluate(FRAMES)

    def wait_for(self, expression: str, timeout: float = 20_000) -> None:
        self.call(lambda page: page.wait_for_function(expression, timeout=timeout))

    def rgba(self, selector: str) -> np.ndarray:
        """An opaque canvas's pixels, (height, width, 4) levels 0-255."""
        url = self.evaluate(PNG, selector)
        image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")
        return np.asarray(image, dtype=np.float64)

    def grey(self, selector: str) -> np.ndarray:
        """A canvas's red channel as (height, width) grey levels 0-255 (the digits are painted grey)."""
        return self.rgba(selector)[..., 0]


def decode(model: torch.nn.Module, codes: np.ndarray) -> np.ndarray:
    """torch's pictures (N, 28, 28) in [0, 1] for codes (N, D)."""
    with torch.inference_mode():
        pictures = model.decode(torch.as_tensor(np.asarray(codes, dtype=np.float32)).reshape(len(codes), -1))
    return pictures.numpy().reshape(-1, 28, 28)


def pixels_attribute(text: str) -> np.ndarray:
    """A canvas's data-pixels (784 comma-separated values) as (28, 28)."""
    return np.array([float(v) for v in text.split(",")], dtype=np.float64).reshape(28, 28)
