"""Bad input reaches the app and nothing is lost or crashes: every upload of the corpus, damaged checkpoints.

Uploads go through the Reconstruct page's own ``st.file_uploader``: AppTest in Streamlit 1.67 drives the
uploader (``at.file_uploader(...).set_value``), so each file takes the same path as in a browser, except the
browser-side size check, which the page repeats (``prepare_image`` refuses anything over MAX_UPLOAD_MB).
The corpus is the one tests/test_images.py builds; here it is fed through the app instead of the library.

Damaged checkpoints are planted beside copies of the real ones in a temporary folder that $VAE_CHECKPOINTS
points at; the app must list each with its reason and keep serving every intact model.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the corpus lives beside this file

from conftest import assert_clean, charts, live_sliders  # noqa: E402
from test_images import CORPUS, Case, digit_image, encode  # noqa: E402

from explorer.shared import core, model_catalog, state  # noqa: E402
from explorer.shared.state import images  # noqa: E402
from vae.checkpoint import CONFIG_FILE, WEIGHTS_FILE, load, scan_checkpoints  # noqa: E402
from vae.image_files import ImageError  # noqa: E402
from vae.images import MAX_UPLOAD_MB, prepare_image  # noqa: E402

APP = str(REPO / "app.py")
ROOT = Path(os.environ.get("VAE_CHECKPOINTS") or REPO / "checkpoints")
TIMEOUT = 120  # the first run loads the models and scores the test set on a shared two-core machine
UPLOADER = "rec.uploader"


def _catalog(root: Path) -> model_catalog.Catalog:
    return model_catalog.build_catalog(root, scan_checkpoints(root))


CATALOG = _catalog(ROOT)
SIZES = sorted(d for d, pair in CATALOG.pairs.items() if pair.ae is not None and pair.vae is not None)
pytestmark = pytest.mark.skipif(
    not SIZES or CATALOG.classifier is None,
    reason=f"no AE/VAE pair and classifier under {ROOT} (train them, or set VAE_CHECKPOINTS)",
)


def new_session(root: Path, monkeypatch: pytest.MonkeyPatch, size: int | None = None, page: str | None = None):
    """A fresh AppTest session reading checkpoints from ``root``, on ``page`` with latent size ``size``."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("VAE_CHECKPOINTS", str(root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if size is not None:
        at.radio(key="sidebar.latent_size").set_value(size).run()
    if page is not None:
        at.switch_page(page).run()
    return at


# ---------------------------------------------------------------------------------------------------------
# Part 1: every corpus upload through the Reconstruct page


@pytest.fixture(scope="module")
def models():
    """(AE, VAE, classifier) as the page uses them, loaded independently of the app's caches."""
    pair = CATALOG.pairs[max(SIZES)]
    return load(pair.ae.path), load(pair.vae.path), load(CATALOG.classifier.path)


