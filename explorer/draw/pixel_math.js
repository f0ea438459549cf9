/* PixelMath: the numeric steps of numpy, scipy.ndimage and Pillow that vae/images.py calls, mirrored in the browser
 * to the bit, for prepare.js (MnistPrepare) to make the same 28x28 digit from the same pixels.
 *
 * Matching to the last bit matters in two places: the whole-pixel centring shift rounds half to even on values
 * that are exact halves for symmetric drawings, and the trim thresholds compare running sums. So the sums mirror
 * numpy's float32 arithmetic (Math.fround) and summation order (pairwise sums along a contiguous row, row-by-row
 * accumulation down columns), and the resampling Pillow's coefficients.
 *
 * A plain script (no import/export), like runner.js: it defines one namespace, PixelMath, also set on globalThis.
 */
/** @typedef {{support: number, weight: (x: number) => number}} Filter */

const PixelMath = (() => {
  const f32 = Math.fround;
  /** @param {number} x */
  const identity = (x) => x;

  /** Python's round(): halves go to the even neighbour.
   * @param {number} x */
  function roundHalfEven(x) {
    const floor = Math.floor(x);
    const diff = x - floor;
    if (diff < 0.5) return floor;
    if (diff > 0.5) return floor + 1;
    return floor % 2 === 0 ? floor : floor + 1;
  }

  /**
   * numpy's pairwise summation of a[start .. start+n): eight running sums in blocks of up to 128 values, larger
   * runs split in two. `round` is Math.fround for float32 arrays (numpy accumulates in the array's dtype) and the
   * identity for float64. Indexing the array directly, not through a callback, keeps it fast.
   * @param {ArrayLike<number>} a
   * @param {number} start
   * @param {number} n
   * @param {(x: number) => number} round
   * @returns {number}
   */
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

  /** Sums of each row of an h x w float32 image (pairwise, as numpy's sum(axis=1)).
   * @param {ArrayLike<number>} a @param {number} h @param {number} w */
  function rowSums(a, h, w) {
    const out = new Float32Array(h);
    for (let y = 0; y < h; y++) out[y] = pairwiseSum(a, y * w, w, f32);
    return out;
  }

  /** Sums of each column (row after row, float32, as numpy's sum(axis=0)).
   * @param {ArrayLike<number>} a @param {number} h @param {number} w */
  function columnSums(a, h, w) {
    const out = new Float32Array(w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x] = f32(out[x] + a[y * w + x]);
    return out;
  }

  /** numpy's median of float32 values.
   * @param {number[]} values */
  function median(values) {
    const sorted = Float32Array.from(values).sort();
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : f32(f32(sorted[mid - 1] + sorted[mid]) / 2);
  }

  /**
   * First and last index of a mass profile once up to `trim` of the total is cut from each end (np.cumsum in
   * float64, then searchsorted right for the start and left for the stop).
   * @param {ArrayLike<number>} mass
   * @param {number} trim
   * @returns {[number, number]}
   */
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

  /** Grey dilation by a (2r+1) square, the image first padded by r zeros on every side (np.pad, then
   * ndimage.maximum_filter). @param {Float32Array} a @param {number} h @param {number} w @param {number} r */
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

  /** @type {{box: Filter, bicubic: Filter}} */
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

  /**
   * Pillow's per-output-pixel taps for one axis: [first source index, weights normalised to sum 1].
   * @param {number} inSize
   * @param {number} outSize
   * @param {Filter} filter
   * @returns {[number, number[]][]}
   */
  function taps(inSize, outSize, filter) {
    const scale = inSize / outSize;
    const filterScale = Math.max(scale, 1.0);
    const support = filter.support * filterScale;
    /** @type {[number, number[]][]} */
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

  /**
   * Image.fromarray(float32).resize((outW, outH), filter): horizontal pass, float32 store, vertical pass; then
   * negatives clipped to 0 (vae.images._resize).
   * @param {Float32Array} a @param {number} h @param {number} w @param {number} outW @param {number} outH
   * @param {Filter} filter
   */
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

  /** ndimage.center_of_mass of an h x w float32 image: [row, col].
   * @param {Float32Array} a @param {number} h @param {number} w @returns {[number, number]} */
  function centreOfMass(a, h, w) {
    const total = pairwiseSum(a, 0, h * w, f32);
    const rows = Float64Array.from(rowSums(a, h, w), (v, i) => v * i); // float32 sums times int64 indices
    const cols = Float64Array.from(columnSums(a, h, w), (v, i) => v * i);
    const row = pairwiseSum(rows, 0, h, identity) / total;
    const col = pairwiseSum(cols, 0, w, identity) / total;
    return [row, col];
  }

  return { roundHalfEven, pairwiseSum, rowSums, columnSums, median, trimmedSpan, dilate, FILTERS, taps, resize, centreOfMass };
})();
/** @type {any} */ (globalThis).PixelMath = PixelMath;
