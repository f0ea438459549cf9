"""The Inside the VAE page's maths in the browser (runner.js + elbo.js) against the vae library in torch.

For every shipped VAE and 20 test digits, in a blank Chromium page: the posterior's mean and log-variance,
the closed-form KL, and the k-sample importance-weighted bound with the same eps array on both sides agree
within 1e-4 nats; the Monte Carlo reconstruction term is within 3 standard errors of torch's; the ellipse's
axes are numpy's eigen-decomposition of W diag(sigma^2) W^T; and 2,000 Bernoulli pixel samples average to the
mean image within 0.05 at every pixel. A last test mounts inside.js on made-up data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from _web_page import BlankPage, require_chromium

from explorer.latent_map import latent_pad
from explorer.shared.browser import weights
from explorer.shared.browser.components import LIBRARIES, web_path
from vae.config import ModelConfig
from vae.evaluate import iwae_nll
from vae.losses import reconstruction_nll
from vae.models import build_model
from vae.posterior import prior_log_prob

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parent.parent
ORIGIN = "http://inside.test"
NATS = 1e-4
SHIPPED = ("vae-z2", "vae-z16")
IMAGES = 20
K = 50  # importance samples per digit for the fixed-eps comparison (k = 1,000 is checked on one digit)
MC_DRAWS = 200


class Page(BlankPage):
    """A blank page with runner.js and elbo.js, whose routed ORIGIN serves the weight blobs put in ``blobs``."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        super().__init__(self._open)

    def _open(self, page) -> None:
        page.route(f"{ORIGIN}/**", self._serve)
        page.goto(ORIGIN + "/")
        for name in ("runner.js", "elbo.js"):
            page.add_script_tag(content=web_path(name).read_text())

    def _serve(self, route) -> None:
        name = route.request.url.rsplit("/", 1)[-1]
        if name in self.blobs:
            route.fulfill(status=200, body=self.blobs[name], content_type="application/octet-stream")
        else:
            route.fulfill(status=200, body="<!doctype html><title>inside</title>", content_type="text/html")

    def entry(self, model: torch.nn.Module) -> dict:
        exported = weights.export(model)
        self.blobs[exported.file_name] = exported.blob
        return {"hash": exported.hash, "url": exported.url, "spec": exported.spec}


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with Page().running() as session:
        yield session


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    from vae.data import load_mnist

    return load_mnist("test")[0][:IMAGES].numpy().reshape(IMAGES, 28 * 28)


def _shipped(name: str) -> torch.nn.Module:
    from vae.checkpoint import load

    folder = REPO / "checkpoints" / name
    if not (folder / "model.safetensors").exists():
        pytest.skip(f"{folder} is missing")
    return load(folder).eval()


BROWSER = """async ([entry, images, eps, k, plane]) => {
  const model = await LatentRunner.load(entry);
  const out = [];
  for (const image of images) {
    const {mu, logvar} = model.encodePosterior(image);
    const kl = ElboMath.klPerDim(mu, logvar);
    const sigma2 = Array.from(logvar, (lv) => Math.exp(lv));
    const [a, b, c] = ElboMath.projectedCovariance(plane, sigma2);
    const ellipse = ElboMath.eigen2(a, b, c);
    out.push({
      mu: Array.from(mu), logvar: Array.from(logvar), kl: ElboMath.sum(kl),
      iw: ElboMath.iwBound(model, image, mu, logvar, eps, k),
      axes: ellipse.axes, vectors: ellipse.vectors,
    });
  }
  return out;
}"""


def _torch_bound(model: torch.nn.Module, x: torch.Tensor, eps: torch.Tensor) -> float:
    """log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x) with z_i = mu + sigma * eps_i, in the vae library's terms."""
    posterior = model.encode(x.view(1, 1, 28, 28))
    z = posterior.mean + posterior.std * eps  # (k, D)
    logits = model.decode_logits(z)
    log_px_z = -reconstruction_nll(logits, x.view(1, 1, 28, 28).expand(len(z), 1, 28, 28), model.config)
    log_w = log_px_z + prior_log_prob(z) - posterior.log_prob(z)
    return float(torch.logsumexp(log_w, 0) - math.log(len(z)))


def _plane(model: torch.nn.Module) -> np.ndarray:
    """The page's plane: for z=2 the plane itself, for z=16 the PCA plane of the VAE's test codes."""
    from vae.data import load_mnist

    x = load_mnist("test")[0][:2000]
    with torch.inference_mode():
        codes = model.embed(x).numpy()
    return latent_pad.linear_plane(codes, "pca")[1]


