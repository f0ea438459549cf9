// Generated from explorer/shared/browser/contract.py by `python -m explorer.shared.browser.contracts --write`: do not edit.

/** base64 of little-endian float32 values ("<f4") */
export type PackedFloat32 = string & { readonly __brand: "PackedFloat32" };

/** base64 of little-endian float16 values ("<f2") */
export type PackedFloat16 = string & { readonly __brand: "PackedFloat16" };

/** base64 of little-endian int32 values ("<i4") */
export type PackedInt32 = string & { readonly __brand: "PackedInt32" };

/** base64 of bytes ("u1"), e.g. grey levels 0-255 of 28x28 pictures */
export type PackedUint8 = string & { readonly __brand: "PackedUint8" };

/** one character "0"-"9" per point: its label (10k labels in 10 KB) */
export type Digits = string & { readonly __brand: "Digits" };

/** the dtypes an array may be packed as */
export type Dtype = "<f4" | "<f2" | "<i4" | "u1";

/** the two models of a pair; components key their parts by it */
export type Kind = "ae" | "vae";

/** A fully connected layer of a model's spec (explorer.shared.browser.weights). */
export interface LinearLayer {
  type: "linear";
  /** [fan_in] */
  in_shape: number[];
  /** [fan_out] */
  out_shape: number[];
  /** byte offset of the (out, in) float32 weights in the model's blob */
  weight: number;
  /** byte offset of the biases, or null without any */
  bias: number | null;
  activation: "relu" | null;
}

/** A square, ungrouped convolution (or transposed convolution) of a model's spec. */
export interface ConvLayer {
  type: "conv2d" | "conv_transpose2d";
  /** [channels, height, width] */
  in_shape: number[];
  out_shape: number[];
  kernel: number;
  stride: number;
  padding: number;
  /** byte offset: conv2d (O, C, k, k), conv_transpose2d (C, O, k, k) */
  weight: number;
  bias: number | null;
  activation: "relu" | null;
}

/** A model as runner.js evaluates it: its layers and where their float32 weights sit in one blob. */
export interface ModelSpec {
  format: number;
  kind: "ae" | "vae";
  arch: string;
  latent_dim: number;
  /** [1, 28, 28] */
  image_shape: number[];
  /** decode() = sigmoid(decoder logits), as in vae.models */
  output: "sigmoid";
  /** p(x|z), as vae.losses.reconstruction_nll reads it ("bernoulli" or "gaussian") */
  likelihood: string;
  gaussian_std: number;
  decoder: (LinearLayer | ConvLayer)[];
  /** ends at the AE's code or the VAE's to_mu head */
  encoder: (LinearLayer | ConvLayer)[];
  /** the VAE's to_logvar, on the input of the encoder's last layer */
  logvar_head: (LinearLayer | ConvLayer)[];
  /** the blob's length */
  bytes: number;
  /** a content hash of spec and blob: the weights' URL carries it, so browsers cache them for good */
  hash: string;
}

/** What LatentRunner.load() takes: the spec and where its weights are served. */
export interface ModelEntry {
  hash: string;
  /** page-relative, under app/static/models/ */
  url: string;
  spec: ModelSpec;
}
