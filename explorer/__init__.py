"""explorer: the Streamlit app's helpers, kept out of the pages so they can be tested without a browser.

- ``core``: model calls on numpy arrays and the Reconstruct and Sampling pages' computations (pure torch/numpy,
  no Streamlit);
- ``model_catalog``: which checkpoints the app uses (shipped pairs, classifier, user runs) and their metrics as
  shown to people (no Streamlit);
- ``latent_space``: slider ranges, traversals, projections, interpolation paths and decoded planes (no
  Streamlit);
- ``figures``: image grids/strips as PNG bytes and the digit palette (no Streamlit);
- ``chart_data``: every other chart (training curves, bars, histograms, error maps) as data for the canvas
  chart component (no Streamlit); ``charts`` draws them on a page;
- ``map_chart``: the latent maps' points as data for their canvas component (no Streamlit);
- ``resources``: models, test data and derived arrays, cached once per process;
- ``state``: everything a session keeps between pages (chosen model pair, chosen image, uploads);
- ``ui``: small widgets shared by several pages, and the guard that keeps tracebacks off the page.
"""