@pytest.fixture(scope="module")
def uploads_page():
    """One session on Reconstruct > My uploads, shared by the corpus cases like one long visit by one person."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        at = new_session(ROOT, monkeypatch, max(SIZES), "views/reconstruct.py")
        at.radio(key="rec.source").set_value("uploads").run()
        assert_clean(at)
        yield at


def rows_by_name(at) -> dict[str, str]:
    """The page's result rows, in order: upload name -> the row's text (classifier verdicts, ELBO)."""
    names = [prepared.name for prepared in at.session_state["explorer.uploads"].values()]
    texts = [m.value for m in at.markdown if m.value.startswith("**") and "classifier:" in m.value]
    assert len(texts) == len(names), (names, texts)
    for name, text in zip(names, texts, strict=True):
        assert text.startswith(f"**{name}**"), (name, text)
    return dict(zip(names, texts, strict=True))


def assert_reconstructed(at, name: str, data: bytes, models) -> None:
    """The upload has its row, and the row reports what the models make of the prepared digit.

    The pictures are PNGs drawn from floats, so rather than decode them the reconstructions are checked through
    what the row prints about them: the classifier's verdict on the original and on both reconstructions,
    and the VAE's negative ELBO of the original, all recomputed here.
    """
    stored = {p.name: p for p in at.session_state["explorer.uploads"].values()}
    assert name in stored, f"{name} was not kept"
    assert np.array_equal(stored[name].image, prepare_image(data, name).image)
    # The page runs all kept uploads as one batch; so does this check, so the floats match bit for bit.
    batch = np.stack([p.image for p in stored.values()])
    index = list(stored).index(name)
    ae, vae, classifier = models
    expected = {
        "original": core.guesses(classifier, batch)[index],
        "AE": core.guesses(classifier, core.reconstruct(ae, batch))[index],
        "VAE": core.guesses(classifier, core.reconstruct(vae, batch))[index],
    }
    text = rows_by_name(at)[name]
    for title, guess in expected.items():
        assert f"{title} **{guess.label}** ({guess.confidence:.0%})" in text, (title, guess, text)
    score = core.neg_elbo_scores(vae, batch, seed=0)[index]
    assert f"{core.score_name(vae.checkpoint)}: {score:.1f} nats" in text, (score, text)


@functools.cache
def mnist_test_images() -> np.ndarray:
    from vae.data import load_mnist

    return load_mnist("test")[0][:, 0].numpy()


def mnist_scan(index: int) -> bytes:
    """Test digit ``index`` as a 200x200 dark-on-light scan: a valid upload, different every time."""
    from PIL import Image

    image = mnist_test_images()[index]
    big = Image.fromarray((image * 255).astype(np.uint8)).resize((200, 200), Image.Resampling.BILINEAR)
    paper = 235 - np.asarray(big, dtype=np.float32) * 215 / 255
    return encode(Image.fromarray(paper.astype(np.uint8)), "PNG")


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_every_upload_gives_a_reconstruction_or_one_error(uploads_page, models, case: Case):
    at = uploads_page
    # Start from the last case's follow-up alone, so each rerun draws two rows rather than eight: the same
    # code path, a third of the time on two busy cores (test_session_keeps_a_bounded_number_of_uploads and
    # test_widgets_still_respond_after_the_corpus cover a full session).
    kept = at.session_state["explorer.uploads"]
    while len(kept) > 1:
        kept.popitem(last=False)
    data = case.make()
    at.file_uploader(key=UPLOADER).set_value((case.name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    try:
        prepare_image(data, case.name)
        refusal = None
    except ImageError as error:
        refusal = str(error)

    if case.expect == "error":
        assert refusal is not None
        assert [e.value for e in at.error] == [refusal], "expected exactly the one error naming the file"
        assert refusal.startswith(f"{case.name}: ")
        assert case.name not in rows_by_name(at), "a refused file must not get a result row"
    else:
        assert_clean(at)
        assert_reconstructed(at, case.name, data, models)
        blank_notes = [w.value for w in at.warning if w.value.startswith(f"{case.name}: no ink found")]
        assert len(blank_notes) == (1 if case.expect == "blank" else 0), [w.value for w in at.warning]

    # Still usable: the next valid upload is reconstructed as usual.
    follow_up = f"after-{case.id}.png"
    scan = mnist_scan(CORPUS.index(case))
    at.file_uploader(key=UPLOADER).set_value((follow_up, scan, "image/png")).run()
    assert_clean(at)
    assert_reconstructed(at, follow_up, scan, models)


def test_widgets_still_respond_after_the_corpus(uploads_page, models):
    """After the whole corpus went through one session, its other widgets work and its uploads survive."""
    at = uploads_page
    if len(at.session_state["explorer.uploads"]) < 2:  # run on its own, without the corpus before it
        for index in range(2):
            at.file_uploader(key=UPLOADER).set_value((f"own-{index}.png", mnist_scan(50 + index), "image/png")).run()
    kept = [p.name for p in at.session_state["explorer.uploads"].values()]
    names = list(rows_by_name(at))
    for index in (len(names) - 1, 0):
        at.selectbox(key="rec.detail").set_value(index).run()
        assert_clean(at)
        assert at.selectbox(key="rec.detail").value == index
        shown = charts(at)
        assert sorted(shown) == ["error-maps", "score-histogram"], "the error maps and the score histogram are missing"
    at.radio(key="rec.source").set_value("tests").run()
    assert_clean(at)
    at.radio(key="rec.source").set_value("uploads").run()
    assert_clean(at)
    assert list(rows_by_name(at)) == kept
    if len(SIZES) > 1:
        at.radio(key="sidebar.latent_size").set_value(min(SIZES)).run()
        assert_clean(at)
        assert list(rows_by_name(at)) == kept, "uploads belong to the session, not to a model pair"
        at.radio(key="sidebar.latent_size").set_value(max(SIZES)).run()
        assert_clean(at)


def test_session_keeps_a_bounded_number_of_uploads(uploads_page):
    from explorer.shared.state import MAX_UPLOADS

    at = uploads_page
    for index in range(MAX_UPLOADS + 3):
        at.file_uploader(key=UPLOADER).set_value((f"bulk-{index}.png", mnist_scan(100 + index), "image/png")).run()
    assert_clean(at)
    kept = [p.name for p in at.session_state["explorer.uploads"].values()]
    assert kept == [f"bulk-{i}.png" for i in range(3, MAX_UPLOADS + 3)]


def test_more_files_than_the_session_keeps_are_prepared_once(uploads_page, monkeypatch):
    """Ten files in the uploader, eight kept: later reruns must not prepare the dropped ones again."""

    prepared: list[str] = []

    def counting(data: bytes, name: str, **options):
        prepared.append(name)
        return prepare_image(data, name, **options)

    monkeypatch.setattr(images, "prepare_image", counting)  # where store_uploads looks it up
    at = uploads_page
    files = [(f"many-{i}.png", mnist_scan(200 + i), "image/png") for i in range(state.MAX_UPLOADS + 2)]
    at.file_uploader(key=UPLOADER).set_value(files).run()
    assert_clean(at)
    assert sorted(prepared) == sorted(name for name, _, _ in files)
    kept = [p.name for p in at.session_state["explorer.uploads"].values()]
    assert kept == [name for name, _, _ in files[-state.MAX_UPLOADS :]]
    prepared.clear()
    for index in (0, state.MAX_UPLOADS - 1, 0):  # widget changes rerun the page with all ten files present
        at.selectbox(key="rec.detail").set_value(index).run()
        assert_clean(at)
    assert prepared == [], "files dropped to make room were prepared again on a rerun"
    assert [p.name for p in at.session_state["explorer.uploads"].values()] == kept


def stated_limits(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"up to (\d+) MB", text)]


def test_stated_upload_limit_matches_the_server_and_the_library(uploads_page):
    toml = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    config = toml.loads((REPO / ".streamlit" / "config.toml").read_text())
    server_limit = config["server"]["maxUploadSize"]
    assert server_limit == MAX_UPLOAD_MB
    at = uploads_page
    stated = stated_limits(at.file_uploader(key=UPLOADER).help)
    stated += [n for c in at.caption for n in stated_limits(c.value)]
    assert stated, "the page should state the upload limit next to the uploader"
    assert set(stated) == {server_limit}
    if Path.cwd() == REPO:  # Streamlit reads .streamlit/config.toml from the working directory, as `streamlit run` does
        # The limit the browser widget enforces (and prints as "Limit 10MB per file") comes from that config.
        assert at.file_uploader(key=UPLOADER).proto.max_upload_size_mb == server_limit
    # One byte over the limit is refused by the page too (the browser's own check is not the only one).
    over = encode(digit_image(), "PNG") + bytes(MAX_UPLOAD_MB * 2**20)
    at.file_uploader(key=UPLOADER).set_value(("just-over.png", over, "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    (refusal,) = [e.value for e in at.error]
    assert refusal.startswith("just-over.png: ") and f"the upload limit is {MAX_UPLOAD_MB} MB" in refusal


# ---------------------------------------------------------------------------------------------------------
# Part 2: damaged checkpoint folders beside intact ones


class Trap:
    """Unpickling this creates a folder: proof that a loader ran pickled code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def _copy_folder(source: Path, target: Path) -> Path:
    # The --resume state is not needed by the app and is most of the bytes.
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("training_state.safetensors", ".*"))
    return target