@pytest.mark.parametrize("name", SHIPPED)
def test_posterior_kl_bound_and_ellipse_match_torch(page, digits: np.ndarray, name: str) -> None:
    model = _shipped(name)
    dim = model.config.latent_dim
    eps = torch.randn(K, dim, generator=torch.Generator().manual_seed(7))
    plane = _plane(model)
    got = page.evaluate(BROWSER, [page.entry(model), digits.tolist(), eps.ravel().tolist(), K, plane.tolist()])
    x = torch.from_numpy(digits)
    with torch.inference_mode():
        posterior = model.encode(x.view(-1, 1, 28, 28))
        kl = posterior.kl().numpy()
        bounds = [_torch_bound(model, x[i], eps) for i in range(IMAGES)]
    mu, logvar = posterior.mean.numpy(), posterior.logvar.numpy()
    worst = {"mu": 0.0, "logvar": 0.0, "kl": 0.0, "iw": 0.0, "axes": 0.0}
    for i, item in enumerate(got):
        worst["mu"] = max(worst["mu"], float(np.abs(np.asarray(item["mu"]) - mu[i]).max()))
        worst["logvar"] = max(worst["logvar"], float(np.abs(np.asarray(item["logvar"]) - logvar[i]).max()))
        worst["kl"] = max(worst["kl"], abs(item["kl"] - float(kl[i])))
        worst["iw"] = max(worst["iw"], abs(item["iw"] - bounds[i]))
        covariance = plane @ np.diag(np.exp(logvar[i].astype(np.float64))) @ plane.T
        values, vectors = np.linalg.eigh(covariance)  # ascending
        axes = np.sqrt(np.clip(values[::-1], 0, None))
        worst["axes"] = max(worst["axes"], float(np.abs(np.asarray(item["axes"]) - axes).max() / axes[0]))
        major = np.asarray(item["vectors"][0])
        assert abs(abs(major @ vectors[:, 1]) - 1) < 1e-6, (i, major, vectors)
    print(name, {key: f"{value:.2e}" for key, value in worst.items()})
    assert worst["mu"] <= NATS and worst["logvar"] <= NATS
    assert worst["kl"] <= NATS and worst["iw"] <= NATS
    assert worst["axes"] <= 1e-5  # relative to the major axis; what differs is the float32 log-variance fed in


@pytest.mark.parametrize("name", SHIPPED)
def test_a_thousand_sample_bound_matches_torch_and_tightens(page, digits: np.ndarray, name: str) -> None:
    model = _shipped(name)
    k = 1000
    eps = torch.randn(k, model.config.latent_dim, generator=torch.Generator().manual_seed(3))
    got = page.evaluate(
        """async ([entry, image, eps, k]) => {
          const model = await LatentRunner.load(entry);
          const {mu, logvar} = model.encodePosterior(image);
          return [1, 10, 100, k].map((m) => ElboMath.iwBound(model, image, mu, logvar, eps, m));
        }""",
        [page.entry(model), digits[0].tolist(), eps.ravel().tolist(), k],
    )
    x = torch.from_numpy(digits[0])
    with torch.inference_mode():
        want = [_torch_bound(model, x, eps[:m]) for m in (1, 10, 100, k)]
        library = -float(iwae_nll(model, x.view(1, 1, 28, 28), k=k, generator=torch.Generator().manual_seed(0))[0])
    assert np.abs(np.asarray(got) - want).max() <= NATS, (got, want)
    assert got[-1] > got[0]  # more samples, a tighter (higher) bound on log p(x)
    assert abs(got[-1] - library) < 1.0  # the library's own estimate with its own draws lands close by


MC_BROWSER = """async ([entry, images, n, eps]) => {
  const model = await LatentRunner.load(entry);
  const source = ElboMath.rng(11);
  return images.map((image) => {
    const {mu, logvar} = model.encodePosterior(image);
    const own = ElboMath.reconstruction(model, image, mu, logvar, ElboMath.normals(source, n * mu.length), n);
    const fixed = ElboMath.reconstruction(model, image, mu, logvar, eps, eps.length / mu.length);
    return [own.mean, own.se, fixed.mean];
  });
}"""


def _torch_reconstruction(model: torch.nn.Module, x: torch.Tensor, eps: torch.Tensor) -> np.ndarray:
    """-log p(x|z) at z = mu + sigma * eps for each image (B, 1, 28, 28) and draw eps (n, D): (n, B) nats."""
    posterior = model.encode(x)
    z = posterior.mean + posterior.std * eps[:, None, :]  # (n, B, D)
    logits = model.decode_logits(z.reshape(-1, z.shape[-1]))
    targets = x.unsqueeze(0).expand(len(eps), *x.shape).reshape(-1, 1, 28, 28)
    return reconstruction_nll(logits, targets, model.config).view(len(eps), -1).numpy().astype(np.float64)


