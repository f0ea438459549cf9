// ElboMath: the VAE objective's pieces for one image, computed in the page (the "Inside the VAE" page).
//
// Everything here works on plain arrays and a LatentRunner model (runner.js), in double precision on top of
// the runner's float32 layers, and mirrors the vae library's formulas (vae/losses.py, vae/posterior.py,
// vae/evaluate.py):
//   KL_j   = -1/2 (1 + logvar_j - mu_j^2 - exp(logvar_j))                      closed form, per dimension
//   log p(x|z) = -sum_p BCE(logit_p, x_p)     Bernoulli on grey levels (or the Gaussian a config names)
//   E_q[-log p(x|z)] ~ mean over n draws z = mu + sigma * eps, with its standard error
//   log p(x) >= log (1/k) sum_i exp(log p(x|z_i) + log p(z_i) - log q(z_i|x))  importance-weighted bound
// plus a seeded PRNG with Box-Muller normals (so tests can fix eps, or pass eps arrays of their own), the
// projected 2x2 covariance W diag(sigma^2) W^T with its eigen-decomposition (the ellipse's axes), and
// Bernoulli pixel samples x ~ p(x|z).
//
// A plain script (no import/export), like runner.js: it defines one namespace, ElboMath, also on globalThis.

const ElboMath = (() => {
  const LOG_2PI = Math.log(2 * Math.PI);

  /** mulberry32: a small seeded uniform generator in [0, 1). */
  function uniform(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** A seeded source of uniforms and standard normals (Box-Muller, both values of a pair used). */
  function rng(seed = 0) {
    const next = uniform(seed);
    let spare = null;
    return {
      uniform: next,
      normal() {
        if (spare !== null) {
          const value = spare;
          spare = null;
          return value;
        }
        let u = 0;
        while (u === 0) u = next(); // log(0) would be -Infinity
        const radius = Math.sqrt(-2 * Math.log(u));
        const angle = 2 * Math.PI * next();
        spare = radius * Math.sin(angle);
        return radius * Math.cos(angle);
      },
    };
  }

  function normals(source, count) {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = source.normal();
    return out;
  }

  function klPerDim(mu, logvar) {
    return Float64Array.from(mu, (m, j) => -0.5 * (1 + logvar[j] - m * m - Math.exp(logvar[j])));
  }

  function sum(values) {
    let total = 0;
    for (const v of values) total += v;
    return total;
  }

  /** log p(x|z) for Bernoulli pixels with the decoder's logits: -sum BCE-with-logits, stable for any logit. */
  function bernoulliLogLik(logits, x) {
    let total = 0;
    for (let p = 0; p < logits.length; p++) {
      const l = logits[p];
      total -= Math.max(l, 0) - l * x[p] + Math.log1p(Math.exp(-Math.abs(l)));
    }
    return total;
  }

  /** log p(x|z) under the model's likelihood (spec.likelihood), as vae.losses.reconstruction_nll negated. */
  function logLikelihood(model, logits, x) {
    const spec = model.spec || {};
    if (spec.likelihood !== "gaussian") return bernoulliLogLik(logits, x);
    const std = spec.gaussian_std || 1;
    let squared = 0;
    for (let p = 0; p < logits.length; p++) {
      const d = LatentRunner.sigmoid(logits[p]) - x[p];
      squared += d * d;
    }
    return -(0.5 * squared) / (std * std) - logits.length * (Math.log(std) + 0.5 * LOG_2PI);
  }

  /** z = mu + sigma * eps for draw `row` of a flat eps array (rows of D values). */
  function codeAt(mu, sigma, eps, row = 0) {
    const dim = mu.length;
    return Float64Array.from(mu, (m, j) => m + sigma[j] * eps[row * dim + j]);
  }

  function sigmaOf(logvar) {
    return Float64Array.from(logvar, (lv) => Math.exp(0.5 * lv));
  }

  function logNormal(z, mu, logvar) {
    // log N(z; mu, diag exp(logvar)), summed over dimensions (vae.posterior.DiagonalGaussian.log_prob).
    let total = 0;
    for (let j = 0; j < z.length; j++) {
      const m = mu ? mu[j] : 0;
      const lv = logvar ? logvar[j] : 0;
      total += LOG_2PI + lv + ((z[j] - m) * (z[j] - m)) / Math.exp(lv);
    }
    return -0.5 * total;
  }

  /** E_q[-log p(x|z)] over the draws in eps (n rows): {mean, se, values}; se is the sample sd / sqrt(n). */
  function reconstruction(model, x, mu, logvar, eps, n) {
    const sigma = sigmaOf(logvar);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = -logLikelihood(model, model.decodeLogits(codeAt(mu, sigma, eps, i)), x);
    const mean = sum(values) / n;
    let squares = 0;
    for (const v of values) squares += (v - mean) * (v - mean);
    const se = n > 1 ? Math.sqrt(squares / (n - 1) / n) : NaN;
    return { mean, se, values };
  }

  /** One importance weight's log: log p(x|z) + log p(z) - log q(z|x), at draw `row` of eps. */
  function logWeight(model, x, mu, logvar, sigma, eps, row) {
    const z = codeAt(mu, sigma, eps, row);
    return logLikelihood(model, model.decodeLogits(z), x) + logNormal(z, null, null) - logNormal(z, mu, logvar);
  }

  /**
   * The k-sample bound, accumulated a few draws at a time (so a page can spread k = 1,000 over frames):
   * acc.step(count) evaluates up to `count` more weights; acc.value() is log (1/done) sum exp(log w) so far.
   */
  function iwAccumulator(model, x, mu, logvar, eps, k) {
    const sigma = sigmaOf(logvar);
    let done = 0;
    let peak = -Infinity;
    let scaled = 0; // sum of exp(log w - peak)
    return {
      k,
      get done() {
        return done;
      },
      step(count = k) {
        const end = Math.min(k, done + count);
        for (; done < end; done++) {
          const w = logWeight(model, x, mu, logvar, sigma, eps, done);
          if (w > peak) {
            scaled = scaled * Math.exp(peak - w) + 1;
            peak = w;
          } else {
            scaled += Math.exp(w - peak);
          }
        }
        return done >= k;
      },
      value() {
        return done ? peak + Math.log(scaled) - Math.log(done) : NaN;
      },
    };
  }

  /** The whole k-sample bound on log p(x) at once (eps: k rows of D values). */
  function iwBound(model, x, mu, logvar, eps, k) {
    const acc = iwAccumulator(model, x, mu, logvar, eps, k);
    acc.step(k);
    return acc.value();
  }

  /** W diag(s2) W^T for a 2 x D plane W: [a, b, c] of the symmetric [[a, b], [b, c]]. */
  function projectedCovariance(components, variances) {
    const [u, v] = components;
    let a = 0;
    let b = 0;
    let c = 0;
    for (let j = 0; j < variances.length; j++) {
      a += u[j] * u[j] * variances[j];
      b += u[j] * v[j] * variances[j];
      c += v[j] * v[j] * variances[j];
    }
    return [a, b, c];
  }

  /** Eigen-decomposition of [[a, b], [b, c]]: values largest first, unit vectors; axes = sqrt(values). */
  function eigen2(a, b, c) {
    const mean = (a + c) / 2;
    const radius = Math.hypot((a - c) / 2, b);
    const values = [mean + radius, Math.max(0, mean - radius)];
    let first;
    if (Math.abs(b) > 1e-300) first = [values[0] - c, b];
    else first = a >= c ? [1, 0] : [0, 1];
    const length = Math.hypot(first[0], first[1]);
    first = [first[0] / length, first[1] / length];
    const vectors = [first, [-first[1], first[0]]];
    return { values, vectors, axes: values.map(Math.sqrt), angle: Math.atan2(first[1], first[0]) };
  }

  /** `count` pictures of independent Bernoulli pixels with the given means: Uint8Array(count * pixels). */
  /** One Bernoulli draw per pixel: 1 with probability its grey level (the x a binarised model is scored on).
   * @param {Float32Array} x @param {{uniform: () => number}} source */
  function binarize(x, source) {
    return Float32Array.from(x, (v) => (source.uniform() < v ? 1 : 0));
  }

  function samplePixels(means, source, count) {
    const out = new Uint8Array(count * means.length);
    for (let s = 0; s < count; s++) {
      const row = s * means.length;
      for (let p = 0; p < means.length; p++) out[row + p] = source.uniform() < means[p] ? 1 : 0;
    }
    return out;
  }

  return {
    rng,
    normals,
    klPerDim,
    sum,
    sigmaOf,
    codeAt,
    logNormal,
    bernoulliLogLik,
    logLikelihood,
    reconstruction,
    iwAccumulator,
    iwBound,
    projectedCovariance,
    eigen2,
    samplePixels,
    binarize,
  };
})();
/** @type {any} */ (globalThis).ElboMath = ElboMath;
