// LatentRunner: evaluates the explorer's autoencoders and VAEs in the page, in plain JavaScript.
//
// A model arrives as a spec (ModelSpec in contract.d.ts, built by weights.py: layer list, shapes, byte offsets) plus one
// little-endian float32 blob of weights, fetched once from a content-hashed URL. Layers: linear, conv2d,
// conv_transpose2d, each with an optional ReLU; decode ends in a sigmoid, as vae.models' decode() does.
// Sums are accumulated in double precision and each layer's output rounded to float32, so results stay
// within a few float32 ulps of torch's.
//
// This is a plain script (no import/export) so Python can prepend it to a component's module and tests can
// load it into a blank page. It defines one namespace, LatentRunner, also set on globalThis.
//
//   LatentRunner.load({hash, url, spec}) -> Promise<Model>   (one fetch per hash per page, shared by all)
//   LatentRunner.fromBuffer(spec, arrayBuffer) -> Model
//   model.decode(codes, n) -> Float32Array(n * 784) pixel values in [0, 1]
//   model.encode(images, n) -> Float32Array(n * latent_dim): the AE's code or the VAE's posterior mean
//   model.encodePosterior(image) -> {mu, logvar}: one image's q(z|x) (logvar null for an AE)
//   model.decodeLogits(code) -> Float32Array(784): the decoder's logits for one code (decode = sigmoid of them)
//   LatentRunner.paint(canvas, pixels, offset) draws one 28x28 picture, white digit on black

/** @typedef {import("./contract").ModelEntry} ModelEntry */
/** @typedef {import("./contract").ModelSpec} ModelSpec */
/** @typedef {import("./contract").LinearLayer | import("./contract").ConvLayer} LayerSpec */
/** @typedef {(layer: any, input: Float32Array) => Float32Array} Kernel */
/** @typedef {LayerSpec & {forward: Kernel, w: Float32Array, b: Float32Array | null}} Layer */

