"""The plain autoencoder, the VAE and the digit classifier, built from shared encoder/decoder bodies."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from vae.config import ModelConfig
from vae.posterior import DiagonalGaussian, PointMass

IMAGE_SHAPE = (1, 28, 28)
PIXELS = 28 * 28


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for fan_in, fan_out in pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers)


def encoder_body(config: ModelConfig) -> tuple[nn.Module, int]:
    """Image (B, 1, 28, 28) -> features (B, F); returns the module and F."""
    if config.arch == "mlp":
        return nn.Sequential(nn.Flatten(), _mlp([PIXELS, *config.hidden])), config.hidden[-1]
    c1, c2 = config.channels
    body = nn.Sequential(
        nn.Conv2d(1, c1, 4, stride=2, padding=1),  # (B, c1, 14, 14)
        nn.ReLU(),
        nn.Conv2d(c1, c2, 4, stride=2, padding=1),  # (B, c2, 7, 7)
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(c2 * 7 * 7, config.hidden[0]),
        nn.ReLU(),
    )
    return body, config.hidden[0]


def decoder_body(config: ModelConfig) -> nn.Module:
    """Latent code (B, latent_dim) -> pixel logits (B, 1, 28, 28); the mirror image of the encoder."""
    if config.arch == "mlp":
        widths = [config.latent_dim, *reversed(config.hidden)]
        return nn.Sequential(_mlp(widths), nn.Linear(widths[-1], PIXELS), nn.Unflatten(1, IMAGE_SHAPE))
    c1, c2 = config.channels
    return nn.Sequential(
        nn.Linear(config.latent_dim, config.hidden[0]),
        nn.ReLU(),
        nn.Linear(config.hidden[0], c2 * 7 * 7),
        nn.ReLU(),
        nn.Unflatten(1, (c2, 7, 7)),
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),  # (B, c1, 14, 14)
        nn.ReLU(),
        nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),  # (B, 1, 28, 28)
    )


class _LatentModel(nn.Module):
    config: ModelConfig
    decoder: nn.Module

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> pixel logits (B, 1, 28, 28)."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> pixel probabilities (Bernoulli) or means (Gaussian) in [0, 1], (B, 1, 28, 28)."""
        return torch.sigmoid(self.decoder(z))

    def encode(self, x: torch.Tensor) -> DiagonalGaussian | PointMass:
        raise NotImplementedError

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """encode(x).mode(): the single best code for each image, (B, 1, 28, 28) -> (B, latent_dim)."""
        return self.encode(x).mode()

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """decode(embed(x)): the deterministic reconstruction shown in the app."""
        return self.decode(self.embed(x))


class Autoencoder(_LatentModel):
    """A deterministic autoencoder: x -> z -> x_hat, trained to reconstruct (L2 by default)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.kind != "ae":
            raise ValueError(f"Autoencoder needs kind='ae', got {config.kind!r}")
        self.config = config
        body, features = encoder_body(config)
        self.encoder = nn.Sequential(body, nn.Linear(features, config.latent_dim))
        self.decoder = decoder_body(config)

    def encode(self, x: torch.Tensor) -> PointMass:
        """(B, 1, 28, 28) -> the code z (B, latent_dim), as a point mass (its mode and every sample)."""
        return PointMass(self.encoder(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, 28, 28) -> (pixel logits, code)."""
        z = self.encoder(x)
        return self.decode_logits(z), z


class VAE(_LatentModel):
    """A VAE: q(z|x) = N(mu, diag exp(logvar)), prior N(0, I), decoder p(x|z) per pixel."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.kind != "vae":
            raise ValueError(f"VAE needs kind='vae', got {config.kind!r}")
        self.config = config
        body, features = encoder_body(config)
        self.encoder = body
        self.to_mu = nn.Linear(features, config.latent_dim)
        self.to_logvar = nn.Linear(features, config.latent_dim)
        self.decoder = decoder_body(config)

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """(B, 1, 28, 28) -> q(z|x) with mean and logvar (B, latent_dim); ``embed`` is its mean."""
        h = self.encoder(x)
        return DiagonalGaussian(self.to_mu(h), self.to_logvar(h))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, 1, 28, 28) -> (logits of one posterior sample, mu, logvar); tensors only, as DDP expects."""
        posterior = self.encode(x)
        return self.decode_logits(posterior.sample()), posterior.mean, posterior.logvar


class Classifier(nn.Module):
    """A small convolutional MNIST classifier, used only to judge generated digits."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.kind != "classifier":
            raise ValueError(f"Classifier needs kind='classifier', got {config.kind!r}")
        self.config = config
        c1, c2 = config.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c2, 7, 7)
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Linear(c2 * 7 * 7, config.hidden[0]),
            nn.ReLU(),  # (B, hidden): the penultimate features used for the Frechet distance
        )
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(config.hidden[0], config.num_classes))

    def penultimate(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) -> (B, hidden) features."""
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) -> class logits (B, num_classes)."""
        return self.head(self.features(x))


def build_model(config: ModelConfig) -> nn.Module:
    """A freshly initialised model of ``config.kind``."""
    return {"ae": Autoencoder, "vae": VAE, "classifier": Classifier}[config.kind](config)
