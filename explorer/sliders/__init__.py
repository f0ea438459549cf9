"""Latent sliders: one slider per latent dimension, the digit decoded in the page while a slider moves.

- ``component``: the live component's data and what it sends back (sliders.js, sliders.html, sliders.css);
- ``state``: slider values per checkpoint, the live code, shareable links and code files (its keys);
- ``share``: the parsers of shareable links and code files.
"""
