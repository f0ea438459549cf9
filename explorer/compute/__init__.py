"""The explorer's computations, free of Streamlit so tests call them directly.

- ``core``: model calls on numpy arrays, and the Reconstruct and Sampling pages' computations;
- ``model_catalog``: which checkpoints the app uses (shipped pairs, classifier, user runs) and their metrics;
- ``latent_space``: slider ranges, traversals, projections, interpolation paths and decoded planes;
- ``latent_pad``: the latent pad's plane through a model's latent space, and back;
- ``generation``: the samplers, conditional digits and attribute vectors;
- ``numbers``: the one finite-number check for values read from files.
"""
