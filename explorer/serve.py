"""Start the explorer: ``python -m explorer.serve [streamlit options]`` runs ``streamlit run app.py [options]``
with the work a first visitor would otherwise wait for done at start-up (what ./scripts/run.sh does).

Before the server listens: torch, scikit-learn and the app's modules are imported, the checkpoints listed and
loaded, the test set read, each model exported for the browser, the test set encoded by every model, the PCA
projections fitted and each VAE's per-image test scores computed (``st.cache_resource`` values, which live in
the process). A page computes anything
still missing itself, so a failure here is logged, never fatal: the page that needs the value explains it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vae.checkpoint import Checkpoint

APP = Path(__file__).resolve().parent.parent / "app.py"
log = logging.getLogger("explorer.serve")


class _NoPageNotes(logging.Filter):
    """Drops Streamlit's notes that the start-up work runs outside any page and before its runtime exists, which
    it does on purpose: "missing ScriptRunContext" (a cached function's spinner has no page to show on) and "No
    runtime found" (st.cache_data checks its storage when a module that uses it is imported)."""

    NOTES = ("missing ScriptRunContext", "No runtime found")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName in _WARMING and any(note in record.getMessage() for note in self.NOTES))


_WARMING = {"MainThread"}
_NOTED = ("streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.runtime.caching.cache_data_api")


def _checkpoints() -> tuple[list[Checkpoint], Checkpoint | None]:
    from explorer.shared import resources

    catalog = resources.catalog()
    found = [pair.get(kind) for pair in catalog.pairs.values() for kind in pair.kinds]
    return [c for c in found if c is not None], catalog.classifier


def load_resources() -> None:
    """Imports (the page helpers too), the checkpoint list, the models, the test set, the browser exports, the
    test set's codes and the projections."""
    import os

    import torch

    # imported here so that no visitor waits for them
    from explorer import charts  # noqa: F401
    from explorer.charts import (
        chart_data,  # noqa: F401
        live_chart,  # noqa: F401
        plots,  # noqa: F401
    )
    from explorer.latent_map import map_chart  # noqa: F401
    from explorer.sampling import generation  # noqa: F401
    from explorer.shared import (
        context,
        figures,  # noqa: F401
        frame,
        resources,
        ui,  # noqa: F401
    )
    from explorer.sliders import share  # noqa: F401
    from explorer.train import train_panels  # noqa: F401

    torch.set_num_threads(os.cpu_count() or 1)  # nobody is served yet: encode the test sets on every core
    try:
        models, classifier = _checkpoints()
        resources.test_set()
        for checkpoint in models:
            resources.model(checkpoint)
            resources.browser_model(checkpoint)
            resources.codes(checkpoint)
            resources.projection(checkpoint)
            if checkpoint.model.kind == "vae":
                resources.test_scores(checkpoint)  # Reconstruct's histogram
        resources.plotly_script()  # the charts' plotly.js bundle is where static serving finds it
        context.scan()  # the sidebar's list of the Train page's runs, which reads each run's weights
        if classifier is not None:
            resources.model(classifier)
    finally:
        frame.configure_threads()  # then one thread per request, as the pages run


def warm_streamlit() -> None:
    """Streamlit's own first-use costs, which the first script run of the first visitor would otherwise pay:
    st.set_page_config checks whether the page icon is an emoji, which imports Streamlit's emoji table and
    compiles it into one large regular expression (46 ms alone); the first element a process sends checks
    whether it runs in a REPL with inspect.stack(), whose first call indexes the file of every module imported
    so far, torch's and scikit-learn's included (86 ms). Found with py-spy; with the browser sharing the cores,
    paying them here cut the cold server phase of Home and Reconstruct by about 0.25 s (BENCHMARKS.md)."""
    from streamlit import env_util, string_util

    from explorer.shared.frame import PAGE_ICON

    string_util.is_emoji(PAGE_ICON)
    env_util.is_repl()


def guard_static_files() -> None:
    """Answer 404, not 500, for a static file whose name the file system refuses (ENAMETOOLONG and the like).

    Streamlit 1.67's handler of ``<base>/app/static/<path>`` (``create_app_static_serving_routes`` in
    streamlit/web/server/starlette/starlette_routes.py) calls ``exists()`` on the path, which raises
    ``OSError: File name too long`` for a component of 256 or more bytes; the error escapes as HTTP 500.
    Streamlit offers no hook for its own routes, so this wraps that one function where starlette_app.py looks
    it up: its GET endpoint is kept and only an OSError becomes a 404. Idempotent; if Streamlit moves the
    function, nothing is patched and a warning is logged (tests/test_static_files.py notices either way).
    """
    try:
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        log.warning("Streamlit's Starlette app was not found; long static file names may answer HTTP 500")
        return
    original = getattr(starlette_app, "create_app_static_serving_routes", None)
    if original is None or getattr(original, "explorer_guarded", False):
        return

    def guarded_endpoint(endpoint):
        async def endpoint_or_404(request):
            try:
                return await endpoint(request)
            except OSError:  # a name the file system cannot even look up is a file that is not there
                return PlainTextResponse("File not found", status_code=404)

        return endpoint_or_404

    def guarded_routes(main_script_path, base_url):
        routes = original(main_script_path, base_url)
        return [
            Route(r.path, guarded_endpoint(r.endpoint), methods=["GET"]) if "GET" in (r.methods or ()) else r
            for r in routes
        ]

    guarded_routes.explorer_guarded = True
    guarded_routes.explorer_original = original  # Streamlit's own, for tests that start from it
    starlette_app.create_app_static_serving_routes = guarded_routes


def _quietly(step, name: str) -> None:
    try:
        step()
    except Exception:  # the pages compute (and explain) whatever is missing; never stop the server over it
        log.exception("start-up %s failed; the pages will compute it when asked", name)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    for name in _NOTED:
        logging.getLogger(name).addFilter(_NoPageNotes())
    _quietly(load_resources, "loading")
    _quietly(warm_streamlit, "Streamlit warm-up")
    _quietly(guard_static_files, "static file guard")
    _WARMING.clear()  # the server's own threads from now on: their notes are real ones
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *args]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
