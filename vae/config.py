"""Frozen dataclass configs for the models and for training, with JSON round trips and readable checks."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any, TypeVar

KINDS = ("ae", "vae", "classifier")
ARCHITECTURES = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "gaussian")
PRECISIONS = ("auto", "fp32", "bf16")
# What a run saved before these fields existed was trained with; from_dict fills them in, so resuming such a
# run keeps its arithmetic instead of silently switching to the faster path.
_BEFORE_FAST_PATH = {"precision": "fp32", "fused_optimizer": False, "manual_backward": False}

T = TypeVar("T")
# Bounds far beyond any model here (the shipped ones have ~0.5M weights), so a damaged or hostile config.json
# is refused with a message instead of asking torch for terabytes.
MAX_LATENT_DIM = 4096
MAX_WIDTH = 65_536
MAX_LAYERS = 16
MAX_PARAMETERS = 200_000_000
MAX_IWAE_K = 5000  # importance samples per image in training: k decoder passes per image and step


def _whole(value: Any, most: int) -> bool:
    """An int (not a bool, which JSON's true would give) from 1 to ``most``."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= most


class ConfigError(ValueError):
    """A config dictionary (usually read from config.json) does not describe a valid model or run."""


def _from_dict(cls: type[T], data: dict[str, Any], what: str) -> T:
    if not isinstance(data, dict):
        raise ConfigError(f"{what} must be a JSON object, got {type(data).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{what} has unknown field(s): {', '.join(unknown)}")
    values = {}
    for name, value in data.items():
        # JSON has no tuples; the configs keep sequences as tuples so they stay hashable and frozen.
        values[name] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**values)
    except TypeError as error:  # a missing required field
        raise ConfigError(f"{what}: {error}") from None


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model; stored in each checkpoint's config.json."""

    kind: str = "vae"  # "ae" (plain autoencoder), "vae", or "classifier" (judges generated digits)
    arch: str = "mlp"  # "mlp" or "conv"; an AE and a VAE with the same arch share encoder/decoder bodies
    latent_dim: int = 20  # size of z (ignored by the classifier)
    hidden: tuple[int, ...] = (400,)  # MLP: widths of the hidden layers; conv: width of the dense layer
    channels: tuple[int, ...] = (32, 64)  # conv only: channels of the two stride-2 convolutions
    likelihood: str = ""  # "bernoulli" (BCE on grey levels) or "gaussian" (L2); "" = kind's default
    gaussian_std: float = 1.0  # fixed pixel std of the Gaussian likelihood; 1.0 makes its loss 0.5 * L2
    num_classes: int = 10  # classifier only

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"model kind must be one of {KINDS}, got {self.kind!r}")
        if self.arch not in ARCHITECTURES:
            raise ConfigError(f"architecture must be one of {ARCHITECTURES}, got {self.arch!r}")
        if not self.likelihood:
            # The product's premise: the AE is trained with a plain L2 loss, the VAE with a Bernoulli decoder.
            object.__setattr__(self, "likelihood", "gaussian" if self.kind == "ae" else "bernoulli")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if not _whole(self.latent_dim, MAX_LATENT_DIM):
            raise ConfigError(f"latent_dim must be a whole number from 1 to {MAX_LATENT_DIM}, got {self.latent_dim!r}")
        if not self.hidden or len(self.hidden) > MAX_LAYERS or not all(_whole(h, MAX_WIDTH) for h in self.hidden):
            raise ConfigError(
                f"hidden must be 1 to {MAX_LAYERS} whole numbers from 1 to {MAX_WIDTH}, got {self.hidden!r}"
            )
        if self.arch == "conv" and (len(self.channels) != 2 or not all(_whole(c, MAX_WIDTH) for c in self.channels)):
            raise ConfigError(f"conv channels must be two whole numbers from 1 to {MAX_WIDTH}, got {self.channels!r}")
        if not _whole(self.num_classes, MAX_WIDTH):
            raise ConfigError(f"num_classes must be a whole number from 1 to {MAX_WIDTH}, got {self.num_classes!r}")
        if isinstance(self.gaussian_std, bool) or not isinstance(self.gaussian_std, int | float):
            raise ConfigError(f"gaussian_std must be a number, got {self.gaussian_std!r}")
        if not 0 < self.gaussian_std < float("inf"):
            raise ConfigError(f"gaussian_std must be positive, got {self.gaussian_std!r}")
        if (count := self.parameter_estimate()) > MAX_PARAMETERS:
            raise ConfigError(
                f"this model would have about {count:,} parameters, more than the {MAX_PARAMETERS:,} allowed"
            )

    def parameter_estimate(self) -> int:
        """About how many weights the model has (the linear layers' and convolutions' products), computed from
        the numbers alone, so an absurd size is refused before any tensor is made."""
        if self.arch == "conv":
            c1, c2 = self.channels
            convolutions, widths = 16 * (c1 + c1 * c2), [c2 * 49, self.hidden[0]]
        else:
            convolutions, widths = 0, [784, *self.hidden]
        body = convolutions + sum(a * b for a, b in itertools.pairwise(widths))
        out = self.num_classes if self.kind == "classifier" else 3 * self.latent_dim  # mu, logvar; decoder input
        return 2 * body + out * widths[-1]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        return _from_dict(cls, data, "model config")


