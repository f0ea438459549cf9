"""The Streamlit side of the in-browser components whose code is in ``explorer/web/``.

- ``live``: registers each component (its JS assembled from the web/ libraries) and turns what it sends back
  into plain values;
- ``weights``: exports a model's weights and layer spec for the browser runner (``web/runner.js``).
"""
