"""The Streamlit app end to end through streamlit.testing's AppTest (no browser), on the real checkpoints.

The app reads $VAE_CHECKPOINTS (default: the repository's checkpoints/), so these tests run against the
shipped models unless told otherwise; they are skipped when no AE/VAE pair and classifier are there. Models
and derived arrays are cached per process, so only the first test that needs them pays for loading them.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import PAGE_SCRIPTS, assert_clean, charts, curve, live_sliders, panel_columns, panel_titles

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
ROOT = Path(os.environ.get("VAE_CHECKPOINTS") or REPO / "checkpoints")
PAGES = PAGE_SCRIPTS
TIMEOUT = 120  # the first run loads models and encodes the test set on a shared two-core machine


def _catalog():
    from explorer.shared.model_catalog import build_catalog
    from vae.checkpoint import scan_checkpoints

    return build_catalog(ROOT, scan_checkpoints(ROOT))


CATALOG = _catalog()
SIZES = sorted(d for d, pair in CATALOG.pairs.items() if pair.ae is not None and pair.vae is not None)
pytestmark = pytest.mark.skipif(
    not SIZES or CATALOG.classifier is None,
    reason=f"no AE/VAE pair and classifier under {ROOT} (train them, or set VAE_CHECKPOINTS)",
)


def app(size: int | None = None, page: str | None = None):
    """A fresh session: run once, pick the latent size in the sidebar, open ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if size is not None:
        at.session_state["explorer.latent_size"] = size  # what the sidebar's selector stores
    at.run()
    if size is not None:
        assert at.radio(key="sidebar.latent_size").value == size
    if page is not None:
        at.switch_page(page).run()
    return at


@pytest.fixture(autouse=True)
def _no_user_runs(tmp_path, monkeypatch):
    """The Train page (and every page's model picker) reads $VAE_RUNS: an empty folder keeps what a page
    shows independent of runs left on this machine."""
    monkeypatch.setenv("VAE_RUNS", str(tmp_path / "runs"))


@pytest.mark.parametrize(("page", "size"), [(p, s) for p in PAGES for s in SIZES])
def test_every_page_renders(page, size):
    at = app(size, page)
    assert_clean(at)
    assert at.title, f"{page} (z={size}) shows no title"


def test_home_lists_models_links_and_curves():
    at = app(max(SIZES))
    assert_clean(at)
    links = [link.proto.page for link in at.get("page_link")]
    assert len(links) == 6 and links[0] == "lesson"  # the lesson first, then the five start cards
    curves = charts(at)  # the AE's and the VAE's training curves, Plotly figures
    assert sorted(curves) == ["curves-ae", "curves-vae"]
    pair = CATALOG.pairs[max(SIZES)]
    for kind, figure in (("ae", curves["curves-ae"]), ("vae", curves["curves-vae"])):
        history = pair.get(kind).history
        assert figure["layout"]["meta"]["kind"] == "lines" and panel_columns(figure) == 2
        assert panel_titles(figure)[0] == "loss"
        assert curve(figure, 0, "valid") == pytest.approx([h["valid_loss"] for h in history])
        assert figure["data"][0]["x"] == pytest.approx([h["epoch"] for h in history])
    assert panel_titles(curves["curves-vae"]) == ["loss", "reconstruction", "KL"]
    assert not at.get("vega_lite_chart")
    assert any("vae-z" in s.value or "VAE" in s.value for s in at.subheader)


def slider_count(at) -> int:
    return len(live_sliders(at)["sliders"])


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_sliders_match_latent_size_and_move_the_image(kind):
    # The picture itself is decoded in the browser (tests/e2e/test_live.py); here the server's side of a
    # slider moved to its maximum: the code it holds, the link and the classifier's guess follow.
    for size in SIZES:
        at = app(size, "views/sliders.py")
        at.radio(key="sliders.kind").set_value(kind).run()
        assert_clean(at)
        data = live_sliders(at)
        assert len(data["sliders"]) == size
        first = data["sliders"][0]  # the most important dimension
        code = list(data["code"])
        code[first["dim"]] = first["hi"]
        at.query_params["code"] = ",".join(str(v) for v in code)
        at.run()
        assert_clean(at)
        moved = live_sliders(at)
        assert moved["code"][first["dim"]] == pytest.approx(first["hi"])
        assert moved["revision"] > data["revision"], "the component was not told to move its slider"