@dataclass(frozen=True)
class TrainConfig:
    """How a checkpoint was (or will be) trained; stored beside the model config."""

    dataset: str = "mnist"  # "mnist", "fashion-mnist", "kmnist", or a path to a folder of images
    epochs: int = 10
    batch_size: int = 128
    lr: float = 2e-3  # Adam; 2e-3 beat 1e-3 by 0.7 nat after 10 epochs of the 784-400-20 VAE (105.5 vs 106.2)
    beta: float = 1.0  # weight of the KL term (VAE only)
    warmup_epochs: int = 0  # linear KL annealing from 0 to beta over this many epochs
    binarize: str = "none"  # "none" (grey levels), "dynamic" (fresh Bernoulli draw per batch)
    patience: int = 0  # early stopping: epochs without validation improvement; 0 disables it
    seed: int = 0
    train_limit: int = 0  # use only the first N training images (0 = all); for tests and quick runs
    max_minutes: float = 0.0  # stop after the epoch that crosses this wall-clock budget; 0 = no budget
    weight_decay: float = 0.0
    # The fast path (see vae/fast/__init__.py). precision: "fp32"; "bf16" runs the forward pass under bf16 autocast
    # (the loss stays fp32); "auto" picks bf16 only for conv models on CPUs with AMX-BF16, where it was measured
    # to pay off (vae.fast.precision.resolve_precision).
    # fit() records the resolved choice, so a checkpoint says which arithmetic trained it.
    precision: str = "auto"
    fused_optimizer: bool = True  # Adam's fused kernel (one call per step instead of ~10 ops per tensor)
    # vae.fast.mlp_step's hand-written backward pass for fp32 MLP VAEs with a Bernoulli likelihood on one CPU
    # process: autograd's gradients (to float rounding) with less bookkeeping per op. Other models ignore it.
    manual_backward: bool = True
    # The objective: the k-sample importance-weighted bound (vae.losses.importance_weighted_terms, Burda et al.
    # 2016); 1 is the ELBO. k > 1 needs a VAE and trains with autograd in fp32 in one process (the hand-written
    # step, bf16 and torchrun's data parallelism are the ELBO's); validation still reports the ELBO.
    iwae_k: int = 1
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes, e.g. the command line

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError("epochs and batch size must be at least 1")
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be positive, got {self.lr}")
        if self.beta < 0 or self.warmup_epochs < 0 or self.patience < 0:
            raise ConfigError("beta, warm-up epochs and patience cannot be negative")
        if self.binarize not in ("none", "dynamic"):
            raise ConfigError(f"binarize must be 'none' or 'dynamic', got {self.binarize!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not _whole(self.iwae_k, MAX_IWAE_K):
            raise ConfigError(f"iwae_k must be a whole number from 1 to {MAX_IWAE_K}, got {self.iwae_k!r}")
        if self.iwae_k > 1 and self.precision == "bf16":
            raise ConfigError(
                "the importance-weighted objective (iwae_k > 1) trains in fp32; use precision fp32 or auto"
            )

    def beta_at(self, epoch: int) -> float:
        """KL weight during 1-based ``epoch``: ramps linearly to ``beta`` over the warm-up epochs."""
        if self.warmup_epochs <= 0:
            return self.beta
        return self.beta * min(1.0, epoch / self.warmup_epochs)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        if isinstance(data, dict):
            data = {**_BEFORE_FAST_PATH, **data}
        config = _from_dict(cls, data, "training config")
        if isinstance(config.extra, tuple):
            raise ConfigError("training config: extra must be an object")
        return config
