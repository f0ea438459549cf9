"""vae: autoencoders and variational autoencoders on MNIST — models, training, evaluation, latent operations.

The library behind the Streamlit explorer; it never imports Streamlit. Importing it loads torch but does
no other work (no data, no models) until a function is called.

What is where (a learner reads the first three first):

- ``models`` (the forward pass), ``posterior`` (the reparameterisation, the closed-form KL), ``losses``
  (reconstruction + KL, and ``loss_for``: the loss of each model kind);
- ``config`` (model and training configs), ``checkpoint`` (config.json + safetensors folders), ``data``;
- ``training`` (``fit``, a single-process loop), ``stopping`` (stop requests, the errors a run ends with),
  ``optim`` (Adam and its checkpointed state), ``distributed`` (torchrun: the hooks the loop calls), ``train``
  (the ``python -m vae.train`` command line), ``timeline`` (the per-epoch snapshots kept beside a checkpoint);
- ``fast/``: the speed paths (hand-written MLP backward, fused Adam, bf16), each beside the test proving it
  matches the plain path;
- ``evaluate``, ``metrics``, ``latent``, ``density``: what is done with a trained model; ``likelihood``: what
  its numbers measure (the fixed binarisation of test images, cross-entropy or -log p(x), squared error);
- ``true_posterior`` (p(z|x) and log p(x) summed on a grid of codes: a 2-D latent space, or a 2-D slice) and
  ``inference_gap`` (log p(x) - ELBO split into approximation and amortisation gaps, q* per image);
- ``image_files`` (an uploaded file's bytes to grey, with the refusals), ``images`` (grey to an MNIST-style
  digit), ``export`` (PNG/GIF bytes, grids).
"""

from importlib import import_module
from typing import Any

# Public name -> the module that defines it. Loaded on first use (PEP 562), so `import vae` stays cheap and
# `python -m vae.train` does not find its own module half-imported by the package.
_EXPORTS = {
    "Checkpoint": "vae.checkpoint",
    "CheckpointError": "vae.checkpoint",
    "label_names": "vae.checkpoint",
    "load": "vae.checkpoint",
    "read_checkpoint": "vae.checkpoint",
    "save_checkpoint": "vae.checkpoint",
    "scan_checkpoints": "vae.checkpoint",
    "ConfigError": "vae.config",
    "ModelConfig": "vae.config",
    "TrainConfig": "vae.config",
    "DatasetError": "vae.data",
    "load_dataset": "vae.data",
    "load_mnist": "vae.data",
    "release_cache": "vae.data",
    "LatentDensity": "vae.density",
    "attribute_vector": "vae.density",
    "fit_latent_density": "vae.density",
    "evaluate": "vae.evaluate",
    "iwae_nll": "vae.evaluate",
    "binarize": "vae.likelihood",
    "metric_labels": "vae.likelihood",
    "score_meaning": "vae.likelihood",
    "decode_batched": "vae.latent",
    "embed_batched": "vae.latent",
    "encode_batched": "vae.latent",
    "interpolate": "vae.latent",
    "latent_grid": "vae.latent",
    "project_2d": "vae.latent",
    "sample_prior": "vae.latent",
    "traverse": "vae.latent",
    "kl_divergence": "vae.losses",
    "kl_per_dimension": "vae.losses",
    "loss_for": "vae.losses",
    "model_loss": "vae.losses",
    "negative_elbo": "vae.losses",
    "reconstruction_nll": "vae.losses",
    "VAE": "vae.models",
    "Autoencoder": "vae.models",
    "Classifier": "vae.models",
    "build_model": "vae.models",
    "DiagonalGaussian": "vae.posterior",
    "PointMass": "vae.posterior",
    "StopFlag": "vae.stopping",
    "TrainingError": "vae.stopping",
    "TrainingInterrupted": "vae.stopping",
    "fit": "vae.training",
    "Timeline": "vae.timeline",
    "TimelineError": "vae.timeline",
    "read_timeline": "vae.timeline",
    "ImageError": "vae.image_files",
    "PreparedImage": "vae.images",
    "prepare_array": "vae.images",
    "prepare_image": "vae.images",
    "sample_quality": "vae.metrics",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vae' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "VAE",
    "Autoencoder",
    "Checkpoint",
    "CheckpointError",
    "Classifier",
    "ConfigError",
    "DatasetError",
    "DiagonalGaussian",
    "ImageError",
    "LatentDensity",
    "ModelConfig",
    "PointMass",
    "PreparedImage",
    "StopFlag",
    "Timeline",
    "TimelineError",
    "TrainConfig",
    "TrainingError",
    "TrainingInterrupted",
    "attribute_vector",
    "binarize",
    "build_model",
    "decode_batched",
    "embed_batched",
    "encode_batched",
    "evaluate",
    "fit",
    "fit_latent_density",
    "interpolate",
    "iwae_nll",
    "kl_divergence",
    "kl_per_dimension",
    "label_names",
    "latent_grid",
    "load",
    "load_dataset",
    "load_mnist",
    "loss_for",
    "metric_labels",
    "model_loss",
    "negative_elbo",
    "prepare_array",
    "prepare_image",
    "project_2d",
    "read_checkpoint",
    "read_timeline",
    "reconstruction_nll",
    "release_cache",
    "sample_prior",
    "sample_quality",
    "save_checkpoint",
    "scan_checkpoints",
    "score_meaning",
    "traverse",
]