def test_sliders_offer_the_encodings_of_a_test_image_per_digit_and_the_image_chosen_last():
    # Zero and prior draws are made in the page (tests/test_web_sliders.py); the images to encode come from here.
    import base64

    from explorer.shared import core, latent_space
    from vae.checkpoint import load

    at = app(max(SIZES), "views/sliders.py")
    data = live_sliders(at)
    starts = data["starts"]
    assert [s["caption"].rsplit("a ", 1)[-1] for s in starts] == [f"{d})" for d in range(10)]
    model = load(CATALOG.pairs[max(SIZES)].vae.path).eval()
    images = np.stack([np.frombuffer(base64.b64decode(s["image"]), np.uint8).reshape(28, 28) / 255 for s in starts])
    specs = [
        latent_space.SliderSpec(s["dim"], s["lo"], s["hi"], s["step"], None, None, s["active"]) for s in data["sliders"]
    ]
    want = np.stack([latent_space.clip_code(specs, c) for c in core.embed(model, images.astype(np.float32))])
    assert np.abs(np.array([s["code"] for s in starts]) - want).max() <= 0.011  # grey bytes, then the 0.01 step
    assert len({tuple(s["code"]) for s in starts}) == 10

    at.switch_page("views/arithmetic.py").run()
    at.selectbox(key="arith.image.digit").set_value(5).run()
    at.number_input(key="arith.image.nth").set_value(2).run()
    at.switch_page("views/sliders.py").run()
    assert_clean(at)
    starts = live_sliders(at)["starts"]
    assert len(starts) == 11 and starts[0]["caption"].endswith("(a 5)"), starts[0]["caption"]
    assert starts[0]["caption"] not in [s["caption"] for s in starts[1:]]


