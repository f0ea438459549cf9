"""explorer: the Streamlit app's helpers, kept out of the pages so they can be tested without a browser.

Rooms (imports point down this list: a room may use the ones below it, never the ones above):

- ``training/``: runs started from the Train page, the background worker, and the page's panels;
- ``components/``: the Streamlit side of the in-browser components (``live``), and the model export for them;
- ``ui/``: widgets and panels shared by pages, the sidebar, the lesson's banner, and ``guard``, which keeps
  tracebacks off the page;
- ``charts/``: the charts (Plotly figures), the image grids and the latent maps' data;
- ``state/``: everything a session keeps between pages (the only code that touches ``st.session_state``);
- ``resources``: models, test data and derived arrays, cached once per process (the only ``st.cache_*``); as
  the one cache it also calls into the rooms above for what it caches (a run's snapshot, a model's export);
- ``inputs/``: parsers for what visitors send (share links, code files, drawings);
- ``compute/``: model calls, the latent space's geometry, samplers and the model catalog (no Streamlit);
- ``web/``: the browser side (plain JavaScript, no build step).

``serve`` starts the server with the models loaded (``python -m explorer.serve``).
"""
