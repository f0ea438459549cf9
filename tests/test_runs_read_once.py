"""Opening a page reads the runs folder once and changes nothing in it, even with a dead job's lock left behind.

Every page is rerun through AppTest with the runs folder instrumented: each listing of the runs root (os.scandir,
os.listdir, Path.iterdir, Path.glob on the root itself) is counted, and anything that would act on a job (a
signal, a deletion, a rename, a write under the root) fails the test. A stale lock and a status that still says
"running" are planted first, as a worker killed with SIGKILL leaves them. Start then clears them and works.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from pathlib import Path

import pytest
from conftest import PAGE_SCRIPTS

from explorer.train import run_records, runs

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
DEAD_PID = 2**22 + 12345  # above the kernel's default pid_max (4194304): no process has it


def plant_dead_job(root: Path) -> str:
    """What a SIGKILLed worker leaves: a lock naming it and its run's status still "running", evaluation too."""
    name = "20260101-000000-vae-z2-b1"
    spec = run_records.RunSpec("vae", latent_dim=2, epochs=1)
    root.mkdir(parents=True, exist_ok=True)
    run_records.write_json(
        run_records.status_path(root, name),
        {"name": name, "spec": spec.__dict__, "state": "running", "created": 1.0, "evaluation": "running"},
    )
    (root / runs.LOCK).write_text(json.dumps({"pid": DEAD_PID, "runs": [name], "started": time.time() - 60}))
    return name


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under the root with its size and modification time."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


class FolderWatch:
    """Counts listings of the runs root and fails on anything that would act on it."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.listings, self.actions = root.resolve(), 0, []
        real = {
            "scandir": os.scandir,
            "listdir": os.listdir,
            "iterdir": pathlib.Path.iterdir,
            "glob": pathlib.Path.glob,
        }

        self._inner = False  # Path.iterdir lists with os.listdir (lazily): one listing, counted once

        def counted(name):
            def wrapper(*args, **kwargs):
                if self._inner:
                    return real[name](*args, **kwargs)
                target = args[0] if args else kwargs.get("path", ".")
                if self._is_root(target):
                    self.listings += 1
                self._inner = True
                try:
                    found = real[name](*args, **kwargs)
                    return iter(list(found)) if name in ("iterdir", "glob") else found
                finally:
                    self._inner = False

            return wrapper

        monkeypatch.setattr(os, "scandir", counted("scandir"))
        monkeypatch.setattr(os, "listdir", counted("listdir"))
        monkeypatch.setattr(pathlib.Path, "iterdir", counted("iterdir"))
        monkeypatch.setattr(pathlib.Path, "glob", counted("glob"))
        for module, name in ((os, "kill"), (os, "killpg"), (os, "unlink"), (os, "remove"), (os, "rename")):
            monkeypatch.setattr(module, name, self._refuse(f"os.{name}", getattr(module, name)))
        monkeypatch.setattr(os, "replace", self._refuse("os.replace", os.replace))

    def _is_root(self, target) -> bool:
        try:
            return Path(target).resolve() == self.root
        except (TypeError, OSError):
            return False

    def _inside(self, target) -> bool:
        try:
            return self.root in Path(target).resolve().parents or Path(target).resolve() == self.root
        except (TypeError, OSError):
            return False

    def _refuse(self, what: str, real):
        def wrapper(*args, **kwargs):
            if what.startswith("os.kill") and not (len(args) > 1 and args[1] == 0):  # signal 0 only asks "alive?"
                self.actions.append(f"{what}{args}")
                raise AssertionError(f"a page sent a signal: {what}{args}")
            if any(self._inside(a) for a in args[:2] if isinstance(a, (str, os.PathLike))):
                self.actions.append(f"{what}{args}")
                raise AssertionError(f"a page changed the runs folder: {what}{args}")
            return real(*args, **kwargs)

        return wrapper


@pytest.mark.parametrize("page", PAGE_SCRIPTS)
def test_every_page_reads_the_runs_folder_once_and_changes_nothing(tmp_path, monkeypatch, page):
    from streamlit.testing.v1 import AppTest

    root = tmp_path / "runs"
    plant_dead_job(root)
    monkeypatch.setenv(run_records.RUNS_ENV, str(root))
    before = snapshot(root)
    watch = FolderWatch(root, monkeypatch)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["explorer.latent_size"] = 2
    counts = []
    for step in (at.run, lambda: at.switch_page(page).run(), at.run):  # Home first, then the page, then a rerun
        done = watch.listings
        step()
        counts.append(watch.listings - done)
        assert not watch.actions, watch.actions
        assert not [e.value for e in at.exception], [e.value for e in at.exception]
    assert max(counts) <= 1, f"{page}: the runs root was listed {counts} times in its runs"
    monkeypatch.undo()
    assert snapshot(root) == before, f"{page} changed the runs folder"


def test_start_clears_a_dead_job_and_runs(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    name = plant_dead_job(root)
    shown = {s.name: s for s in runs.statuses(root)}[name]
    assert shown.state == "failed" and shown.evaluation != "running", "a dead job's run must not read as running"
    trainer = ["-c", "import time; time.sleep(0.5)"]  # a trainer that ends at once: only the job's mechanics count
    started = runs.start([run_records.RunSpec("vae", latent_dim=2, epochs=1)], root, evaluate=False, trainer=trainer)
    assert runs.wait(root, timeout=60)
    assert run_records.read_status(root, name).state == "failed"  # settled on disk by the user's Start
    assert run_records.read_status(root, started[0]).state in ("finished", "failed")
    assert not (root / f".{name}.writer").exists()
