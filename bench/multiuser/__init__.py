"""The multi-user load benchmark's parts; ``python bench/load.py`` runs them (see its docstring).

- ``common``: the benchmark's constants;
- ``usage``: the server's memory and CPU, from /proc;
- ``session``: one browser session (what it does, what it counts) and the digits it uploads;
- ``drive``: the run: warm-up, ramp-up and the measured window against one server;
- ``report``: the BENCHMARKS.md section and the verdict.
"""