const LatentRunner = (() => {
  // Shared by every component instance (and every copy of this library) in the page.
  /** @type {{models: Map<string, Promise<Model>>, fetches: number}} */
  const shared = (/** @type {any} */ (globalThis).__latentRunnerShared ??= { models: new Map(), fetches: 0 });

  function relu(values) {
    for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0;
  }

  function sigmoid(x) {
    // Two branches so exp never overflows, whatever the logit's size.
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  }

  function linear(layer, input) {
    const [fanIn] = layer.in_shape;
    const [fanOut] = layer.out_shape;
    const { w, b } = layer;
    const out = new Float32Array(fanOut);
    for (let o = 0; o < fanOut; o++) {
      let sum = 0;
      const row = o * fanIn;
      for (let i = 0; i < fanIn; i++) sum += w[row + i] * input[i];
      out[o] = b ? sum + b[o] : sum;
    }
    return out;
  }

  function conv2d(layer, input) {
    const [channels, height, width] = layer.in_shape;
    const [outChannels, outH, outW] = layer.out_shape;
    const { kernel: k, stride, padding, w, b } = layer;
    const out = new Float32Array(outChannels * outH * outW);
    for (let o = 0; o < outChannels; o++) {
      for (let y = 0; y < outH; y++) {
        for (let x = 0; x < outW; x++) {
          let sum = 0;
          for (let c = 0; c < channels; c++) {
            const plane = c * height * width;
            const weights = (o * channels + c) * k * k;
            for (let ky = 0; ky < k; ky++) {
              const iy = y * stride - padding + ky;
              if (iy < 0 || iy >= height) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = x * stride - padding + kx;
                if (ix < 0 || ix >= width) continue;
                sum += input[plane + iy * width + ix] * w[weights + ky * k + kx];
              }
            }
          }
          out[(o * outH + y) * outW + x] = b ? sum + b[o] : sum;
        }
      }
    }
    return out;
  }

  function convTranspose2d(layer, input) {
    // Each input pixel scatters a k x k patch per output channel: out[y] gets in[iy] * w[ky] where
    // y = iy * stride - padding + ky. The scatter form skips the zeros a ReLU leaves behind.
    const [channels, height, width] = layer.in_shape;
    const [outChannels, outH, outW] = layer.out_shape;
    const { kernel: k, stride, padding, w, b } = layer;
    const sums = new Float64Array(outChannels * outH * outW);
    for (let c = 0; c < channels; c++) {
      for (let iy = 0; iy < height; iy++) {
        for (let ix = 0; ix < width; ix++) {
          const v = input[(c * height + iy) * width + ix];
          if (v === 0) continue;
          for (let o = 0; o < outChannels; o++) {
            const weights = (c * outChannels + o) * k * k;
            const plane = o * outH * outW;
            for (let ky = 0; ky < k; ky++) {
              const y = iy * stride - padding + ky;
              if (y < 0 || y >= outH) continue;
              for (let kx = 0; kx < k; kx++) {
                const x = ix * stride - padding + kx;
                if (x < 0 || x >= outW) continue;
                sums[plane + y * outW + x] += v * w[weights + ky * k + kx];
              }
            }
          }
        }
      }
    }
    const out = new Float32Array(sums.length);
    const planeSize = outH * outW;
    for (let i = 0; i < sums.length; i++) out[i] = b ? sums[i] + b[Math.floor(i / planeSize)] : sums[i];
    return out;
  }

  /** @type {Record<LayerSpec["type"], Kernel>} */
  const KERNELS = { linear, conv2d, conv_transpose2d: convTranspose2d };

  /**
   * The layers of a spec with their kernels and their weights' views into the blob.
   * @param {LayerSpec[]} layers
   * @param {ArrayBuffer} buffer
   * @returns {Layer[]}
   */
  function bind(layers, buffer) {
    return layers.map((layer) => {
      const forward = KERNELS[layer.type];
      if (!forward) throw new Error(`unknown layer type ${layer.type}`);
      const count = (/** @type {number[]} */ shape) => shape.reduce((a, b) => a * b, 1);
      const weightCount =
        layer.type === "linear"
          ? count(layer.in_shape) * count(layer.out_shape)
          : layer.in_shape[0] * layer.out_shape[0] * layer.kernel * layer.kernel;
      const w = new Float32Array(buffer, layer.weight, weightCount);
      const b = layer.bias === null ? null : new Float32Array(buffer, layer.bias, layer.out_shape[0]);
      return { ...layer, forward, w, b };
    });
  }

  /**
   * @param {Layer[]} layers
   * @param {Float32Array} input
   */
  function run(layers, input) {
    let values = input;
    for (const layer of layers) {
      values = layer.forward(layer, values);
      if (layer.activation === "relu") relu(values);
    }
    return values;
  }

  class Model {
    /**
     * @param {ModelSpec} spec
     * @param {ArrayBuffer} buffer
     */
    constructor(spec, buffer) {
      if (buffer.byteLength !== spec.bytes) {
        throw new Error(`weights hold ${buffer.byteLength} bytes, the model needs ${spec.bytes}`);
      }
      this.spec = spec;
      this.hash = spec.hash;
      this.latentDim = spec.latent_dim;
      this.pixels = spec.image_shape.reduce((a, b) => a * b, 1);
      this.decoder = bind(spec.decoder, buffer);
      this.encoder = bind(spec.encoder, buffer);
      // A VAE's to_logvar head reads the same features as to_mu (the encoder's last layer). Older specs lack it.
      this.logvarHead = spec.logvar_head && spec.logvar_head.length ? bind(spec.logvar_head, buffer) : null;
    }

    /** @param {ArrayLike<number> & {slice(start: number, end: number): ArrayLike<number>}} code */
    decodeLogits(code) {
      return run(this.decoder, Float32Array.from(code.slice(0, this.latentDim)));
    }

    /**
     * @param {ArrayLike<number> & {slice(start: number, end: number): ArrayLike<number>}} image
     * @returns {{mu: Float32Array, logvar: Float32Array | null}}
     */
    encodePosterior(image) {
      const input = Float32Array.from(image.slice(0, this.pixels));
      if (!this.logvarHead) return { mu: run(this.encoder, input), logvar: null };
      const features = run(this.encoder.slice(0, -1), input);
      const head = this.encoder[this.encoder.length - 1];
      return { mu: run([head], features), logvar: run(this.logvarHead, features) };
    }

    /**
     * @param {ArrayLike<number> & {slice(start: number, end: number): ArrayLike<number>}} codes
     * @param {number} [n]
     */
    decode(codes, n = 1) {
      const out = new Float32Array(n * this.pixels);
      for (let i = 0; i < n; i++) {
        const code = Float32Array.from(codes.slice(i * this.latentDim, (i + 1) * this.latentDim));
        const logits = run(this.decoder, code);
        for (let p = 0; p < this.pixels; p++) out[i * this.pixels + p] = sigmoid(logits[p]);
      }
      return out;
    }

    /**
     * @param {ArrayLike<number> & {slice(start: number, end: number): ArrayLike<number>}} images
     * @param {number} [n]
     */
    encode(images, n = 1) {
      const out = new Float32Array(n * this.latentDim);
      for (let i = 0; i < n; i++) {
        const image = Float32Array.from(images.slice(i * this.pixels, (i + 1) * this.pixels));
        out.set(run(this.encoder, image), i * this.latentDim);
      }
      return out;
    }
  }

  /**
   * @param {ModelSpec} spec
   * @param {ArrayBuffer} buffer
   */
  function fromBuffer(spec, buffer) {
    return new Model(spec, buffer);
  }

  /** @param {ModelEntry} entry */
  async function fetchModel(entry) {
    shared.fetches += 1;
    // The URL names the content's hash, so any cached copy is the right one: no revalidation needed.
    const url = new URL(entry.url, document.baseURI);
    const response = await fetch(url, { cache: "force-cache" });
    if (!response.ok) throw new Error(`the model's weights could not be loaded (HTTP ${response.status})`);
    return fromBuffer(entry.spec, await response.arrayBuffer());
  }

  /**
   * @param {ModelEntry} entry
   * @returns {Promise<Model>}
   */
  function load(entry) {
    let promise = shared.models.get(entry.hash);
    if (!promise) {
      promise = fetchModel(entry);
      // A failed load is forgotten, so the next attempt fetches again instead of failing forever.
      promise.catch(() => shared.models.delete(entry.hash));
      shared.models.set(entry.hash, promise);
    }
    return promise;
  }

  /**
   * @param {HTMLCanvasElement} canvas
   * @param {ArrayLike<number>} pixels
   * @param {number} [offset]
   * @param {number} [side]
   */
  function paint(canvas, pixels, offset = 0, side = 28) {
    if (canvas.width !== side || canvas.height !== side) {
      canvas.width = side;
      canvas.height = side;
    }
    const context = canvas.getContext("2d");
    const picture = context.createImageData(side, side);
    for (let p = 0; p < side * side; p++) {
      const grey = Math.round(Math.min(1, Math.max(0, pixels[offset + p])) * 255);
      picture.data[4 * p] = grey;
      picture.data[4 * p + 1] = grey;
      picture.data[4 * p + 2] = grey;
      picture.data[4 * p + 3] = 255;
    }
    context.putImageData(picture, 0, 0);
  }

  return {
    version: 2,
    load,
    fromBuffer,
    paint,
    sigmoid,
    fetchCount: () => shared.fetches,
  };
})();
/** @type {any} */ (globalThis).LatentRunner = LatentRunner;