@pytest.mark.parametrize("name", SHIPPED)
def test_monte_carlo_reconstruction_is_within_three_standard_errors(page, digits: np.ndarray, name: str) -> None:
    """The page's own draws (its seeded PRNG) against torch's estimate from 4,000 draws of torch's generator;
    with the same 20 eps rows on both sides the two sums agree to 1e-4 nats."""
    model = _shipped(name)
    dim = model.config.latent_dim
    fixed = torch.randn(20, dim, generator=torch.Generator().manual_seed(9))
    got = np.asarray(page.evaluate(MC_BROWSER, [page.entry(model), digits.tolist(), MC_DRAWS, fixed.ravel().tolist()]))
    x = torch.from_numpy(digits).view(-1, 1, 28, 28)
    with torch.inference_mode():
        many = _torch_reconstruction(model, x, torch.randn(4000, dim, generator=torch.Generator().manual_seed(5)))
        same = _torch_reconstruction(model, x, fixed).mean(0)
    want, want_se = many.mean(0), many.std(0, ddof=1) / math.sqrt(len(many))
    mean, se = got[:, 0], got[:, 1]
    scores = (mean - want) / np.hypot(se, want_se)
    print(name, "z-scores", np.round(scores, 2), "fixed-eps gap", f"{np.abs(got[:, 2] - same).max():.1e}")
    assert (se > 0).all()
    assert np.abs(got[:, 2] - same).max() <= NATS
    assert np.abs(scores).max() <= 3, scores
    assert abs(scores.mean()) <= 3 / math.sqrt(len(scores))  # no bias shared by all 20 digits


def test_bernoulli_samples_average_to_the_mean_image(page, digits: np.ndarray) -> None:
    model = _shipped("vae-z16")
    got = page.evaluate(
        """async ([entry, images, count]) => {
          const model = await LatentRunner.load(entry);
          const source = ElboMath.rng(23);
          return images.map((image) => {
            const {mu} = model.encodePosterior(image);
            const means = model.decode(mu, 1);
            const samples = ElboMath.samplePixels(means, source, count);
            const average = new Float64Array(means.length);
            samples.forEach((value, i) => (average[i % means.length] += value));
            return [Array.from(means), Array.from(average, (v) => v / count), Array.from(new Set(samples))];
          });
        }""",
        [page.entry(model), digits.tolist(), 2000],
    )
    for means, average, values in got:
        assert sorted(values) == [0, 1]  # each pixel a coin: black or white, never grey
        assert np.abs(np.asarray(average) - np.asarray(means)).max() <= 0.05


