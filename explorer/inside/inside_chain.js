/* InsideChain: the Inside the VAE page's one digit through the VAE, as numbers (no DOM): q(z|x) from the encoder,
 * eps and z = mu + sigma * eps, the decoder's mean and pixel samples at z, the Monte Carlo reconstruction term over n
 * draws and the k-sample bound accumulated over frames; and the autoencoder's code and squared error of the same
 * digit. inside.js's controller keeps one and paints what it holds (inside_view.js).
 *
 * A plain script (no import/export), like runner.js: it defines one class, InsideChain, also set on globalThis.
 * Needs elbo.js in front of it (ElboMath).
 */
/** @typedef {Awaited<ReturnType<typeof LatentRunner.load>>} RunnerModel */

class InsideChain {
  constructor() {
    /** @type {Float32Array} the digit, 784 pixels in [0, 1] */
    this.x = null;
    /** q(z|x): mu, logvar and sigma (float64 and the runner's float32), the KL per dimension and its sum */
    this.post = null;
    /** @type {Float64Array} */
    this.eps = null;
    /** @type {Float64Array} */
    this.z = null;
    this.estimator = null;
    /** @type {{code: Float32Array, picture: Float32Array, squared: number}} the autoencoder's, or null */
    this.ae = null;
    this.seed = 1; // the estimators' draws; "New estimator draws" moves it on
    /** @type {{binarized: boolean, seed: number, bound_of: string}} which x is scored, and what its bound is of */
    this.scoring = { binarized: false, seed: 1, bound_of: "log p(x)" };
    this.epsSource = ElboMath.rng(20240521);
    this.pixelSource = ElboMath.rng(7);
  }

  /** A new digit: its posterior under `vae`, z at the current eps, and the autoencoder's code of it (if any).
   * @param {Float32Array} x @param {RunnerModel} vae @param {RunnerModel | null} ae */
  setDigit(x, vae, ae) {
    // A model trained on binarised digits defines p(x) for black-and-white x: score one binarisation of the digit.
    this.x = this.scoring.binarized ? ElboMath.binarize(x, ElboMath.rng(this.scoring.seed)) : x;
    x = this.x;
    const { mu, logvar } = vae.encodePosterior(x);
    const sigma = ElboMath.sigmaOf(logvar);
    const klPerDim = ElboMath.klPerDim(mu, logvar);
    const post = { mu: Float64Array.from(mu), logvar: Float64Array.from(logvar), sigma, muF: mu, logvarF: logvar };
    this.post = { ...post, klPerDim, kl: ElboMath.sum(klPerDim) };
    if (!this.eps || this.eps.length !== mu.length) this.eps = ElboMath.normals(this.epsSource, mu.length);
    this.z = ElboMath.codeAt(this.post.mu, sigma, this.eps);
    this.estimator = null;
    this.ae = null;
    if (ae) {
      const code = ae.encode(x, 1);
      const picture = ae.decode(code, 1);
      let squared = 0;
      for (let p = 0; p < 784; p++) squared += (picture[p] - x[p]) ** 2;
      this.ae = { code, picture, squared };
    }
  }

  /** No digit (a blank drawing or image). */
  clear() {
    this.x = null;
    this.post = null;
  }

  /** A fresh eps from the seeded source, and z with it. */
  newEps() {
    if (!this.post) return;
    this.eps = ElboMath.normals(this.epsSource, this.post.mu.length);
    this.z = ElboMath.codeAt(this.post.mu, this.post.sigma, this.eps);
  }

  /** z set directly (the dot dragged on the plane): eps is what gives it, (z - mu) / sigma.
   * @param {Float64Array} z */
  moveTo(z) {
    this.z = z;
    this.eps = Float64Array.from(z, (value, j) => (value - this.post.mu[j]) / this.post.sigma[j]);
  }

  /** The estimators for n Monte Carlo draws and k importance samples, unless they run already.
   * @param {RunnerModel} vae @param {number} n @param {number} k */
  ensureEstimator(vae, n, k) {
    if (this.estimator) return;
    const dim = this.post.mu.length;
    const { muF, logvarF } = this.post;
    const recon = ElboMath.reconstruction(vae, this.x, muF, logvarF, ElboMath.normals(ElboMath.rng(this.seed), n * dim), n);
    const epsK = ElboMath.normals(ElboMath.rng(this.seed + 100003), k * dim);
    const iw = ElboMath.iwAccumulator(vae, this.x, muF, logvarF, epsK, k);
    this.estimator = { n, k, recon, iw, milestones: [], boundOf: this.scoring.bound_of };
  }

  /**
   * More of the k-sample bound, for at most `budgetMs`, stopping at each of `milestones` (1, 10, 100, ...) to record
   * the bound there, so the gap can be shown closing as k grows; true while samples remain.
   * @param {number} budgetMs @param {number[]} marks
   */
  stepEstimator(budgetMs, marks) {
    const { iw, milestones, k } = this.estimator;
    const until = performance.now() + budgetMs;
    while (iw.done < k && performance.now() < until) {
      const next = marks.find((m) => m > iw.done) || k;
      iw.step(Math.min(8, Math.min(next, k) - iw.done));
      if (marks.includes(iw.done) || iw.done === k) {
        if (!milestones.some((/** @type {{k: number}} */ m) => m.k === iw.done)) milestones.push({ k: iw.done, bound: iw.value() });
      }
    }
    return iw.done < k;
  }

  /** The decoder's mean at z and `count` Bernoulli pixel samples of it.
   * @param {RunnerModel} vae @param {number} count */
  decode(vae, count) {
    this.meanImage = vae.decode(this.z, 1);
    this.samples = ElboMath.samplePixels(this.meanImage, this.pixelSource, count);
  }
}
/** @type {any} */ (globalThis).InsideChain = InsideChain;
