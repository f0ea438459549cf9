/* InsideView: how the Inside the VAE page's panels (inside.js; its DOM is inside_layout.js) are painted: the canvas
 * painters (scatter, prior circles, posterior ellipses, markers, mu/sigma and KL bars, pixel samples)
 * with the plane's coordinate helpers, and the panels that combine them (the VAE's plane, the autoencoder's map, the
 * ELBO's terms). Plain functions of their arguments; the page's state lives in inside.js's controller.
 *
 * A plain script (no import/export) like runner.js: it defines one namespace, InsideView, also set on globalThis.
 * Needs mount.js, canvas.js, elbo.js and inside_layout.js in front of it.
 */
const InsideView = (() => {
  const { INSIDE_PLANE, INSIDE_AE_PLANE, SAMPLE_GRID, fmt } = InsideLayout;
  const { element: node } = ExplorerMount;

  function hidpi(canvas, width, height) {
    const ratio = Math.max(1, Math.round(globalThis.devicePixelRatio || 1));
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return context;
  }

  // ---- painting (pure functions of what they are given)

  function paintScatter(context, pad, side, colors) {
    ExplorerCanvas.scatter(context, pad, side, { colors, dot: Math.max(1.5, side / 170), alpha: 0.45 });
  }

  function padToCanvas(u, v, side) {
    return [((u + 1) / 2) * side, ((1 - v) / 2) * side];
  }

  function paintCircles(context, pad, side, sigmas) {
    if (!pad.prior) return;
    const [x, y] = padToCanvas(pad.prior.u, pad.prior.v, side);
    context.strokeStyle = "rgba(40, 40, 40, 0.8)";
    context.lineWidth = 1;
    context.setLineDash([5, 4]);
    for (const sigma of sigmas) {
      context.beginPath();
      context.arc(x, y, ((sigma * pad.prior.radius) / 2) * side, 0, 2 * Math.PI);
      context.stroke();
    }
    context.setLineDash([]);
  }

  function paintEllipses(context, centre, ellipse, halfWidth, side) {
    // Plane units -> pad units (/ halfWidth) -> canvas px (* side / 2); the canvas's y points down.
    const scale = side / 2 / halfWidth;
    const [x, y] = centre;
    context.strokeStyle = "#c2185b";
    for (const [sigma, width] of [[1, 2.2], [2, 1.2]]) {
      context.lineWidth = width;
      context.beginPath();
      context.ellipse(x, y, Math.max(0.5, sigma * ellipse.axes[0] * scale), Math.max(0.5, sigma * ellipse.axes[1] * scale), -ellipse.angle, 0, 2 * Math.PI);
      context.stroke();
    }
  }

  function paintMarker(context, x, y, fill, radius) {
    context.fillStyle = fill;
    context.strokeStyle = "#fff";
    context.lineWidth = 1.5;
    context.beginPath();
    context.arc(x, y, radius, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
  }

  function paintCross(context, x, y, size) {
    context.strokeStyle = "#000";
    context.lineWidth = 2;
    context.beginPath();
    context.moveTo(x - size, y);
    context.lineTo(x + size, y);
    context.moveTo(x, y - size);
    context.lineTo(x, y + size);
    context.stroke();
  }

  function barAxes(context, width, height, lo, hi, label) {
    context.clearRect(0, 0, width, height);
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    const y = (value) => 8 + ((hi - value) / (hi - lo)) * (height - 26);
    context.strokeStyle = "#999";
    context.lineWidth = 1;
    context.beginPath();
    context.moveTo(30, y(0));
    context.lineTo(width - 4, y(0));
    context.stroke();
    context.fillStyle = "#555";
    context.font = "10px sans-serif";
    context.textAlign = "right";
    for (const tick of [lo, 0, hi]) context.fillText(tick.toFixed(tick % 1 ? 1 : 0), 26, y(tick) + 3);
    context.textAlign = "right";
    if (label) context.fillText(label, width - 4, 10);
    return y;
  }

  function paintPosteriorBars(canvas, order, post, z) {
    const width = canvas.clientWidth || 560;
    const height = 150;
    const context = hidpi(canvas, width, height);
    const y = barAxes(context, width, height, -3.5, 3.5, "mu ± sigma per dimension; dot: z");
    const slot = (width - 34) / order.length;
    const clamp = (v) => Math.max(-3.5, Math.min(3.5, v));
    context.textAlign = "center";
    order.forEach((dim, i) => {
      const x = 34 + slot * (i + 0.5);
      const m = post.mu[dim];
      const s = post.sigma[dim];
      context.fillStyle = "#5c6bc0";
      const top = y(clamp(Math.max(m, 0)));
      context.fillRect(x - slot * 0.3, top, slot * 0.6, Math.max(1, y(clamp(Math.min(m, 0))) - top));
      context.strokeStyle = "#1a237e";
      context.lineWidth = 1.5;
      context.beginPath();
      context.moveTo(x, y(clamp(m - s)));
      context.lineTo(x, y(clamp(m + s)));
      for (const end of [m - s, m + s]) {
        context.moveTo(x - slot * 0.2, y(clamp(end)));
        context.lineTo(x + slot * 0.2, y(clamp(end)));
      }
      context.stroke();
      paintMarker(context, x, y(clamp(z[dim])), "#c2185b", 3.5);
      context.fillStyle = "#333";
      context.fillText(`z${dim}`, x, height - 4);
    });
  }

  function paintKlBars(canvas, order, kl) {
    const width = canvas.clientWidth || 560;
    const height = 120;
    const context = hidpi(canvas, width, height);
    const hi = Math.max(0.5, ...order.map((d) => kl[d]));
    const y = barAxes(context, width, height, 0, Math.ceil(hi * 2) / 2, "");
    const slot = (width - 34) / order.length;
    context.textAlign = "center";
    order.forEach((dim, i) => {
      const x = 34 + slot * (i + 0.5);
      context.fillStyle = "#ef6c00";
      context.fillRect(x - slot * 0.3, y(kl[dim]), slot * 0.6, y(0) - y(kl[dim]));
      context.fillStyle = "#333";
      context.fillText(`z${dim}`, x, height - 4);
    });
  }

  function paintSamples(canvas, samples) {
    const side = 28 * SAMPLE_GRID;
    const context = canvas.getContext("2d");
    const picture = context.createImageData(side, side);
    for (let s = 0; s < SAMPLE_GRID * SAMPLE_GRID; s++) {
      const left = (s % SAMPLE_GRID) * 28;
      const top = Math.floor(s / SAMPLE_GRID) * 28;
      for (let p = 0; p < 784; p++) {
        const at = 4 * ((top + Math.floor(p / 28)) * side + left + (p % 28));
        const grey = samples[s * 784 + p] ? 255 : 0;
        picture.data[at] = picture.data[at + 1] = picture.data[at + 2] = grey;
        picture.data[at + 3] = 255;
      }
    }
    context.putImageData(picture, 0, 0);
    context.strokeStyle = "#444";
    for (let i = 1; i < SAMPLE_GRID; i++) {
      context.beginPath();
      context.moveTo(i * 28 + 0.5, 0);
      context.lineTo(i * 28 + 0.5, side);
      context.moveTo(0, i * 28 + 0.5);
      context.lineTo(side, i * 28 + 0.5);
      context.stroke();
    }
  }

  // ---- plane geometry: a pad payload maps codes to pad positions (u, v) in [-1, 1] and back

  function planePoint(pad, code) {
    const [w0, w1] = pad.components;
    let a = 0;
    let b = 0;
    for (let j = 0; j < code.length; j++) {
      a += (code[j] - pad.mean[j]) * w0[j];
      b += (code[j] - pad.mean[j]) * w1[j];
    }
    return [a, b];
  }

  function planeToPad(pad, point) {
    return [(point[0] - pad.centre[0]) / pad.half_width, (point[1] - pad.centre[1]) / pad.half_width];
  }

  /** z moved within the plane so that its projection lands on pad position (u, v): z + W^T (p' - p(z)). */
  function moveInPlane(pad, z, u, v) {
    const [a, b] = planePoint(pad, z);
    const da = pad.centre[0] + u * pad.half_width - a;
    const db = pad.centre[1] + v * pad.half_width - b;
    return Float64Array.from(z, (value, j) => value + da * pad.components[0][j] + db * pad.components[1][j]);
  }

  function imageKey(data) {
    const image = data.image || [];
    let sum = 0;
    for (let i = 0; i < image.length; i++) sum += image[i] * ((i % 97) + 1);
    return `${data.mode}|${data.caption}|${image.length}|${sum.toFixed(4)}`;
  }



  // ---- the panels: what the controller's state shows, painted from it

  /**
   * The VAE's plane: its scatter, q(z|x)'s 1- and 2-sigma ellipses around mu, and z; returns what it drew (for the
   * root's data-values). `post` holds mu and logvar (by dimension), `scatter` the pad's scatter painted once.
   * @param {any} view @param {import("../latent_map/contract").PadScatter} pad @param {HTMLCanvasElement} scatter
   * @param {{mu: Float64Array, logvar: Float64Array}} post @param {ArrayLike<number>} z
   */
  function paintPlane(view, pad, scatter, post, z) {
    const side = INSIDE_PLANE;
    const context = hidpi(view.encoder.plane, side, side);
    context.drawImage(scatter, 0, 0, side, side);
    const sigma2 = Array.from(post.logvar, (lv) => Math.exp(lv));
    const [a, b, c] = ElboMath.projectedCovariance(pad.components, sigma2);
    const ellipse = ElboMath.eigen2(a, b, c);
    const muPlane = planePoint(pad, post.mu);
    const muPad = planeToPad(pad, muPlane);
    const zPad = planeToPad(pad, planePoint(pad, z));
    const muXY = padToCanvas(muPad[0], muPad[1], side);
    paintEllipses(context, muXY, ellipse, pad.half_width, side);
    paintCross(context, muXY[0], muXY[1], 5);
    const zXY = padToCanvas(zPad[0], zPad[1], side);
    paintMarker(context, zXY[0], zXY[1], "#c2185b", 6);
    const titles = pad.axis_titles || ["", ""];
    view.encoder.planeNote.textContent =
      `${titles[0]} × ${titles[1]}${post.mu.length > 2 ? " (PCA plane of the VAE's test codes)" : ""}: ` +
      "dashed, the prior's 1 and 2 sigma; pink, q(z|x)'s 1 and 2 sigma; cross, mu; dot, z (drag it).";
    return {
      ellipse: { cov: [a, b, c], axes: ellipse.axes, angle: ellipse.angle, centre: muPlane },
      point: { u: zPad[0], v: zPad[1] },
      pointPx: zXY,
    };
  }

  /** The autoencoder's map with its code of the same digit, or why there is none.
   * @param {any} view @param {import("../latent_map/contract").PadScatter | undefined} pad
   * @param {HTMLCanvasElement} scatter @param {{code: Float32Array} | null} ae @param {boolean} hasModel */
  function paintAeMap(view, pad, scatter, ae, hasModel) {
    const { aeMap, aeNote } = view.encoder;
    if (!pad || !ae) {
      aeNote.textContent = hasModel ? "" : "No autoencoder for this latent size.";
      return;
    }
    const side = INSIDE_AE_PLANE;
    const context = hidpi(aeMap, side, side);
    context.drawImage(scatter, 0, 0, side, side);
    const [u, v] = planeToPad(pad, planePoint(pad, ae.code));
    const [x, y] = padToCanvas(u, v, side);
    paintMarker(context, x, y, "#000", 5);
    aeNote.textContent = "Its code of the same digit: a single point; nothing says how sure it is.";
  }

  /**
   * The ELBO's terms (the Monte Carlo reconstruction term, the closed-form KL, beta's objective) and the
   * importance-weighted bound's milestones so far; the autoencoder's squared error beside them. Returns the numbers.
   * @param {any} view @param {any} estimator @param {number} kl @param {{squared: number} | null} ae
   */
  function paintElbo(view, estimator, kl, ae) {
    const { elbo } = view;
    const { recon, iw, milestones, n, k } = estimator;
    const beta = Number(elbo.beta.value);
    const negElbo = recon.mean + kl;
    const objective = recon.mean + beta * kl;
    elbo.terms.recon.value.textContent = `${fmt(recon.mean)} ± ${fmt(recon.se)} nats (n = ${n})`;
    elbo.terms.kl.value.textContent = `${fmt(kl)} nats (closed form)`;
    elbo.terms.neg.value.textContent = `${fmt(negElbo)} nats`;
    elbo.betaLine.textContent =
      `beta-weighted objective: E_q[−log p(x|z)] + ${beta.toFixed(2)} · KL = ${fmt(recon.mean)} + ` +
      `${beta.toFixed(2)} · ${fmt(kl)} = ${fmt(objective)} nats` +
      (beta === 1 ? " (beta = 1: the negative ELBO itself)" : "");
    const bound = iw.value();
    const of = estimator.boundOf;
    const rows = milestones.map((/** @type {{k: number, bound: number}} */ m) => node("li", { textContent: `k = ${m.k}: ${of} ≥ ${fmt(m.bound)} nats` }));
    const progress = iw.done < k ? ` (computing: ${iw.done} of ${k} samples)` : "";
    elbo.iw.replaceChildren(
      node("div", {
        className: "iw-head",
        textContent: `Importance-weighted bound, k = ${k}${progress}: ${of} ≥ ${fmt(bound)} nats; the ELBO's estimate is ${fmt(-negElbo)}, so the bound is ${fmt(bound + negElbo)} nats tighter.`,
      }),
      node("ul", {}, rows),
    );
    elbo.ae.textContent = ae
      ? `Autoencoder, same digit: squared error Σ(x̂ − x)² = ${fmt(ae.squared)}. It has no ELBO to show: ` +
        "its code is one point, not a distribution q(z|x), and it has no prior p(z), so there is no KL term and " +
        "no likelihood p(x) to bound; its loss is only the reconstruction error."
      : "";
    return { recon: { mean: recon.mean, se: recon.se, n }, kl, negElbo, beta, objective, iw: { k, done: iw.done, bound, milestones } };
  }

  return {
    hidpi, paintScatter, paintCircles, paintPosteriorBars, paintKlBars, paintSamples, moveInPlane, imageKey, paintPlane,
    paintAeMap, paintElbo,
  };
})();
/** @type {any} */ (globalThis).InsideView = InsideView;