def scanned_digit_png(image: np.ndarray) -> bytes:
    """A 28x28 MNIST digit as a 200x200 dark-on-light PNG on slightly grey paper, like a scan."""
    from PIL import Image

    big = Image.fromarray((image * 255).astype(np.uint8)).resize((200, 200), Image.Resampling.BILINEAR)
    paper = 235 - (np.asarray(big, dtype=np.float32) * 215 / 255)
    buffer = io.BytesIO()
    Image.fromarray(paper.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_page(files):
    at = app(max(SIZES), "views/reconstruct.py")
    at.radio(key="rec.source").set_value("uploads").run()
    # AppTest drives st.file_uploader itself (Streamlit >= 1.4x), so the upload takes the page's real path.
    at.file_uploader(key="rec.uploader").set_value(files).run()
    return at


def test_uploaded_scan_is_reconstructed_and_classified():
    from vae.checkpoint import load
    from vae.data import load_mnist
    from vae.metrics import classify

    images, labels = load_mnist("test")
    threes = images[labels == 3][:50]
    _, confidence, _ = classify(load(CATALOG.classifier.path), threes)
    clear = int(np.flatnonzero(confidence.numpy() > 0.99)[0])  # a plainly written 3, not one of MNIST's oddities
    data = scanned_digit_png(threes[clear, 0].numpy())
    at = upload_page([("my-three.png", data, "image/png")])
    assert_clean(at)
    texts = [m.value for m in at.markdown if "my-three.png" in m.value]
    assert texts, "the upload's result row is missing"
    seen = dict(re.findall(r"(original|AE|VAE) \*\*(\d)\*\*", texts[0]))
    assert seen.get("original") == "3" and seen.get("VAE") == "3", texts[0]
    assert "out of distribution" not in texts[0]
    shown = charts(at)  # the error maps and the score histogram
    assert sorted(shown) == ["error-maps", "score-histogram"]
    assert panel_titles(shown["error-maps"]) == ["AE − original", "VAE − original"]
    histogram = shown["score-histogram"]["layout"]
    (label,) = [a for a in histogram["annotations"] if a["text"] == "this image"]
    (rule,) = [s for s in histogram["shapes"] if s["x0"] == label["x"]]  # the red rule under its label
    score = re.search(r"pixels \(not a likelihood\): ([\d.]+) nats", texts[0])  # the row's score = the red rule
    assert score is not None and rule["x0"] == pytest.approx(float(score.group(1)), abs=0.06), texts[0]
    assert not at.get("vega_lite_chart")


def test_broken_upload_shows_one_error_and_the_rest_works():
    from vae.data import load_mnist

    good = scanned_digit_png(load_mnist("test")[0][0, 0].numpy())
    at = upload_page([("notes.png", b"these are my notes, not a picture", "image/png"), ("ok.png", good, "image/png")])
    assert not at.exception
    assert len(at.error) == 1 and "notes.png" in at.error[0].value, [e.value for e in at.error]
    assert any("ok.png" in m.value for m in at.markdown), "the good upload should still be reconstructed"


# --------------------------------------------------------------------------------------------------------
# Pictures: st.image given PNG bytes re-encodes a grey digit as JPEG (quality 90) and serves it from /media;
# the pages send every digit as an inline PNG instead (explorer.shared.ui.pictures).

PNG_URL = "data:image/png;base64,"


def image_urls(at) -> list[str]:
    """Every picture URL on the page, and that each one is an inline PNG (the caption says which is not)."""
    found = [(url, image.captions) for image in at.image for url in image.value]
    not_png = [(url[:40], captions) for url, captions in found if not url.startswith(PNG_URL)]
    assert not not_png, f"pictures not sent as inline PNGs (re-encoded by st.image?): {not_png}"
    return [url for url, _ in found]


@pytest.mark.parametrize(("page", "size"), [(p, s) for p in PAGES for s in SIZES])
def test_every_digit_is_an_inline_png(page, size):
    at = app(size, page)
    assert_clean(at)
    urls = image_urls(at)
    # Draw, Inside the VAE and Latent sliders paint their digits on <canvas>es; Train shows digits only for
    # finished runs (there are none here); the Lesson is text and formulas.
    pictureless = page in ("views/home.py", "views/draw.py", "views/inside.py", "views/train.py", "views/lesson.py")
    pictureless = pictureless or page == "views/sliders.py"
    pictureless = pictureless or (page == "views/latent_map.py" and size > 2)
    assert bool(urls) != pictureless, f"{page} (z={size}) shows {len(urls)} pictures"


def test_upload_preview_is_an_inline_png():
    from vae.data import load_mnist

    at = upload_page([("mine.png", scanned_digit_png(load_mnist("test")[0][0, 0].numpy()), "image/png")])
    assert_clean(at)
    image_urls(at)
    captions = {c for image in at.image for c in image.captions}
    assert {"original (grey)", "centred by mass in 28x28"} <= captions, captions  # the preparation steps


def test_interpolation_endpoints_are_the_reconstructions():
    from explorer.shared import core, latent_space
    from vae.checkpoint import load
    from vae.data import load_mnist

    images = load_mnist("test")[0][:2, 0].numpy()
    pair = CATALOG.pairs[max(SIZES)]
    for checkpoint in (pair.ae, pair.vae):
        model = load(checkpoint.path)
        for method in ("linear", "slerp"):
            path = latent_space.interpolation(model, images[0], images[1], 7, method)
            assert path.codes.shape == (7, pair.latent_dim) and path.images.shape == (7, 28, 28)
            np.testing.assert_allclose(path.codes[[0, -1]], core.embed(model, images), atol=1e-6)
            np.testing.assert_allclose(path.images[[0, -1]], core.reconstruct(model, images), atol=1e-5)


def test_interpolate_page_offers_gif_and_png():
    at = app(max(SIZES), "views/interpolate.py")
    assert_clean(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download GIF", "Download PNG strip"]


def latent_maps(at) -> dict[str, dict]:
    """The data the Latent map gives its two map components, by test id, with points, labels and indices
    decoded into numpy arrays (AppTest cannot run the components' JS)."""
    import base64

    maps = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name != "explorer.latent_map":
            continue
        data = json.loads(element.proto.json)
        data["xy"] = np.frombuffer(base64.b64decode(data["points"]), "<f4").reshape(-1, 2)
        data["ids"] = np.frombuffer(base64.b64decode(data["indices"]), "<i4")
        data["digits"] = np.array([int(c) for c in data["labels"]])
        maps[data["testid"]] = data
    return maps


@pytest.mark.parametrize("size", SIZES)
def test_latent_map_shows_the_whole_test_set(size):
    from explorer.shared import resources

    at = app(size, "views/latent_map.py")
    assert_clean(at)
    maps = latent_maps(at)
    assert sorted(maps) == ["latent-map-ae", "latent-map-vae"]
    _, labels = resources.test_set()
    for data in maps.values():
        assert data["count"] == len(data["xy"]) == len(data["ids"]) == 10_000
        assert sorted(data["ids"].tolist()) == list(range(10_000))
        assert np.array_equal(data["digits"], labels[data["ids"]])  # each point keeps its own label
        assert np.isfinite(data["xy"]).all() and data["xy"].std(axis=0).min() > 0.1
        assert len(data["colors"]) == 10
    assert maps["latent-map-ae"]["prior"] is None
    prior = maps["latent-map-vae"]["prior"]  # where z = 0 lands: near the middle of the VAE's codes
    assert abs(prior["x"] - float(np.median(maps["latent-map-vae"]["xy"][:, 0]))) < 1.0
    assert not at.get("plotly_chart")  # so the page loads without Plotly's script
    if size == 2:
        assert any("15x15" in c for i in at.image for c in i.captions), "the decoded-plane grids are missing"


def test_vae_samples_are_more_recognisable_than_the_ae_ones():
    at = app(max(SIZES), "views/sampling.py")
    assert_clean(at)
    shares = [float(m.value.rstrip("%")) for m in at.metric if m.label == "Recognisable"]
    assert len(shares) == 2, "expected the AE's and the VAE's recognisable share"
    ae_share, vae_share = shares
    assert vae_share > ae_share, (ae_share, vae_share)
    histogram = charts(at)["class-histogram"]
    assert [trace["name"] for trace in histogram["data"]] == ["Autoencoder", "VAE"]
    for trace in histogram["data"]:
        assert trace["x"] == [str(d) for d in range(10)] and sum(trace["y"]) == pytest.approx(1.0)
    assert not at.get("vega_lite_chart")


def test_chosen_latent_size_survives_a_page_switch():
    if len(SIZES) < 2:
        pytest.skip("needs two latent sizes")
    at = app(min(SIZES), "views/sliders.py")
    assert slider_count(at) == min(SIZES)
    at.switch_page("views/home.py").run()
    at.switch_page("views/sliders.py").run()
    assert slider_count(at) == min(SIZES)
    assert json.dumps(at.session_state["explorer.latent_size"]) == str(min(SIZES))


def test_broken_checkpoints_are_listed_and_the_rest_still_works(tmp_path, monkeypatch):
    for folder in ROOT.iterdir():
        if folder.is_dir() and not folder.name.startswith("."):
            (tmp_path / folder.name).symlink_to(folder.resolve())
    (tmp_path / "garbled").mkdir()
    (tmp_path / "garbled" / "config.json").write_text("{ not json")
    (tmp_path / "no-weights").mkdir()
    (tmp_path / "no-weights" / "config.json").write_text(
        (CATALOG.pairs[max(SIZES)].vae.path / "config.json").read_text()
    )
    monkeypatch.setenv("VAE_CHECKPOINTS", str(tmp_path))
    at = app(max(SIZES))
    assert_clean(at)
    listed = " ".join(m.value for m in at.markdown)
    assert "**garbled**" in listed and "not valid JSON" in listed
    assert "**no-weights**" in listed and "model.safetensors" in listed
    at.switch_page("views/sliders.py").run()
    assert_clean(at)
    assert slider_count(at) == max(SIZES)


def test_a_history_that_is_no_list_of_epochs_gets_a_warning_in_place_of_its_chart(tmp_path, monkeypatch):
    size = max(SIZES)
    vae = CATALOG.pairs[size].vae
    for folder in ROOT.iterdir():
        if folder.is_dir() and not folder.name.startswith(".") and folder.name != vae.path.name:
            (tmp_path / folder.name).symlink_to(folder.resolve())
    broken = tmp_path / vae.path.name  # the same VAE, with a hand-edited history
    broken.mkdir()
    for item in vae.path.iterdir():
        (broken / item.name).symlink_to(item.resolve())
    config = json.loads((vae.path / "config.json").read_text())
    (broken / "config.json").unlink()
    (broken / "config.json").write_text(json.dumps({**config, "history": ["epoch one", 2]}))
    monkeypatch.setenv("VAE_CHECKPOINTS", str(tmp_path))
    at = app(size)
    assert_clean(at)
    (warning,) = at.warning
    assert "cannot be drawn" in warning.value and "per-epoch dicts" in warning.value, warning.value
    assert sorted(charts(at)) == ["curves-ae"]  # the other model's curves and the rest of Home still show
    assert len(at.table) == 2


def test_the_chosen_image_follows_the_user_between_pages():
    at = app(max(SIZES), "views/arithmetic.py")
    at.selectbox(key="arith.image.digit").set_value(5).run()
    at.number_input(key="arith.image.nth").set_value(2).run()
    at.switch_page("views/interpolate.py").run()
    assert_clean(at)
    assert at.selectbox(key="interp.start.digit").value == 5
    assert at.number_input(key="interp.start.nth").value == 2
    assert at.selectbox(key="interp.end.digit").value == 7  # the end point keeps its own default


def test_the_sidebar_selector_switches_the_model_pair():
    if len(SIZES) < 2:
        pytest.skip("needs two latent sizes")
    at = app(max(SIZES), "views/sliders.py")
    at.radio(key="sidebar.latent_size").set_value(min(SIZES)).run()
    assert_clean(at)
    assert slider_count(at) == min(SIZES)
