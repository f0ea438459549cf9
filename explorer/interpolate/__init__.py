"""Interpolate: the walk between two images (its widget keys; the paths are explorer.shared.latent_space's)."""
