"""Your images, in the app: the shapes zip (600 pictures in three folders, one of them named with markup)
uploaded on the Train page, previewed, trained as a pair (AE, VAE and a classifier, 2 epochs, tiny widths) in
the background, picked in the sidebar, and then every page opened on that pair with AppTest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _shapes import shapes_zip
from conftest import PAGE_SCRIPTS

from explorer.shared.state import user_run_widget_key
from explorer.train import run_records, runs
from vae import prepared_sets

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
FOLDERS = ("<b>squares", "circles", "triangles")  # sorted, as labels are
PAGES = PAGE_SCRIPTS


def problems(at) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


def _session(monkeypatch, root: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(run_records.RUNS_ENV, str(root))
    return AppTest.from_file(APP, default_timeout=180)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The Train page's whole path once: upload, preview, "Train a pair", wait for the job."""
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("runs")
    at = _session(monkeypatch, root)
    at.switch_page("views/train.py").run()
    data = shapes_zip(folders=FOLDERS)
    at.file_uploader(key="own.zip").set_value([("my shapes.zip", data, "application/zip")]).run()
    preview = [t.value for t in at.text]
    at.selectbox(key="own.hidden").set_value("16")
    at.number_input(key="own.epochs").set_value(2)
    (submit,) = [b for b in at.button if b.label == "Train a pair"]
    submit.click().run()
    assert runs.wait(root, 300), "the pair did not finish training"
    statuses = runs.statuses(root)
    yield {"root": root, "preview": preview, "statuses": statuses, "first": at, "monkeypatch": monkeypatch}
    monkeypatch.undo()


def test_the_page_previews_and_trains_a_pair(trained):
    preview = trained["preview"]
    assert any(t == "my shapes: 600 images used; none skipped" for t in preview), preview
    assert "Labels: <b>squares (200), circles (200), triangles (200)" in preview, preview
    states = {s.spec.kind: (s.state, s.evaluation) for s in trained["statuses"]}
    assert states == {k: ("finished", "done") for k in ("classifier", "ae", "vae")}, states
    (dataset,) = (trained["root"] / "datasets").iterdir()
    assert prepared_sets.read_meta(dataset).label_names == FOLDERS
    assert all(s.spec.dataset == str(dataset) for s in trained["statuses"])
    assert not problems(trained["first"])


