/* MnistPrepare: a drawing's grey pixels in, an MNIST-style 28x28 digit out, in the browser.
 *
 * The same steps as vae/images.py (_mnist_digit), so a digit drawn here is what the Python side would make of
 * the same pixels uploaded as a file: decide dark-on-light or light-on-dark from the border, subtract the
 * background, crop to the ink (trimming dust), thicken hairlines, fit into a 20x20 box with PIL's resampling
 * (BOX when shrinking, BICUBIC otherwise, in float mode) and place the box in 28x28 by its centre of mass.
 *
 * Matching to the last bit matters in two places: the whole-pixel centring shift rounds half to even on
 * values that are exact halves for symmetric drawings, and the trim thresholds compare running sums. So the
 * numeric steps mirror numpy's float32 arithmetic (Math.fround) and summation order (pairwise sums along a
 * contiguous row, row-by-row accumulation down columns) and Pillow's resampling coefficients.
 *
 * Plain script, one namespace: concatenated in front of a component's module code, or loaded into a page
 * with a <script> tag in the tests.
 */
const MnistPrepare = (() => {
  const MNIST = 28;
  const BOX = 20;
  const MIN_CONTRAST = 0.1;
  const NOISE_FLOOR = 0.1;
  const INK_THRESHOLD = 0.25;
  const INK_TRIM = 0.005;
  const MIN_STROKE = 2.0;
  const f32 = Math.fround;

  // Python's round(): halves go to the even neighbour.
  function roundHalfEven(x) {
    const floor = Math.floor(x);
    const diff = x - floor;
    if (diff < 0.5) return floor;
    if (diff > 0.5) return floor + 1;
    return floor % 2 === 0 ? floor : floor + 1;
  }

  // numpy's pairwise summation of a[start .. start+n): eight running sums in blocks of up to 128 values,
  // larger runs split in two. `round` is Math.fround for float32 arrays (numpy accumulates in the array's
  // dtype) and the identity for float64. Indexing the array directly, not through a callback, keeps it fast.
  function pairwiseSum(a, start, n, round) {
    if (n < 8) {
      let total = 0;
      for (let i = 0; i < n; i++) total = round(total + a[start + i]);
      return total;
    }
    if (n <= 128) {
      let r0 = a[start];
      let r1 = a[start + 1];
      let r2 = a[start + 2];
      let r3 = a[start + 3];
      let r4 = a[start + 4];
      let r5 = a[start + 5];
      let r6 = a[start + 6];
      let r7 = a[start + 7];
      let i = 8;
      for (; i < n - (n % 8); i += 8) {
        const p = start + i;
        r0 = round(r0 + a[p]);
        r1 = round(r1 + a[p + 1]);
        r2 = round(r2 + a[p + 2]);
        r3 = round(r3 + a[p + 3]);
        r4 = round(r4 + a[p + 4]);
        r5 = round(r5 + a[p + 5]);
        r6 = round(r6 + a[p + 6]);
        r7 = round(r7 + a[p + 7]);
      }
      let total = round(round(round(r0 + r1) + round(r2 + r3)) + round(round(r4 + r5) + round(r6 + r7)));
      for (; i < n; i++) total = round(total + a[start + i]);
      return total;
    }
    let half = Math.floor(n / 2);
    half -= half % 8;
    return round(pairwiseSum(a, start, half, round) + pairwiseSum(a, start + half, n - half, round));
  }

  const identity = (x) => x;

  // Sums of each row (pairwise, float32) and each column (row after row, float32) of an h x w image.
  function rowSums(a, h, w) {
    const out = new Float32Array(h);
    for (let y = 0; y < h; y++) out[y] = pairwiseSum(a, y * w, w, f32);
    return out;
  }

  function columnSums(a, h, w) {
    const out = new Float32Array(w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x] = f32(out[x] + a[y * w + x]);
    return out;
  }

  // The outer 3% on every side (corners twice, as numpy's concatenation of four bands).
  function borderMedian(a, h, w) {
    const k = Math.max(1, Math.floor((Math.min(h, w) * 3) / 100));
    const values = [];
    for (let y = 0; y < k; y++) for (let x = 0; x < w; x++) values.push(a[y * w + x]);
    for (let y = h - k; y < h; y++) for (let x = 0; x < w; x++) values.push(a[y * w + x]);
    for (let y = 0; y < h; y++) for (let x = 0; x < k; x++) values.push(a[y * w + x]);
    for (let y = 0; y < h; y++) for (let x = w - k; x < w; x++) values.push(a[y * w + x]);
    const sorted = Float32Array.from(values).sort();
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : f32(f32(sorted[mid - 1] + sorted[mid]) / 2);
  }

  // First and last index of a mass profile once up to `trim` of the total is cut from each end.
  function trimmedSpan(mass, trim) {
    const cumulative = new Float64Array(mass.length);
    let running = 0;
    for (let i = 0; i < mass.length; i++) cumulative[i] = running += mass[i];
    const total = cumulative[mass.length - 1];
    const low = trim * total;
    const high = (1.0 - trim) * total;
    let start = 0;
    while (start < mass.length && !(cumulative[start] > low)) start++;
    let stop = 0;
    while (stop < mass.length && !(cumulative[stop] >= high)) stop++;
    return [Math.min(start, stop), Math.max(start, stop)];
  }

  // A stroke of width w and length L covers about wL pixels and has about 2L edge pixels.
  function strokeWidth(mask, h, w) {
    let area = 0;
    let interior = 0;
    const at = (y, x) => y >= 0 && y < h && x >= 0 && x < w && mask[y * w + x];
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

  // Grey dilation by a (2r+1) square, the image first padded by r zeros on every side.
  function dilate(a, h, w, r) {
    const H = h + 2 * r;
    const W = w + 2 * r;
    const rows = new Float32Array(H * W);
    for (let y = 0; y < h; y++) {
      for (let X = 0; X < W; X++) {
        let best = 0;
        for (let x = Math.max(0, X - 2 * r); x <= Math.min(w - 1, X); x++) best = Math.max(best, a[y * w + x]);
        rows[(y + r) * W + X] = best;
      }
    }
    const out = new Float32Array(H * W);
    for (let Y = 0; Y < H; Y++) {
      for (let X = 0; X < W; X++) {
        let best = 0;
        for (let y = Math.max(0, Y - r); y <= Math.min(H - 1, Y + r); y++) best = Math.max(best, rows[y * W + X]);
        out[Y * W + X] = best;
      }
    }
    return out;
  }

  const FILTERS = {
    box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1.0 : 0.0) },
    bicubic: {
      support: 2.0,
      weight: (x) => {
        const a = -0.5;
        const t = Math.abs(x);
        if (t < 1.0) return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
        if (t < 2.0) return (((t - 5) * t + 8) * t - 4) * a;
        return 0.0;
      },
    },
  };

  // Pillow's per-output-pixel taps for one axis: [first source index, weights normalised to sum 1].
  function taps(inSize, outSize, filter) {
    const scale = inSize / outSize;
    const filterScale = Math.max(scale, 1.0);
    const support = filter.support * filterScale;
    const result = [];
    for (let o = 0; o < outSize; o++) {
      const centre = (o + 0.5) * scale;
      const first = Math.max(0, Math.trunc(centre - support + 0.5));
      const last = Math.min(inSize, Math.trunc(centre + support + 0.5));
      const weights = [];
      let sum = 0.0;
      for (let i = first; i < last; i++) {
        const weight = filter.weight((i - centre + 0.5) / filterScale);
        weights.push(weight);
        sum += weight;
      }
      result.push([first, sum !== 0.0 ? weights.map((weight) => weight / sum) : weights]);
    }
    return result;
  }

  // Image.fromarray(float32).resize((outW, outH), filter): horizontal pass, float32 store, vertical pass.
  function resize(a, h, w, outW, outH, filter) {
    let current = a;
    if (outW !== w) {
      const tx = taps(w, outW, filter);
      const next = new Float32Array(h * outW);
      for (let y = 0; y < h; y++) {
        for (let o = 0; o < outW; o++) {
          const [first, weights] = tx[o];
          let sum = 0.0;
          for (let k = 0; k < weights.length; k++) sum += current[y * w + first + k] * weights[k];
          next[y * outW + o] = sum;
        }
      }
      current = next;
    }
    if (outH !== h) {
      const ty = taps(h, outH, filter);
      const next = new Float32Array(outH * outW);
      for (let o = 0; o < outH; o++) {
        const [first, weights] = ty[o];
        for (let x = 0; x < outW; x++) {
          let sum = 0.0;
          for (let k = 0; k < weights.length; k++) sum += current[(first + k) * outW + x] * weights[k];
          next[o * outW + x] = sum;
        }
      }
      current = next;
    }
    const out = new Float32Array(current.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.max(current[i], 0);
    return out;
  }

  function centreOfMass(a, h, w) {
    const total = pairwiseSum(a, 0, h * w, f32);
    const rows = Float64Array.from(rowSums(a, h, w), (v, i) => v * i); // float32 sums times int64 indices
    const cols = Float64Array.from(columnSums(a, h, w), (v, i) => v * i);
    const row = pairwiseSum(rows, 0, h, identity) / total;
    const col = pairwiseSum(cols, 0, w, identity) / total;
    return [row, col];
  }

  function blank(reason, inverted) {
    return { image: new Float32Array(MNIST * MNIST), hasInk: false, inverted, reason };
  }

  function crop(a, w, top, bottom, left, right) {
    const cw = right - left + 1;
    const out = new Float32Array((bottom - top + 1) * cw);
    for (let y = top; y <= bottom; y++) out.set(a.subarray(y * w + left, y * w + right + 1), (y - top) * cw);
    return out;
  }

  // Ink above the background, on a 0..1 scale where 1 is the peak; plus the mask of what counts as ink.
  // Plain loops: TypedArray.from/map with a callback cost ~10x more, and this runs once per animation frame.
  function normalisedInk(grey) {
    const { data, h, w } = grey;
    const n = data.length;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (data[i] < lo) lo = data[i];
      if (data[i] > hi) hi = data[i];
    }
    const border = borderMedian(data, h, w);
    const inverted = hi - lo < 1e-6 ? border > 0.5 : border > (lo + hi) / 2;
    const ink = new Float32Array(n);
    for (let i = 0; i < n; i++) ink[i] = inverted ? 1.0 - data[i] : data[i];
    const background = borderMedian(ink, h, w);
    let peak = 0;
    for (let i = 0; i < n; i++) {
      ink[i] = Math.min(Math.max(ink[i] - background, 0.0), 1.0); // stored as float32, like numpy's result
      if (ink[i] > peak) peak = ink[i];
    }
    if (peak < MIN_CONTRAST) return { inverted, peak };
    const threshold = f32(INK_THRESHOLD * peak);
    const floor = f32(NOISE_FLOOR * peak);
    const span = f32((1.0 - NOISE_FLOOR) * peak);
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      mask[i] = ink[i] >= threshold ? 1 : 0;
      ink[i] = Math.min(Math.max(f32(ink[i] - floor) / span, 0.0), 1.0);
    }
    return { inverted, peak, ink, mask };
  }

  /* Prepare a grey image (Float32Array of h*w values in [0, 1], row-major) like an MNIST digit.
   * Returns {image: Float32Array(784) in [0, 1], hasInk, inverted, reason}; reason says why it is blank. */
  function prepare(data, w, h) {
    if (data.length !== w * h) throw new Error(`expected ${w * h} grey values, got ${data.length}`);
    const { inverted, peak, ink, mask } = normalisedInk({ data, h, w });
    if (!ink) return blank(peak > 0 ? "the drawing is too faint" : "nothing drawn yet", inverted);

    const weights = new Float32Array(ink.length);
    for (let i = 0; i < ink.length; i++) if (mask[i]) weights[i] = ink[i];
    const [top, bottom] = trimmedSpan(rowSums(weights, h, w), INK_TRIM);
    const [left, right] = trimmedSpan(columnSums(weights, h, w), INK_TRIM);
    let ch = bottom - top + 1;
    let cw = right - left + 1;
    let cropped = crop(ink, w, top, bottom, left, right);

    // Thicken hairlines so they end up at least MIN_STROKE pixels wide after the fit (see vae/images.py).
    const target = MIN_STROKE / BOX;
    const width = strokeWidth(crop(mask, w, top, bottom, left, right), ch, cw);
    const radius = Math.ceil((target * Math.max(ch, cw) - width) / (2.0 * (1.0 - target)));
    if (radius > 0) {
      cropped = dilate(cropped, ch, cw, radius);
      ch += 2 * radius;
      cw += 2 * radius;
    }

    const scale = BOX / Math.max(ch, cw);
    const fitW = Math.min(BOX, Math.max(1, roundHalfEven(cw * scale)));
    const fitH = Math.min(BOX, Math.max(1, roundHalfEven(ch * scale)));
    const shrinking = fitW < cw || fitH < ch;
    const fitted = resize(cropped, ch, cw, fitW, fitH, shrinking ? FILTERS.box : FILTERS.bicubic);
    let fittedSum = 0;
    for (const v of fitted) fittedSum += v;
    if (fittedSum <= 0) return blank("the drawing is too faint", inverted);

    // Whole-pixel shift putting the centre of mass on (14, 14), never pushing ink out of the frame.
    const [centreRow, centreCol] = centreOfMass(fitted, fitH, fitW);
    const row = Math.min(Math.max(roundHalfEven(MNIST / 2 - centreRow), 0), MNIST - fitH);
    const col = Math.min(Math.max(roundHalfEven(MNIST / 2 - centreCol), 0), MNIST - fitW);
    const image = new Float32Array(MNIST * MNIST);
    let top28 = 0;
    for (let y = 0; y < fitH; y++) {
      for (let x = 0; x < fitW; x++) {
        const v = fitted[y * fitW + x];
        image[(row + y) * MNIST + col + x] = v;
        top28 = Math.max(top28, v);
      }
    }
    for (let i = 0; i < image.length; i++) image[i] = Math.min(Math.max(f32(image[i] / top28), 0.0), 1.0);
    return { image, hasInk: true, inverted, reason: "" };
  }

  /* Grey values of canvas pixels (ImageData.data, RGBA bytes), as PIL's convert("L") / 255 would give for
   * an opaque picture: the ITU-R 601 luma with PIL's integer rounding. */
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

  return { prepare, greyFromRGBA, MNIST, BOX, _internal: { roundHalfEven, pairwiseSum, resize, taps, FILTERS } };
})();
