"""What every component's data is built from: a model for runner.js, and arrays packed as base64 strings.

Each feature's ``contract.py`` declares its component's data as TypedDicts; this one holds the parts they share.
``python -m explorer.shared.browser.contracts --write`` turns every contract into the ``contract.d.ts`` beside it,
which the JS modules import for their JSDoc types, so ``tsc`` checks each field the browser reads against the one
declaration here, and tests check the real payloads against it with ``explorer.shared.browser.check``.

A comment on a field (after it, or on the lines above it) becomes its JSDoc; a class docstring its interface's.
"""

from __future__ import annotations

from typing import Literal, NewType, TypedDict

# Arrays cross as base64 of their little-endian bytes (explorer.shared.browser.packing.pack; in the page
# ExplorerMount.unpack): about a third of the bytes of JSON numbers. Each dtype is a type of its own, so a
# module that unpacks an array as the wrong dtype does not type-check.
PackedFloat32 = NewType("PackedFloat32", str)  # base64 of little-endian float32 values ("<f4")
PackedFloat16 = NewType("PackedFloat16", str)  # base64 of little-endian float16 values ("<f2")
PackedInt32 = NewType("PackedInt32", str)  # base64 of little-endian int32 values ("<i4")
PackedUint8 = NewType("PackedUint8", str)  # base64 of bytes ("u1"), e.g. grey levels 0-255 of 28x28 pictures
Digits = NewType("Digits", str)  # one character "0"-"9" per point: its label (10k labels in 10 KB)

Dtype = Literal["<f4", "<f2", "<i4", "u1"]  # the dtypes an array may be packed as
Kind = Literal["ae", "vae"]  # the two models of a pair; components key their parts by it
PACKED: dict[object, Dtype] = {PackedFloat32: "<f4", PackedFloat16: "<f2", PackedInt32: "<i4", PackedUint8: "u1"}


class LinearLayer(TypedDict):
    """A fully connected layer of a model's spec (explorer.shared.browser.weights)."""

    type: Literal["linear"]
    in_shape: list[int]  # [fan_in]
    out_shape: list[int]  # [fan_out]
    weight: int  # byte offset of the (out, in) float32 weights in the model's blob
    bias: int | None  # byte offset of the biases, or null without any
    activation: Literal["relu"] | None


class ConvLayer(TypedDict):
    """A square, ungrouped convolution (or transposed convolution) of a model's spec."""

    type: Literal["conv2d", "conv_transpose2d"]
    in_shape: list[int]  # [channels, height, width]
    out_shape: list[int]
    kernel: int
    stride: int
    padding: int
    weight: int  # byte offset: conv2d (O, C, k, k), conv_transpose2d (C, O, k, k)
    bias: int | None
    activation: Literal["relu"] | None


class ModelSpec(TypedDict):
    """A model as runner.js evaluates it: its layers and where their float32 weights sit in one blob."""

    format: int
    kind: Kind
    arch: str
    latent_dim: int
    image_shape: list[int]  # [1, 28, 28]
    output: Literal["sigmoid"]  # decode() = sigmoid(decoder logits), as in vae.models
    likelihood: str  # p(x|z), as vae.losses.reconstruction_nll reads it ("bernoulli" or "gaussian")
    gaussian_std: float
    decoder: list[LinearLayer | ConvLayer]
    encoder: list[LinearLayer | ConvLayer]  # ends at the AE's code or the VAE's to_mu head
    logvar_head: list[LinearLayer | ConvLayer]  # the VAE's to_logvar, on the input of the encoder's last layer
    bytes: int  # the blob's length
    hash: str  # a content hash of spec and blob: the weights' URL carries it, so browsers cache them for good


class ModelEntry(TypedDict):
    """What LatentRunner.load() takes: the spec and where its weights are served."""

    hash: str
    url: str  # page-relative, under app/static/models/
    spec: ModelSpec