def test_a_tiny_conv_vae_gets_its_log_variance_in_the_browser(page, digits: np.ndarray) -> None:
    torch.manual_seed(4)
    config = ModelConfig(kind="vae", arch="conv", latent_dim=3, hidden=(24,), channels=(4, 6))
    model = build_model(config).eval()
    got = page.evaluate(
        """async ([entry, image]) => {
          const model = await LatentRunner.load(entry);
          const {mu, logvar} = model.encodePosterior(image);
          return [Array.from(mu), Array.from(logvar)];
        }""",
        [page.entry(model), digits[3].tolist()],
    )
    with torch.inference_mode():
        posterior = model.encode(torch.from_numpy(digits[3]).view(1, 1, 28, 28))
    np.testing.assert_allclose(got[0], posterior.mean[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(got[1], posterior.logvar[0].numpy(), atol=1e-5)
    assert np.abs(posterior.logvar.numpy() - posterior.mean.numpy()).max() > 1e-3  # the two heads differ


def test_the_seeded_normals_are_standard_normal(page) -> None:
    values = np.asarray(page.evaluate("() => Array.from(ElboMath.normals(ElboMath.rng(1), 20000))"))
    again = np.asarray(page.evaluate("() => Array.from(ElboMath.normals(ElboMath.rng(1), 20000))"))
    np.testing.assert_array_equal(values, again)  # the seed fixes the draw
    assert abs(values.mean()) < 0.03 and abs(values.std() - 1) < 0.03
    assert abs((values > 1.96).mean() - 0.025) < 0.005


# --------------------------------------------------------------------------------------------------------
# inside.js mounted in a blank page on a tiny model and made-up scatters

ROOT = "document.querySelector('#host .inside-vae')"
VALUES = f"() => JSON.parse({ROOT}.dataset.values)"
MEAN = f"() => {ROOT}.querySelector('canvas.mean-image').dataset.pixels"
PAINTS = f"() => Number({ROOT}.dataset.paints || 0)"
READY = f"""() => new Promise(done => {{
  const wait = setInterval(() => {{ if ({ROOT}.dataset.state === 'ready') {{ clearInterval(wait); done(); }} }}, 20);
}})"""
FRAMES = """count => new Promise(done => {
  const frame = () => (--count > 0 ? requestAnimationFrame(frame) : done());
  requestAnimationFrame(frame);
})"""


def _mount_data(page: Page) -> dict:
    torch.manual_seed(6)
    entries, pads = {}, {}
    rng = np.random.default_rng(0)
    codes, labels = rng.normal(size=(300, 3)).astype(np.float32), rng.integers(0, 10, 300)
    for kind in ("vae", "ae"):
        model = build_model(ModelConfig(kind=kind, arch="mlp", latent_dim=3, hidden=(32,))).eval()
        entries[kind] = page.entry(model)
        pads[kind] = latent_pad.scatter_payload(latent_pad.pad_plane(codes, kind), codes, labels)
    from explorer.inside import data as inside
    from vae.data import load_mnist

    image = load_mnist("test")[0][0, 0].numpy()
    return inside.component_data(entries, pads, [2, 0, 1], image, "test image #0 (a 7)", colors=["#123456"] * 10)


@pytest.fixture(scope="module")
def mounted():
    require_chromium()
    script = web_path("inside.js").read_text().replace("export default function", "globalThis.mountInside = function")

    class Mounted(Page):
        def _open(self, page) -> None:
            super()._open(page)
            page.add_style_tag(content=web_path("inside.css").read_text())
            for name in LIBRARIES["inside.js"]:
                if name in ("runner.js", "elbo.js"):  # the base page has them already
                    continue
                page.add_script_tag(content=web_path(name).read_text())
            page.add_script_tag(content=script)

    with Mounted().running() as session:
        data = _mount_data(session)
        session.evaluate(
            """data => { document.body.innerHTML = '<div id="host" style="width: 1200px"></div>';
              mountInside({data, parentElement: document.getElementById('host')}); }""",
            data,
        )
        session.evaluate(READY)
        yield session


def _frames(page, count: int = 3) -> None:
    page.evaluate(FRAMES, count)


def test_an_eps_redraw_moves_the_dot_and_repaints_the_digit(mounted) -> None:
    before, pixels, paints = mounted.evaluate(VALUES), mounted.evaluate(MEAN), mounted.evaluate(PAINTS)
    mounted.call(lambda page: page.get_by_role("button", name="Draw eps again").click())
    _frames(mounted)
    after = mounted.evaluate(VALUES)
    assert mounted.evaluate(PAINTS) > paints
    assert after["mu"] == before["mu"] and after["eps"] != before["eps"]
    assert after["pointPx"] != before["pointPx"]
    assert mounted.evaluate(MEAN) != pixels
    sigma = np.asarray(after["sigma"])
    np.testing.assert_allclose(after["z"], np.asarray(after["mu"]) + sigma * np.asarray(after["eps"]), atol=1e-9)
    # The estimator's numbers belong to the digit, not to this one draw: they stay.
    assert after["recon"] == before["recon"] and after["kl"] == before["kl"]


def test_dragging_the_dot_moves_z_within_the_plane(mounted) -> None:
    before = mounted.evaluate(VALUES)
    box = mounted.call(lambda page: page.locator("canvas.plane").bounding_box())
    x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.25

    def drag(page) -> None:
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(x, y, steps=5)
        page.mouse.up()

    mounted.call(drag)
    _frames(mounted)
    after = mounted.evaluate(VALUES)
    assert after["point"]["u"] == pytest.approx(0.6, abs=0.02) and after["point"]["v"] == pytest.approx(0.5, abs=0.02)
    np.testing.assert_allclose(
        after["z"], np.asarray(after["mu"]) + np.asarray(after["sigma"]) * np.asarray(after["eps"]), atol=1e-9
    )
    assert after["z"] != before["z"]


def test_the_formula_shows_each_term_and_beta_reweights_only_the_kl(mounted) -> None:
    values = mounted.evaluate(VALUES)
    assert values["negElbo"] == pytest.approx(values["recon"]["mean"] + values["kl"])
    assert values["kl"] == pytest.approx(sum(values["klPerDim"]))
    text = mounted.evaluate(f"() => {ROOT}.querySelector('.formula').textContent")
    assert f"{values['kl']:.2f}" in text and f"{values['recon']['mean']:.2f}" in text
    mounted.call(lambda page: page.locator("input.beta").fill("2"))
    _frames(mounted)
    after = mounted.evaluate(VALUES)
    assert after["beta"] == 2 and after["objective"] == pytest.approx(values["recon"]["mean"] + 2 * values["kl"])
    assert after["negElbo"] == pytest.approx(values["negElbo"])
