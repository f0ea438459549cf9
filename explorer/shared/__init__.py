"""What every feature uses: the model catalog and the per-run context, the one cache, the sidebar and shared
widgets, session-wide state, PNG figures, the latent space's geometry, and the in-browser runner.

- ``context``: the run's context (the chosen pair, its test split, label names, classifier), resolved once per run;
- ``model_catalog``: which checkpoints the app uses (shipped pairs, classifier, user runs) and their metrics;
- ``resources``: every ``st.cache_resource`` / ``st.cache_data`` (models, test sets, codes, projections);
- ``ui``: ``guard`` (no traceback reaches a page), the sidebar, digits as pictures, the image picker;
- ``state``: session-wide state (latent size, uploads, the chosen image, the pickers' keys);
- ``core``, ``latent_space``, ``figures``, ``numbers``: model calls, geometry, PNGs, the finite-number check;
- ``browser/``: registration of in-browser components, the model export and the JS every component shares.
"""
