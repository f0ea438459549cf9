"""The browser runner (explorer/web/runner.js) against torch: same codes and images, same pictures and codes.

Each model is exported by explorer.shared.browser.weights, its weights served to a blank Chromium page from a routed URL
(the same fetch path the app uses), and the page's decode / encode compared with ``model.decode`` /
``model.embed`` per pixel and per code dimension.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _web_page import BlankPage, require_chromium

from explorer.shared.browser import weights
from explorer.shared.browser.components import web_path
from vae.config import ModelConfig
from vae.models import build_model

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parent.parent
RUNNER_JS = web_path("runner.js")
ORIGIN = "http://runner.test"
TOLERANCE = 1e-4  # per pixel (decode) and per code dimension (encode)
SHIPPED = ("ae-z2", "vae-z2", "ae-z16", "vae-z16")
CODES = 100
IMAGES = 20


class Page(BlankPage):
    """A blank page with runner.js whose routed ORIGIN serves the weight blobs put in ``blobs``."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        super().__init__(self._open)

    def _open(self, page) -> None:
        page.route(f"{ORIGIN}/**", lambda route: _serve(route, self.blobs))
        page.goto(ORIGIN + "/")
        page.add_script_tag(content=RUNNER_JS.read_text())


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with Page().running() as session:
        yield session


def _serve(route, blobs: dict[str, bytes]) -> None:
    name = route.request.url.rsplit("/", 1)[-1]
    if name in blobs:
        route.fulfill(status=200, body=blobs[name], content_type="application/octet-stream")
    else:
        route.fulfill(status=200, body="<!doctype html><title>runner</title>", content_type="text/html")


def _browser_run(page, model: torch.nn.Module, codes: np.ndarray, images: np.ndarray) -> tuple[np.ndarray, ...]:
    exported = weights.export(model)
    page.blobs[exported.file_name] = exported.blob
    entry = {"hash": exported.hash, "url": exported.url, "spec": exported.spec}
    decoded, encoded = page.evaluate(
        """async ([entry, codes, images, n, m]) => {
            const model = await LatentRunner.load(entry);
            return [Array.from(model.decode(codes, n)), Array.from(model.encode(images, m))];
        }""",
        [entry, codes.ravel().tolist(), images.ravel().tolist(), len(codes), len(images)],
    )
    return np.asarray(decoded, dtype=np.float32), np.asarray(encoded, dtype=np.float32)


def _compare(page, model: torch.nn.Module, images: np.ndarray) -> tuple[float, float]:
    dim = model.config.latent_dim
    generator = torch.Generator().manual_seed(0)
    codes = (3 * torch.randn(CODES, dim, generator=generator)).numpy()  # wide enough for the AE's ranges
    decoded, encoded = _browser_run(page, model, codes, images)
    with torch.inference_mode():
        want_images = model.decode(torch.from_numpy(codes)).numpy().reshape(CODES, -1)
        want_codes = model.embed(torch.from_numpy(images).reshape(-1, 1, 28, 28)).numpy()
    pixel_error = float(np.abs(decoded.reshape(CODES, -1) - want_images).max())
    code_error = float(np.abs(encoded.reshape(len(images), dim) - want_codes).max())
    print(f"{model.config.kind} z={dim} {model.config.arch}: max pixel error {pixel_error:.2e}, code {code_error:.2e}")
    return pixel_error, code_error


@pytest.fixture(scope="module")
def test_images() -> np.ndarray:
    from vae.data import load_mnist

    return load_mnist("test")[0][:IMAGES].numpy().reshape(IMAGES, 28 * 28)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_runs_the_same_in_the_browser(page, test_images: np.ndarray, name: str) -> None:
    from vae.checkpoint import load

    folder = REPO / "checkpoints" / name
    if not (folder / "model.safetensors").exists():
        pytest.skip(f"{folder} is missing")
    model = load(folder).eval()
    pixel_error, code_error = _compare(page, model, test_images)
    assert pixel_error <= TOLERANCE
    assert code_error <= TOLERANCE


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_tiny_conv_model_runs_the_same_in_the_browser(page, test_images: np.ndarray, kind: str) -> None:
    torch.manual_seed(1)
    config = ModelConfig(kind=kind, arch="conv", latent_dim=3, hidden=(24,), channels=(4, 6))
    model = build_model(config).eval()
    pixel_error, code_error = _compare(page, model, test_images)
    assert pixel_error <= TOLERANCE
    assert code_error <= TOLERANCE


def test_a_wrong_runner_is_caught(page, test_images: np.ndarray) -> None:
    """The comparison can fail: a spec whose decoder skips a ReLU decodes different pictures."""
    torch.manual_seed(2)
    model = build_model(ModelConfig(kind="ae", arch="mlp", latent_dim=2, hidden=(16,))).eval()
    exported = weights.export(model)
    spec = {**exported.spec, "decoder": [{**layer, "activation": None} for layer in exported.spec["decoder"]]}
    spec["hash"] = "broken-" + exported.hash
    page.blobs[exported.file_name] = exported.blob
    entry = {"hash": spec["hash"], "url": exported.url, "spec": spec}
    codes = np.random.default_rng(0).standard_normal((10, 2)).astype(np.float32) * 3
    decoded = page.evaluate(
        "async ([entry, codes]) => Array.from((await LatentRunner.load(entry)).decode(codes, 10))",
        [entry, codes.ravel().tolist()],
    )
    with torch.inference_mode():
        want = model.decode(torch.from_numpy(codes)).numpy().ravel()
    assert np.abs(np.asarray(decoded, dtype=np.float32) - want).max() > 10 * TOLERANCE


def test_weights_are_fetched_once_per_model(page) -> None:
    torch.manual_seed(3)
    model = build_model(ModelConfig(kind="vae", arch="mlp", latent_dim=2, hidden=(8,))).eval()
    exported = weights.export(model)
    page.blobs[exported.file_name] = exported.blob
    entry = {"hash": exported.hash, "url": exported.url, "spec": exported.spec}
    fetches = page.evaluate(
        """async (entry) => {
            const before = LatentRunner.fetchCount();
            const models = await Promise.all([1, 2, 3].map(() => LatentRunner.load(entry)));
            await LatentRunner.load(entry);
            return [LatentRunner.fetchCount() - before, models[0] === models[2]];
        }""",
        entry,
    )
    assert fetches == [1, True]
