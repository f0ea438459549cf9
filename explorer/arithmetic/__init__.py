"""Latent arithmetic: attribute vectors added to an image's code. Its widget keys live here; the vectors are
explorer.sampling.generation's."""