def test_page_and_cli_give_equal_weights(trained, tmp_path):
    """The page's VAE is exactly what the CLI trains from the same prepared set with the same settings."""
    import os
    import subprocess
    import sys

    import torch
    from safetensors.torch import load_file

    (vae_run,) = [s for s in trained["statuses"] if s.spec.kind == "vae"]
    out = tmp_path / "cli-vae"
    command = [sys.executable, "-m", "vae.train", *vae_run.spec.argv(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
    a = load_file(trained["root"] / vae_run.name / "model.safetensors")
    b = load_file(out / "model.safetensors")
    assert sorted(a) == sorted(b) and all(torch.equal(a[k], b[k]) for k in a)


def _picked(trained):
    at = _session(trained["monkeypatch"], trained["root"])
    at.session_state["explorer.latent_size"] = 2
    at.run()
    picker = at.selectbox(key=user_run_widget_key(2))
    (option,) = [o for o in picker.options if o.startswith("your images")]
    assert option == "your images: my shapes"
    (dataset,) = (trained["root"] / "datasets").iterdir()
    picker.set_value(f"set:{dataset.name}:2").run()  # the option shown as "your images: my shapes"
    assert at.session_state[user_run_widget_key(2)] == f"set:{dataset.name}:2"
    return at


def test_the_pair_is_picked_under_its_name_and_every_page_works(trained):
    at = _picked(trained)
    assert "Your images: my shapes" in [t.value for t in at.sidebar.text]
    for page in PAGES:
        at.switch_page(page).run()
        assert not problems(at), (page, problems(at))
        assert at.title, page


def test_the_map_legend_names_the_folders_as_text(trained):
    at = _picked(trained)
    at.switch_page("views/latent_map.py").run()
    maps = [
        json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == "explorer.latent_map"
    ]
    assert {m["testid"] for m in maps} == {"latent-map-ae", "latent-map-vae"}
    for data in maps:
        assert data["names"] == list(FOLDERS) and data["legend_title"] == "folder"
        assert data["count"] == 60  # the held-out split, not MNIST's 10,000
        assert set(data["labels"]) <= {"0", "1", "2"}
    (pad,) = [
        json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == "explorer.latent_pad"
    ]
    assert pad["names"] == list(FOLDERS)  # the pad's legend too


def test_home_names_the_pairs_own_classifier(trained):
    at = _picked(trained)
    at.switch_page("views/home.py").run()
    captions = [c.value for c in at.caption if "lassifier" in c.value]
    assert len(captions) == 1 and captions[0].startswith("Classifier of your images: `"), captions


def test_reconstruct_and_the_classifier_use_the_pair(trained):
    at = _picked(trained)
    at.switch_page("views/reconstruct.py").run()
    labels = at.multiselect(key="rec.digits")
    assert labels.options == list(FOLDERS) and labels.value == [0]
    rows = [m.value for m in at.markdown if m.value.startswith("**test")]
    assert rows and all("classifier: original **" in r for r in rows), rows
    named = [r for r in rows if any(n in r for n in ("circles", "triangles", "\\<b\\>squares"))]
    assert named, rows
    at.switch_page("views/sampling.py").run()
    label = at.selectbox(key="sample.digit")
    assert label.options == list(FOLDERS)


def test_the_held_out_split_is_the_test_set(trained):
    """Pages see the prepared set's held-out split: 60 images of all three folders, apart from training."""
    from vae.data import load_dataset

    (dataset,) = (trained["root"] / "datasets").iterdir()
    sizes = {split: len(load_dataset(str(dataset), split)[0]) for split in ("train", "valid", "test")}
    assert sizes == {"train": 480, "valid": 60, "test": 60}
    _, labels = load_dataset(str(dataset), "test")
    assert sorted(set(labels.tolist())) == [0, 1, 2]


def _copied(trained, tmp_path: Path, keep_images: bool) -> Path:
    """The runs copied to a new runs folder (another machine), the original prepared set deleted; with
    ``keep_images`` the same images were prepared there too (same folder name: it carries the content's hash),
    but their dataset.json names no labels, so any folder name a page shows came from the checkpoints."""
    import shutil

    (dataset,) = (trained["root"] / "datasets").iterdir()
    root = tmp_path / "copied-runs"
    root.mkdir()
    for status in trained["statuses"]:
        shutil.copytree(trained["root"] / status.name, root / status.name)
    if keep_images:
        copy = prepared_sets.datasets_root(root) / dataset.name
        shutil.copytree(dataset, copy)
        meta = json.loads((copy / prepared_sets.META_FILE).read_text())
        (copy / prepared_sets.META_FILE).write_text(json.dumps({**meta, "label_names": [], "title": "renamed"}))
    hidden = dataset.with_name(f".{dataset.name}.away")
    dataset.rename(hidden)  # the recorded path is gone
    return root, hidden, dataset


def test_a_copied_pair_shows_its_folder_names_from_its_checkpoints(trained, tmp_path):
    root, hidden, dataset = _copied(trained, tmp_path, keep_images=True)
    try:
        at = _session(trained["monkeypatch"], root)
        at.session_state["explorer.latent_size"] = 2
        at.run()
        picker = at.selectbox(key=user_run_widget_key(2))
        assert "your images: my shapes" in picker.options  # the title the checkpoints recorded
        picker.set_value(f"set:{dataset.name}:2").run()
        at.switch_page("views/latent_map.py").run()
        maps = [
            json.loads(e.proto.json)
            for e in at.get("bidi_component")
            if e.proto.component_name == "explorer.latent_map"
        ]
        assert maps and all(m["names"] == list(FOLDERS) for m in maps)
        at.switch_page("views/reconstruct.py").run()
        assert at.multiselect(key="rec.digits").options == list(FOLDERS)
        at.switch_page("views/arithmetic.py").run()
        assert at.selectbox(key="arith.from").options == list(FOLDERS)
        assert not problems(at)
    finally:
        hidden.rename(dataset)


def test_a_copied_pair_without_its_images_is_named_not_offered(trained, tmp_path):
    root, hidden, dataset = _copied(trained, tmp_path, keep_images=False)
    try:
        at = _session(trained["monkeypatch"], root)
        at.session_state["explorer.latent_size"] = 2
        at.run()
        assert not problems(at)
        reasons = [c.value for c in at.sidebar.caption if "could not be loaded" in c.value]
        assert reasons, [c.value for c in at.sidebar.caption]
        at.switch_page("views/home.py").run()
        shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
        assert f"its images ({dataset.name}) are not on this server" in shown
        assert str(tmp_path) not in shown  # named by folder, not by the server's path
    finally:
        hidden.rename(dataset)