def _config(folder: Path) -> dict:
    return json.loads((folder / CONFIG_FILE).read_text())


DAMAGE = {
    # folder name: words its reason must contain
    "broken-no-weights": ("model.safetensors", "missing"),
    "broken-truncated": ("model.safetensors", "truncated or corrupt"),
    "broken-mismatch": ("does not match config.json", "wrong shapes"),
    "broken-version": ("config.json", "unknown format version 99"),
    "broken-json": ("config.json", "not valid JSON"),
    "broken-pickle": ("model.safetensors", "truncated or corrupt"),
}


def plant_damage(root: Path, source: Path, marker: Path) -> None:
    """The six damaged folders of DAMAGE, each made from a copy of the intact checkpoint ``source``."""
    folder = _copy_folder(source, root / "broken-no-weights")
    (folder / WEIGHTS_FILE).unlink()

    folder = _copy_folder(source, root / "broken-truncated")
    weights = (folder / WEIGHTS_FILE).read_bytes()
    (folder / WEIGHTS_FILE).write_bytes(weights[: len(weights) // 2])

    folder = _copy_folder(source, root / "broken-mismatch")
    config = _config(folder)
    config["model"]["latent_dim"] += 1  # the weights are for the original size
    (folder / CONFIG_FILE).write_text(json.dumps(config))

    folder = _copy_folder(source, root / "broken-version")
    config = _config(folder)
    config["format_version"] = 99
    (folder / CONFIG_FILE).write_text(json.dumps(config))

    folder = _copy_folder(source, root / "broken-json")
    (folder / CONFIG_FILE).write_text('{"format_version": 1, "model": {"kind": "vae",')

    # What torch.save writes (a zip of pickles), named like safetensors, with a payload that runs on unpickling.
    folder = _copy_folder(source, root / "broken-pickle")
    torch.save({"weight": torch.zeros(3), "payload": Trap(marker)}, folder / WEIGHTS_FILE)


@pytest.fixture(scope="module")
def damaged_root(tmp_path_factory) -> tuple[Path, Path]:
    """(root, marker): copies of every intact checkpoint plus the damaged folders of DAMAGE."""
    root = tmp_path_factory.mktemp("checkpoints")
    marker = tmp_path_factory.mktemp("trap") / "unpickled"
    for folder in sorted(ROOT.iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):
            _copy_folder(folder, root / folder.name)
    plant_damage(root, CATALOG.pairs[min(SIZES)].vae.path, marker)
    return root, marker


def test_damaged_checkpoints_are_listed_with_their_reasons(damaged_root, monkeypatch):
    root, marker = damaged_root
    reasons = {path.name: str(entry) for path, entry in scan_checkpoints(root) if isinstance(entry, Exception)}
    assert sorted(reasons) == sorted(DAMAGE)

    at = new_session(root, monkeypatch)
    assert_clean(at)
    (expander,) = [e for e in at.expander if "could not be loaded" in e.label]
    assert expander.label.startswith(f"{len(DAMAGE)} checkpoint(s)")
    listed = [m.value for m in expander.markdown]
    for name, words in DAMAGE.items():
        (line,) = [line for line in listed if line.startswith(f"- **{name}**: ")]
        assert line == f"- **{name}**: {reasons[name]}"
        for word in words:
            assert word in line, line
    assert any(f"{len(DAMAGE)} checkpoint(s) could not be loaded" in c.value for c in at.sidebar.caption)
    assert not marker.exists(), "a pickle planted as model.safetensors was unpickled"


PAGES = ["views/home.py", "views/sliders.py", "views/reconstruct.py", "views/interpolate.py"]
PAGES += ["views/latent_map.py", "views/sampling.py"]


def test_intact_checkpoints_stay_usable_beside_damaged_ones(damaged_root, monkeypatch):
    """Every page at the largest latent size, and for each size the pages that run all three models."""
    root, marker = damaged_root
    for size in SIZES:
        for page in PAGES if size == max(SIZES) else ["views/reconstruct.py"]:
            at = new_session(root, monkeypatch, size, page)
            assert_clean(at)
            assert at.title, f"{page} (z={size}) shows no title"
        # The sliders of both models still load and move (their pictures are painted in the browser).
        at = new_session(root, monkeypatch, size, "views/sliders.py")
        for kind in ("vae", "ae"):
            at.radio(key="sliders.kind").set_value(kind).run()
            before = live_sliders(at)
            assert len(before["sliders"]) == size and len(before["starts"]) == 10  # a test digit per label
            code = list(before["code"])
            code[before["sliders"][0]["dim"]] = before["sliders"][0]["hi"]  # a shared link moves the sliders
            at.query_params["code"] = ",".join(str(v) for v in code)
            at.run()
            assert_clean(at)
            after = live_sliders(at)
            assert after["code"] != before["code"], f"a link did not move the {kind} z={size} sliders"
    assert not marker.exists(), "a pickle planted as model.safetensors was unpickled"


def test_a_damaged_shipped_model_leaves_its_partner_usable(tmp_path, monkeypatch):
    """vae-z{n} itself broken: the AE of that size still works, the VAE is reported, nothing crashes."""
    size = min(SIZES)
    pair = CATALOG.pairs[size]
    for checkpoint in (pair.ae, pair.vae, CATALOG.classifier):
        _copy_folder(checkpoint.path, tmp_path / checkpoint.name)
    weights = tmp_path / pair.vae.name / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:100])

    at = new_session(tmp_path, monkeypatch, size)
    assert_clean(at)
    assert any(m.value.startswith(f"- **{pair.vae.name}**: ") for m in at.markdown)
    at.switch_page("views/sliders.py").run()
    assert_clean(at)
    assert at.radio(key="sliders.kind").options == ["Autoencoder"]
    assert len(live_sliders(at)["sliders"]) == size
    at.switch_page("views/reconstruct.py").run()
    assert_clean(at)
    assert [i for i in at.image if i.captions == ["AE"]], "the AE should still reconstruct"
    assert not [i for i in at.image if i.captions == ["VAE"]]
    at.switch_page("views/sampling.py").run()
    assert not at.exception, [e.value for e in at.exception]
