"""explorer: the Streamlit app, one folder per feature a user knows by name, kept out of the page scripts (views/)
so it can be tested without a browser.

Features (each holds its Python, JS and CSS, its widget keys and its caches): ``lesson``, ``sliders``, ``inside``,
``draw``, ``reconstruct``, ``interpolate``, ``latent_map`` (scatter, pad, digits, timeline), ``sampling``,
``arithmetic``, ``train`` (runs, the worker, your own images), and ``charts`` (the chart component many pages use).
A feature may use ``shared`` and another feature's public functions, never the reverse.

``shared``: what every feature uses: the run's context (read once per run), the model catalog, the shared cache,
the frame every page runs in (``guard``), the sidebar, shared widgets and session-wide state, and ``browser/`` (the
component registration, the model export and the JS every component shares).

``serve`` starts the server with the models loaded (``python -m explorer.serve``).
"""
