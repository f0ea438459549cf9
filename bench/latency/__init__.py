"""The browser-latency benchmark's parts; ``python bench/browser_latency.py`` runs them (see its docstring).

- ``common``: constants, the in-page probe, the Report every part fills in, the server and page helpers;
- ``pages``: page loads (cold, warm and third visits against the floor) and in-app switches;
- ``sliders``: slider latency against the floor (one session, with 4 other sessions, during a training run);
- ``live``: the live sliders' drag (the decoder in the page);
- ``report``: the BENCHMARKS.md sections.
"""
