"""explorer.serve, the start-up that ./scripts/run.sh uses: it loads what the pages need before the server listens,
hands the rest of the command line to `streamlit run app.py`, and never stops the server over a failed warm-up.
(The e2e tests start every app server this way.)"""

from __future__ import annotations

import ast
import logging
import subprocess
import sys

import pytest

from explorer import serve


def test_main_warms_up_then_runs_streamlit_on_the_app_with_the_given_options(monkeypatch):
    calls = []
    monkeypatch.setattr(serve, "load_resources", lambda: calls.append("load"))
    monkeypatch.setattr(serve, "warm_streamlit", lambda: calls.append("warm Streamlit"))
    from streamlit.web import cli

    monkeypatch.setattr(cli, "main", lambda: calls.append(list(sys.argv)) or 0)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    with pytest.raises(SystemExit) as stopped:
        serve.main(["--server.port", "8765", "--server.headless", "true"])
    assert stopped.value.code == 0
    assert calls[:2] == ["load", "warm Streamlit"]  # before the server starts
    command = next(c for c in calls if isinstance(c, list))
    assert command == ["streamlit", "run", str(serve.APP), "--server.port", "8765", "--server.headless", "true"]
    assert serve.APP.name == "app.py" and serve.APP.exists()


def test_a_failing_warm_up_is_logged_and_does_not_stop_the_start(caplog):
    def broken() -> None:
        raise RuntimeError("no checkpoints here")

    with caplog.at_level(logging.ERROR, logger="explorer.serve"):
        serve._quietly(broken, "loading")  # returns: the pages compute (and explain) what is missing
    assert "start-up loading failed" in caplog.text and "no checkpoints here" in caplog.text


def test_load_resources_leaves_every_shipped_model_ready_and_its_codes_read_only():
    from explorer.shared import resources

    serve.load_resources()
    models, classifier = serve._checkpoints()
    assert len(models) >= 2 and classifier is not None
    for checkpoint in models:  # process-wide now: every session gets the very same objects
        assert resources.model(checkpoint) is resources.model(checkpoint)
        codes = resources.codes(checkpoint)
        assert codes is resources.codes(checkpoint) and codes.shape == (10_000, checkpoint.model.latent_dim)
        with pytest.raises(ValueError):
            codes[0, 0] = 1.0  # shared by every session, so nobody may change it
        assert resources.projection(checkpoint) is resources.projection(checkpoint)


def test_start_up_notes_about_running_outside_a_page_are_dropped_and_later_ones_kept(monkeypatch):
    monkeypatch.setattr(serve, "_WARMING", {"MainThread"})
    keep = serve._NoPageNotes()

    def record(message: str, thread: str = "MainThread") -> logging.LogRecord:
        made = logging.LogRecord("streamlit", logging.WARNING, __file__, 1, message, None, None)
        made.threadName = thread
        return made

    assert not keep.filter(record("No runtime found, using MemoryCacheStorageManager"))
    assert not keep.filter(record("Thread 'MainThread': missing ScriptRunContext! This warning can be ignored"))
    assert keep.filter(record("Thread 'ScriptRunner': missing ScriptRunContext!", thread="ScriptRunner.scriptThread"))
    assert keep.filter(record("something else went wrong"))
    serve._WARMING.clear()  # what main() does once the start-up work is done
    assert keep.filter(record("No runtime found, using MemoryCacheStorageManager"))


def test_streamlit_warm_up_pays_its_first_use_costs_before_any_visitor():
    """In a fresh interpreter: the emoji table (imported and compiled by set_page_config's icon check) and
    inspect's module index (built by the REPL check of the first element sent) exist only after the warm-up."""
    code = (
        "import inspect, sys\n"
        "from explorer import serve\n"
        "before = ('streamlit.emojis' in sys.modules, len(inspect.modulesbyfile))\n"
        "serve.warm_streamlit()\n"
        "after = ('streamlit.emojis' in sys.modules, len(inspect.modulesbyfile))\n"
        "print('warm-up:', (before, after))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=serve.APP.parent, timeout=120
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("warm-up:"))
    (had_emojis, indexed_before), (has_emojis, indexed_after) = ast.literal_eval(line.removeprefix("warm-up:"))
    assert not had_emojis and indexed_before == 0
    assert has_emojis and indexed_after > 100  # every module imported so far has its file indexed
