"""The static file route answers 404 for a file name the file system refuses (explorer.serve's guard).

Streamlit's own handler of <base>/app/static/<path> lets ``OSError: File name too long`` escape as HTTP 500
for a name of 256 or more bytes. The guard wraps that handler; here both are called the way Starlette calls
them, with a request for such a name.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.requests import Request
from streamlit.web.server.starlette import starlette_app

from explorer import serve

REPO = Path(__file__).resolve().parent.parent


def _run(coroutine):
    """Await ``coroutine`` on an event loop of its own thread: the e2e tests keep a sync Playwright (and its
    running loop) in the main thread for the whole session, where asyncio.run refuses to start another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _get_endpoint(create_routes):
    (route,) = [r for r in create_routes(str(REPO / "app.py"), "") if "GET" in (r.methods or ())]
    return route.endpoint


def _status(endpoint, name: str) -> int:
    scope = {"type": "http", "method": "GET", "path": f"/app/static/{name}", "headers": [], "query_string": b""}
    scope["path_params"] = {"path": name}
    try:
        return _run(endpoint(Request(scope))).status_code
    except Exception as error:  # what Starlette turns into a 500 (an HTTPException carries its own code)
        return getattr(error, "status_code", 500)


def test_a_too_long_static_file_name_answers_404(monkeypatch):
    current = starlette_app.create_app_static_serving_routes  # guarded already if another test started serve.main
    original = getattr(current, "explorer_original", current)
    monkeypatch.setattr(starlette_app, "create_app_static_serving_routes", original)  # undone after the test
    unguarded = _get_endpoint(original)
    assert _status(unguarded, "a" * 255) == 404
    with pytest.raises(OSError, match="too long"):  # Streamlit's own behaviour, the reason for the guard
        _run(unguarded(Request({"type": "http", "path_params": {"path": "a" * 256}, "headers": []})))

    serve.guard_static_files()
    serve.guard_static_files()  # twice is once
    guarded = starlette_app.create_app_static_serving_routes
    assert guarded is not original and guarded.explorer_guarded
    endpoint = _get_endpoint(guarded)
    for name in ("a" * 255, "a" * 256, "a" * 1000, f"models/{'b' * 300}.bin"):
        assert _status(endpoint, name) == 404, len(name)


def test_the_guard_still_serves_files(monkeypatch, tmp_path):
    current = starlette_app.create_app_static_serving_routes
    monkeypatch.setattr(
        starlette_app, "create_app_static_serving_routes", getattr(current, "explorer_original", current)
    )
    serve.guard_static_files()
    app = tmp_path / "app.py"
    app.write_text("")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "hello.txt").write_text("hello")
    (route,) = [r for r in starlette_app.create_app_static_serving_routes(str(app), "") if "GET" in r.methods]
    scope = {"type": "http", "method": "GET", "path": "/app/static/hello.txt", "headers": [], "query_string": b""}
    response = _run(route.endpoint(Request({**scope, "path_params": {"path": "hello.txt"}})))
    assert response.status_code == 200 and Path(response.path).read_text() == "hello"
