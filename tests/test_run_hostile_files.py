"""Issue 36: hostile run-state files in $VAE_RUNS. Each used to break every page ("Something went wrong here"):
a status holding ``[1,2]``, nested 100,000 deep, with ``"created": "abc"`` or ``"state": ["running"]``; a lock
with a pid beyond any process, nested 100,000 deep, or started in the year 1e308; a run whose config.json is
nested 100,000 deep (Train's "Show run" broke on it while Home named it).

Now each damaged file is named with its reason (relative to the runs folder), everything else stays whole,
no page shows an error, and Start clears a damaged lock. The Train page and the sidebar agree on which runs
can be picked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import PAGE_SCRIPTS, assert_clean
from test_run_models_app import plant_run

from explorer.shared.state import user_run_widget_key
from explorer.train import run_records, runs

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
DEEP = "[" * 100_000 + "]" * 100_000
GOOD = "20260101-000000-vae-z2"  # a finished run whose checkpoint loads
DEEP_CONFIG = "20260101-000001-vae-z2"  # a finished run whose config.json is nested 100,000 deep
SPEC = run_records.RunSpec("vae", "mlp", 2, epochs=1, hidden=(16,))
STATUS = {"spec": SPEC.__dict__, "state": "finished", "reason": "completed all epochs", "created": 1.0}
HOSTILE_STATUSES = {
    # file name: (content, words its reason must contain)
    "list": ("[1,2]", "not a JSON object"),
    "deep": (DEEP, "nested too deeply"),
    "created-text": (json.dumps({**STATUS, "created": "abc"}), "created must be a time"),
    "state-list": (json.dumps({**STATUS, "state": ["running"]}), "state must be one of"),
}
HOSTILE_LOCKS = {
    "huge-pid": ('{"pid": 99999999999, "runs": [], "started": 0}', "pid must be a process id"),
    "deep": (DEEP, "larger than 65,536 bytes"),  # the 100,000 deep: 200 KB, more than a lock holds
    "deep-20000": ("[" * 20_000 + "]" * 20_000, "nested too deeply"),
    "started-1e308": ('{"pid": 1, "runs": [], "started": 1e308, "claim": true}', "started must be a time"),
}


def plant(root: Path, lock: str) -> dict[str, str]:
    """The hostile files of HOSTILE_STATUSES, one hostile lock, a good run and a run with a deep config.json;
    returns the reason words each damaged file must be named with, by its path in the runs folder."""
    for name in (GOOD, DEEP_CONFIG):
        plant_run(root, name, "vae", 2)
        run_records.write_json(run_records.status_path(root, name), {**STATUS, "created": 2.0 if name == GOOD else 3.0})
    (root / DEEP_CONFIG / "config.json").write_text(DEEP)
    for name, (content, _) in HOSTILE_STATUSES.items():
        (root / ".status" / f"{name}.json").write_text(content)
    (root / runs.LOCK).write_text(HOSTILE_LOCKS[lock][0])
    expected = {f".status/{name}.json": words for name, (_, words) in HOSTILE_STATUSES.items()}
    return {**expected, runs.LOCK: HOSTILE_LOCKS[lock][1]}


@pytest.mark.parametrize("lock", list(HOSTILE_LOCKS))
def test_each_damaged_file_is_named_and_the_rest_stays_whole(tmp_path, lock):
    expected = plant(tmp_path, lock)
    view = runs.scan(tmp_path)
    named = {d.path: d.reason for d in view.damaged}
    assert sorted(named) == sorted(expected)
    for path, words in expected.items():
        assert words in named[path], (path, named[path])
        assert str(tmp_path) not in named[path]
    assert view.job is None and [s.name for s in view.statuses] == [DEEP_CONFIG, GOOD]
    assert [p.name for p in view.folders] == [GOOD, DEEP_CONFIG]  # usable folders; loading them is the cache's
    assert runs.stop(tmp_path) is False  # pid 1 or a pid beyond any process: never signalled

    (name,) = runs.start([SPEC], tmp_path, evaluate=False, trainer=("-c", "pass"))  # Start clears a damaged lock
    assert runs.wait(tmp_path, 60)
    assert run_records.read_status(tmp_path, name).state == "finished"
    after = runs.scan(tmp_path)
    assert sorted(d.path for d in after.damaged) == sorted(p for p in expected if p != runs.LOCK)  # left as they are
    assert (tmp_path / runs.LOCK).read_text() == ""


def session(monkeypatch, root: Path, size: int):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(run_records.RUNS_ENV, str(root))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["explorer.latent_size"] = size
    return at.run()


def _shipped_sizes() -> list[int]:
    from explorer.shared.model_catalog import build_catalog
    from vae.checkpoint import scan_checkpoints

    root = Path(os.environ.get("VAE_CHECKPOINTS") or REPO / "checkpoints")
    catalog = build_catalog(root, scan_checkpoints(root))
    return sorted(d for d, pair in catalog.pairs.items() if pair.ae is not None and pair.vae is not None)


SIZES = _shipped_sizes()
needs_shipped = pytest.mark.skipif(not SIZES, reason="no shipped AE/VAE pair to open the pages with")


def assert_named_on_home(at, expected: dict[str, str], root: Path) -> None:
    at.switch_page("views/home.py").run()
    assert_clean(at)
    (expander,) = [e for e in at.expander if "could not be loaded" in e.label]
    listed = {m.value.split("**")[1]: m.value for m in expander.markdown}
    for path, words in {**expected, DEEP_CONFIG: "nested too deeply"}.items():
        assert words in listed.get(path, ""), (path, listed.get(path))
    assert not [line for line in listed.values() if str(root) in line], "a reason names the server's path"


@needs_shipped
@pytest.mark.parametrize("lock", ["huge-pid", "deep", "started-1e308"])  # the three
def test_every_page_at_every_size_runs_beside_hostile_files(tmp_path, monkeypatch, lock):
    expected = plant(tmp_path, lock)
    for size in SIZES:
        at = session(monkeypatch, tmp_path, size)
        for page in PAGE_SCRIPTS:
            at.switch_page(page).run()
            assert_clean(at)
            assert at.title, f"{page} (z={size}) shows no title"
            assert any("could not be loaded; see Home" in c.value for c in at.sidebar.caption), page
        assert_named_on_home(at, expected, tmp_path)


@needs_shipped
def test_train_page_names_damage_and_agrees_with_the_sidebar(tmp_path, monkeypatch):
    expected = plant(tmp_path, "deep")
    at = session(monkeypatch, tmp_path, 2 if 2 in SIZES else min(SIZES))
    at.switch_page("views/train.py").run()
    assert_clean(at)
    (note,) = [w.value for w in at.warning if "could not be read" in w.value]
    for path, words in expected.items():
        assert run_records.relative(path) in note.replace("\\", "") and words in note, (path, note)
    assert str(tmp_path) not in note

    show = next(s for s in at.selectbox if s.label == "Show run")
    assert [o.split(" · ")[0] for o in show.options] == [DEEP_CONFIG, GOOD] and show.value == DEEP_CONFIG
    damage = [w.value for w in at.warning if "checkpoint cannot be used" in w.value]
    assert damage and f"{DEEP_CONFIG}/config.json: not valid JSON (nested too deeply)" in damage[0], damage
    assert not [s.value for s in at.success if "Pick it in the sidebar" in s.value]  # not offered: not claimed
    offered = at.selectbox(key=user_run_widget_key(2)).options
    assert f"user run: {DEEP_CONFIG}" not in offered and f"user run: {GOOD}" in offered

    show.select(GOOD).run()
    assert_clean(at)
    assert [s.value for s in at.success if "Pick it in the sidebar as a user run" in s.value]
    shown = [c.value for c in at.caption] + [i.value for i in at.info] + [w.value for w in at.warning]
    assert not [text for text in shown if str(tmp_path) in text], "the page shows the server's runs path"
    (timeline,) = [i.value for i in at.info if "no training timeline" in i.value]  # plant_run records none
    assert f"({GOOD}/timeline.safetensors: missing" in timeline, timeline


def test_the_zip_box_states_and_applies_one_limit(tmp_path, monkeypatch):
    # Issue 36: the box refused a 10,380,867-byte zip (Streamlit's browser check counts 10 MB as 10,000,000
    # bytes) while the page spoke of 10 MB and the app's own checks count 10 * 2**20. The page now states the
    # limit that applies, in bytes, and refuses what a 2**20-counting browser lets through with that number.
    import sys

    from explorer.train import own_panels

    toml = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    megabytes = toml.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert own_panels.ZIP_LIMIT_BYTES == megabytes * 10**6 == 10_000_000
    at = session(monkeypatch, tmp_path, max(SIZES) if SIZES else 2)
    at.switch_page("views/train.py").run()
    box = at.file_uploader(key="own.zip")
    assert "at most 10,000,000 bytes (10 MB, the upload box's limit)" in box.help
    if Path.cwd() == REPO:  # the config AppTest reads is the working directory's
        assert box.proto.max_upload_size_mb == megabytes
    box.set_value([("big.zip", bytes(10_380_867), "application/zip")]).run()
    assert not at.exception
    (refusal,) = [e.value for e in at.error]
    assert refusal == (
        "The zip is 10,380,867 bytes; the limit for a zip is 10,000,000 bytes (10 MB, the upload box's limit)."
    )


@needs_shipped
def test_a_run_whose_worker_died_evaluating_is_not_shown_evaluating(tmp_path, monkeypatch):
    # Issue 36, case 3: a worker killed during evaluation left "Evaluating on the test set in the background..."
    # and a "Stop evaluation" button forever. No process holds the lock here; its description names a dead pid.
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    plant_run(tmp_path, GOOD, "vae", 2)
    evaluating = {**STATUS, "evaluation": "running", "created": 2.0}
    run_records.write_json(run_records.status_path(tmp_path, GOOD), evaluating)
    (tmp_path / runs.LOCK).write_text(json.dumps({"pid": dead.pid, "runs": [GOOD], "started": 2.0}))
    at = session(monkeypatch, tmp_path, 2 if 2 in SIZES else min(SIZES))
    at.switch_page("views/train.py").run()
    assert_clean(at)
    assert not [b for b in at.button if b.label in ("Stop evaluation", "Stop training")]
    assert not [c.value for c in at.caption if "Evaluating on the test set" in c.value]
    assert [w.value for w in at.warning if w.value.startswith("Evaluation failed: the evaluation ended without")]
    assert not at.info or not [i.value for i in at.info if "in progress" in i.value]  # no job is running
    assert [s.value for s in at.success if "Pick it in the sidebar as a user run" in s.value]
    written = json.loads((tmp_path / ".status" / f"{GOOD}.json").read_text())
    assert written == json.loads(json.dumps(evaluating))  # the page wrote nothing
