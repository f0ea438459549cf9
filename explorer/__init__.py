"""explorer: the Streamlit app's helpers, kept out of the pages so they can be tested without a browser.

- ``core``: the computations behind each page (pure torch/numpy, no Streamlit);
- ``figures``: Vega-Lite chart specs and image grids/strips as PNG bytes (no Streamlit);
- ``map_chart``: the latent maps' points as data for their canvas component (no Streamlit);
- ``resources``: models, test data and derived arrays, cached once per process;
- ``state``: everything a session keeps between pages (chosen model pair, chosen image, uploads);
- ``ui``: small widgets shared by several pages, and the guard that keeps tracebacks off the page.
"""
