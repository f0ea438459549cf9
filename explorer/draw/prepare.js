/* MnistPrepare: a drawing's grey pixels in, an MNIST-style 28x28 digit out, in the browser.
 *
 * The same steps as vae/images.py (_mnist_digit), so a digit drawn here is what the Python side would make of
 * the same pixels uploaded as a file: decide dark-on-light or light-on-dark from the border, subtract the
 * background, crop to the ink (trimming dust), thicken hairlines, fit into a 20x20 box with PIL's resampling
 * (BOX when shrinking, BICUBIC otherwise, in float mode) and place the box in 28x28 by its centre of mass.
 * The numbers (the sizes, thresholds and trims) are vae/images.py's own: they come in the component's data as
 * `canvas.preparation` (explorer.draw.drawing.canvas), never copied here. The numeric steps mirror numpy's and
 * Pillow's arithmetic to the bit (pixel_math.js, in front of this file).
 *
 * Plain script, one namespace: concatenated in front of a component's module code, or loaded into a page
 * with a <script> tag in the tests.
 */
/** @typedef {import("./contract").Preparation} Preparation */
/** @typedef {{image: Float32Array, hasInk: boolean, inverted: boolean, reason: string}} Prepared */

const MnistPrepare = (() => {
  const f32 = Math.fround;
  const { roundHalfEven, rowSums, columnSums, median, trimmedSpan, dilate, FILTERS, resize, centreOfMass } = PixelMath;

  /** The outer `percent` % on every side (corners twice, as numpy's concatenation of four bands): its median.
   * @param {Float32Array} a @param {number} h @param {number} w @param {number} percent */
  function borderMedian(a, h, w, percent) {
    const k = Math.max(1, Math.floor((Math.min(h, w) * percent) / 100));
    const values = [];
    for (let y = 0; y < k; y++) for (let x = 0; x < w; x++) values.push(a[y * w + x]);
    for (let y = h - k; y < h; y++) for (let x = 0; x < w; x++) values.push(a[y * w + x]);
    for (let y = 0; y < h; y++) for (let x = 0; x < k; x++) values.push(a[y * w + x]);
    for (let y = 0; y < h; y++) for (let x = w - k; x < w; x++) values.push(a[y * w + x]);
    return median(values);
  }

  /** A stroke of width w and length L covers about wL pixels and has about 2L edge pixels.
   * @param {ArrayLike<number>} mask @param {number} h @param {number} w */
  function strokeWidth(mask, h, w) {
    let area = 0;
    let interior = 0;
    const at = (/** @type {number} */ y, /** @type {number} */ x) => y >= 0 && y < h && x >= 0 && x < w && mask[y * w + x];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!mask[y * w + x]) continue;
        area++;
        if (at(y - 1, x) && at(y + 1, x) && at(y, x - 1) && at(y, x + 1)) interior++;
      }
    }
    const edge = area - interior;
    return edge ? (2.0 * area) / edge : Math.max(h, w);
  }

  /** @param {string} reason @param {boolean} inverted @param {number} side @returns {Prepared} */
  function blank(reason, inverted, side) {
    return { image: new Float32Array(side * side), hasInk: false, inverted, reason };
  }

  /** Rows top..bottom and columns left..right of a w-wide image, as float32.
   * @param {Float32Array | Uint8Array} a @param {number} w @param {number} top @param {number} bottom
   * @param {number} left @param {number} right */
  function crop(a, w, top, bottom, left, right) {
    const cw = right - left + 1;
    const out = new Float32Array((bottom - top + 1) * cw);
    for (let y = top; y <= bottom; y++) out.set(a.subarray(y * w + left, y * w + right + 1), (y - top) * cw);
    return out;
  }

  /**
   * Ink above the background, on a 0..1 scale where 1 is the peak; plus the mask of what counts as ink. Plain loops:
   * TypedArray.from/map with a callback cost ~10x more, and this runs once per animation frame.
   * @param {Float32Array} data @param {number} h @param {number} w @param {Preparation} c
   */
  function normalisedInk(data, h, w, c) {
    const n = data.length;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (data[i] < lo) lo = data[i];
      if (data[i] > hi) hi = data[i];
    }
    const border = borderMedian(data, h, w, c.border_percent);
    const inverted = hi - lo < 1e-6 ? border > 0.5 : border > (lo + hi) / 2;
    const ink = new Float32Array(n);
    for (let i = 0; i < n; i++) ink[i] = inverted ? 1.0 - data[i] : data[i];
    const background = borderMedian(ink, h, w, c.border_percent);
    let peak = 0;
    for (let i = 0; i < n; i++) {
      ink[i] = Math.min(Math.max(ink[i] - background, 0.0), 1.0); // stored as float32, like numpy's result
      if (ink[i] > peak) peak = ink[i];
    }
    if (peak < c.min_contrast) return { inverted, peak, ink: null, mask: null };
    const threshold = f32(c.ink_threshold * peak);
    const floor = f32(c.noise_floor * peak);
    const span = f32((1.0 - c.noise_floor) * peak);
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      mask[i] = ink[i] >= threshold ? 1 : 0;
      ink[i] = Math.min(Math.max(f32(ink[i] - floor) / span, 0.0), 1.0);
    }
    return { inverted, peak, ink, mask };
  }

  /** Crop to the ink (dust trimmed off), then thicken hairlines so they end up at least min_stroke pixels wide
   * after the fit (see vae/images.py). @param {Float32Array} ink @param {Uint8Array} mask @param {number} h
   * @param {number} w @param {Preparation} c @returns {[Float32Array, number, number]} the crop, its height and width */
  function cropAndThicken(ink, mask, h, w, c) {
    const weights = new Float32Array(ink.length);
    for (let i = 0; i < ink.length; i++) if (mask[i]) weights[i] = ink[i];
    const [top, bottom] = trimmedSpan(rowSums(weights, h, w), c.ink_trim);
    const [left, right] = trimmedSpan(columnSums(weights, h, w), c.ink_trim);
    const ch = bottom - top + 1;
    const cw = right - left + 1;
    const cropped = crop(ink, w, top, bottom, left, right);
    const target = c.min_stroke / c.box_size;
    const width = strokeWidth(crop(mask, w, top, bottom, left, right), ch, cw);
    const radius = Math.ceil((target * Math.max(ch, cw) - width) / (2.0 * (1.0 - target)));
    return radius > 0 ? [dilate(cropped, ch, cw, radius), ch + 2 * radius, cw + 2 * radius] : [cropped, ch, cw];
  }

  /**
   * Prepare a grey image (Float32Array of h*w values in [0, 1], row-major) like an MNIST digit, with vae/images.py's
   * numbers `c`. Returns {image: Float32Array(side * side) in [0, 1], hasInk, inverted, reason}; reason says why it
   * is blank.
   * @param {Float32Array} data @param {number} w @param {number} h @param {Preparation} c @returns {Prepared}
   */
  function prepare(data, w, h, c) {
    if (data.length !== w * h) throw new Error(`expected ${w * h} grey values, got ${data.length}`);
    const side = c.mnist_size;
    const { inverted, peak, ink, mask } = normalisedInk(data, h, w, c);
    if (!ink) return blank(peak > 0 ? "the drawing is too faint" : "nothing drawn yet", inverted, side);
    const [cropped, ch, cw] = cropAndThicken(ink, mask, h, w, c);

    const scale = c.box_size / Math.max(ch, cw);
    const fitW = Math.min(c.box_size, Math.max(1, roundHalfEven(cw * scale)));
    const fitH = Math.min(c.box_size, Math.max(1, roundHalfEven(ch * scale)));
    const shrinking = fitW < cw || fitH < ch;
    const fitted = resize(cropped, ch, cw, fitW, fitH, shrinking ? FILTERS.box : FILTERS.bicubic);
    let fittedSum = 0;
    for (const v of fitted) fittedSum += v;
    if (fittedSum <= 0) return blank("the drawing is too faint", inverted, side);

    // Whole-pixel shift putting the centre of mass on the middle, never pushing ink out of the frame.
    const [centreRow, centreCol] = centreOfMass(fitted, fitH, fitW);
    const row = Math.min(Math.max(roundHalfEven(side / 2 - centreRow), 0), side - fitH);
    const col = Math.min(Math.max(roundHalfEven(side / 2 - centreCol), 0), side - fitW);
    const image = new Float32Array(side * side);
    let top = 0;
    for (let y = 0; y < fitH; y++) {
      for (let x = 0; x < fitW; x++) {
        const v = fitted[y * fitW + x];
        image[(row + y) * side + col + x] = v;
        top = Math.max(top, v);
      }
    }
    for (let i = 0; i < image.length; i++) image[i] = Math.min(Math.max(f32(image[i] / top), 0.0), 1.0);
    return { image, hasInk: true, inverted, reason: "" };
  }

  /** Grey values of canvas pixels (ImageData.data, RGBA bytes), as PIL's convert("L") / 255 would give for
   * an opaque picture: the ITU-R 601 luma with PIL's integer rounding. @param {ArrayLike<number>} rgba */
  function greyFromRGBA(rgba) {
    const out = new Float32Array(rgba.length / 4);
    for (let i = 0; i < out.length; i++) {
      const r = rgba[4 * i];
      const g = rgba[4 * i + 1];
      const b = rgba[4 * i + 2];
      out[i] = f32(((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255);
    }
    return out;
  }

  return { prepare, greyFromRGBA };
})();
/** @type {any} */ (globalThis).MnistPrepare = MnistPrepare;
