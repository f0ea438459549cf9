"""Turn a loaded AE or VAE into what the browser runner (runner.js) evaluates (contract.ModelSpec).

A browser model is a small JSON spec (the layer list, shapes, activations and byte offsets) plus one flat
little-endian float32 blob with every weight. The encoder is included (ending at the AE's code or the VAE's
``to_mu`` head), so a page can encode a drawing as well as decode a code; a VAE's spec also carries its
``to_logvar`` head as ``logvar_head`` (one linear layer on the same features ``to_mu`` reads), so a page can
draw q(z|x) itself. Both are named by a content hash,
so a URL carrying the hash can be cached by the browser for as long as it likes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from explorer.shared.browser.contract import ConvLayer, LinearLayer, ModelSpec

Layer = LinearLayer | ConvLayer
FORMAT = 1
STATIC_MODELS = "models"  # folder under the app's static/ folder
URL_PREFIX = "app/static/models/"  # relative to the page, as Streamlit serves static/ at <base>/app/static/


@dataclass(frozen=True)
class BrowserModel:
    """One model as the browser receives it: ``spec`` (JSON-able) and ``blob`` (float32 weights)."""

    spec: ModelSpec
    blob: bytes

    @property
    def hash(self) -> str:
        return self.spec["hash"]

    @property
    def file_name(self) -> str:
        return f"{self.hash}.bin"

    @property
    def url(self) -> str:
        return URL_PREFIX + self.file_name


class _Packer:
    """Collects float32 arrays into one blob and hands back their byte offsets."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, tensor: torch.Tensor) -> int:
        data = tensor.detach().cpu().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        offset = self.size
        self.parts.append(data)
        self.size += len(data)
        return offset


def _conv_out(size: int, kernel: int, stride: int, padding: int, transposed: bool) -> int:
    if transposed:
        return (size - 1) * stride - 2 * padding + kernel
    return (size + 2 * padding - kernel) // stride + 1


def _conv_layer(module: nn.Conv2d | nn.ConvTranspose2d, shape: tuple[int, ...], packer: _Packer) -> ConvLayer:
    transposed = isinstance(module, nn.ConvTranspose2d)
    if len(shape) != 3 or shape[0] != module.in_channels:
        raise ValueError(f"{type(module).__name__} expects (C={module.in_channels}, H, W) input, got {shape}")
    square = [module.kernel_size, module.stride, module.padding]
    if any(len(set(v)) != 1 for v in square) or module.groups != 1 or module.dilation != (1, 1):
        raise ValueError(f"the browser runner only runs square, ungrouped, undilated convolutions: {module}")
    if transposed and module.output_padding != (0, 0):
        raise ValueError(f"the browser runner does not support output_padding: {module}")
    kernel, stride, padding = (v[0] for v in square)
    _, height, width = shape
    out_h = _conv_out(height, kernel, stride, padding, transposed)
    out_w = _conv_out(width, kernel, stride, padding, transposed)
    return {
        "type": "conv_transpose2d" if transposed else "conv2d",
        "in_shape": [module.in_channels, height, width],
        "out_shape": [module.out_channels, out_h, out_w],
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "weight": packer.add(module.weight),  # conv2d (O, C, k, k); conv_transpose2d (C, O, k, k)
        "bias": packer.add(module.bias) if module.bias is not None else None,
        "activation": None,
    }


def _layers(module: nn.Module, shape: tuple[int, ...], packer: _Packer, out: list[Layer]) -> tuple[int, ...]:
    """Append ``module``'s layers to ``out``; returns the output shape (per example, without the batch)."""
    if isinstance(module, nn.Sequential):
        for child in module:
            shape = _layers(child, shape, packer, out)
    elif isinstance(module, nn.Linear):
        if math.prod(shape) != module.in_features:
            raise ValueError(f"Linear expects {module.in_features} inputs, got shape {shape}")
        out.append(
            {
                "type": "linear",
                "in_shape": [module.in_features],
                "out_shape": [module.out_features],
                "weight": packer.add(module.weight),  # (out, in), row-major
                "bias": packer.add(module.bias) if module.bias is not None else None,
                "activation": None,
            }
        )
        shape = (module.out_features,)
    elif isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        out.append(_conv_layer(module, shape, packer))
        shape = tuple(out[-1]["out_shape"])
    elif isinstance(module, nn.ReLU):
        if not out or out[-1]["activation"] is not None:
            raise ValueError("a ReLU must follow a linear or convolution layer")
        out[-1]["activation"] = "relu"
    elif isinstance(module, nn.Flatten):
        shape = (math.prod(shape),)  # channel-major flattening: the same memory order as (C, H, W)
    elif isinstance(module, nn.Unflatten):
        shape = tuple(module.unflattened_size)
    else:
        raise ValueError(f"the browser runner cannot run a {type(module).__name__} layer")
    return shape


def export(model: nn.Module) -> BrowserModel:
    """The browser model of an eval-mode ``vae.models`` Autoencoder or VAE (MLP or conv)."""
    config = model.config
    if config.kind not in ("ae", "vae"):
        raise ValueError(f"only autoencoders and VAEs run in the browser, not {config.kind!r}")
    packer = _Packer()
    decoder: list[Layer] = []
    image_shape = _layers(model.decoder, (config.latent_dim,), packer, decoder)
    if math.prod(image_shape) != 28 * 28:
        raise ValueError(f"the decoder makes {image_shape}, not a 28x28 image")
    encoder: list[Layer] = []
    head = model.encoder if config.kind == "ae" else nn.Sequential(model.encoder, model.to_mu)
    code_shape = _layers(head, (1, 28, 28), packer, encoder)
    if code_shape != (config.latent_dim,):
        raise ValueError(f"the encoder makes {code_shape}, not a ({config.latent_dim},) code")
    logvar_head: list[Layer] = []
    if config.kind == "vae":
        features = tuple(encoder[-1]["in_shape"])  # the last encoder layer is to_mu; to_logvar reads its input
        _layers(model.to_logvar, features, packer, logvar_head)
    spec: ModelSpec = {
        "format": FORMAT,
        "kind": config.kind,
        "arch": config.arch,
        "latent_dim": config.latent_dim,
        "image_shape": [1, 28, 28],
        "output": "sigmoid",  # decode() = sigmoid(decoder logits), as in vae.models
        "likelihood": config.likelihood,  # p(x|z), as vae.losses.reconstruction_nll reads it
        "gaussian_std": float(config.gaussian_std),
        "decoder": decoder,
        "encoder": encoder,
        "logvar_head": logvar_head,  # empty for an AE; else applied to the input of the encoder's last layer
        "bytes": packer.size,
        "hash": "",  # set below, from everything else
    }
    blob = b"".join(packer.parts)
    digest = hashlib.sha256(blob)
    digest.update(json.dumps({k: v for k, v in spec.items() if k != "hash"}, sort_keys=True).encode())
    spec["hash"] = digest.hexdigest()[:24]
    return BrowserModel(spec, blob)


def write_blob(browser_model: BrowserModel, static_root: str | Path) -> Path:
    """Write the weights to ``static_root/models/<hash>.bin`` once (atomically); returns the file's path."""
    folder = Path(static_root) / STATIC_MODELS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / browser_model.file_name
    if path.is_file() and path.stat().st_size == len(browser_model.blob):
        return path  # same hash, same bytes: written by an earlier run or another session
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".bin")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(browser_model.blob)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def blob_array(browser_model: BrowserModel) -> np.ndarray:
    """The blob as float32 numbers (for tests and debugging)."""
    return np.frombuffer(browser_model.blob, dtype="<f4")
