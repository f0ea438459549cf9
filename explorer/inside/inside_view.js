/* InsideView: what the Inside the VAE page (inside.js) is built from and how its panels are painted: the DOM
 * skeleton (encoder, drawing, decoder and ELBO sections) and the canvas painters (scatter, prior circles, posterior
 * ellipses, markers, mu/sigma and KL bars, pixel samples), with the plane's coordinate helpers. Plain functions of
 * their arguments; the page's state lives in inside.js's controller.
 *
 * A plain script (no import/export) like runner.js: it defines one namespace, InsideView, also set on globalThis.
 * Needs mount.js and canvas.js in front of it (ExplorerMount.element, ExplorerCanvas).
 */
const InsideView = (() => {
  const INSIDE_PLANE = 300; // CSS px of the VAE's plane
  const INSIDE_AE_PLANE = 170;
  const INSIDE_PAD = 200; // CSS px of the drawing canvas (drawn at 280 px, as on Draw a digit)
  const INSIDE_DRAW = 280;
  const SAMPLE_GRID = 4; // 4 x 4 pixel samples
  const K_CHOICES = [1, 10, 100, 1000, 5000];
  const IW_BUDGET_MS = 6; // importance weights per frame are evaluated for at most this long

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

  function unpackPoints(base64) {
    return new Float32Array(ExplorerMount.bytes(base64));
  }

  function fmt(value, digits = 2) {
    return Number.isFinite(value) ? value.toFixed(digits) : "…";
  }

  function section(title, children, className = "") {
    return node("section", { className: `panel ${className}` }, [node("h4", { textContent: title }), ...children]);
  }

  function control(label, input, after = null) {
    return node("label", { className: "control" }, [node("span", { textContent: label }), input, ...(after ? [after] : [])]);
  }

  function buildInput() {
    const pad = node("canvas", { className: "draw-pad", width: INSIDE_DRAW, height: INSIDE_DRAW });
    pad.setAttribute("aria-label", "Drawing canvas: draw one digit");
    const clear = node("button", { type: "button", className: "clear", textContent: "Clear" });
    const digit = node("canvas", { className: "digit input-digit", width: 28, height: 28 });
    const caption = node("figcaption", { className: "caption" });
    const drawBox = node("div", { className: "draw-box" }, [pad, clear]);
    const figure = node("figure", {}, [digit, caption]);
    return { pad, clear, digit, caption, drawBox, block: section("The digit x", [drawBox, figure], "input") };
  }

  function buildEncoder() {
    const bars = node("canvas", { className: "bars" });
    const plane = node("canvas", { className: "plane" });
    plane.setAttribute("aria-label", "The VAE's latent plane: drag the dot to move z");
    const planeNote = node("p", { className: "note plane-note" });
    const aeMap = node("canvas", { className: "ae-map" });
    const aeNote = node("p", { className: "note ae-note" });
    return {
      bars,
      plane,
      planeNote,
      aeMap,
      aeNote,
      block: section("1. Encoder → q(z|x)", [
        node("p", { className: "note", textContent: "mu of each dimension (bar) with ±sigma (whisker); the dot is z." }),
        bars,
        node("div", { className: "maps" }, [
          node("div", {}, [plane, planeNote]),
          node("div", { className: "ae-column" }, [node("div", { className: "sub", textContent: "Autoencoder: one point, no spread" }), aeMap, aeNote]),
        ]),
      ], "encoder"),
    };
  }

  function buildDraw() {
    const again = node("button", { type: "button", className: "eps-again primary", textContent: "Draw eps again" });
    const play = node("button", { type: "button", className: "play", textContent: "Play" });
    const atMean = node("button", { type: "button", className: "at-mean", textContent: "z = mu" });
    const table = node("table", { className: "codes" });
    return { again, play, atMean, table, block: section("2. Reparameterise: z = mu + sigma · eps", [node("div", { className: "buttons" }, [again, play, atMean]), table], "draw") };
  }

  function buildDecoder() {
    const mean = node("canvas", { className: "digit mean-image", width: 28, height: 28 });
    const samples = node("canvas", { className: "samples", width: 28 * SAMPLE_GRID, height: 28 * SAMPLE_GRID });
    const why = node("p", {
      className: "note why",
      textContent:
        "Given z the decoder makes every pixel an independent coin with its own probability. The picture the app " +
        "usually shows is the coins' means, so wherever the model is unsure the mean is grey and the digit looks " +
        "blurry; a sample tosses each coin, so unsure pixels come out as scattered black and white specks.",
    });
    const figures = node("div", { className: "pictures" }, [
      node("figure", {}, [mean, node("figcaption", { textContent: "mean of p(x|z)" })]),
      node("figure", {}, [samples, node("figcaption", { textContent: `${SAMPLE_GRID * SAMPLE_GRID} samples x ~ p(x|z)` })]),
    ]);
    return { mean, samples, block: section("3. Decoder → p(x|z)", [figures, why], "decoder") };
  }

  function term(name, className) {
    const value = node("div", { className: "value" });
    const cell = node("div", { className: `term ${className}` }, [node("div", { className: "name", textContent: name }), value]);
    return { cell, value };
  }

  function buildElbo() {
    const n = node("input", { type: "number", min: 2, max: 1000, step: 1, value: 16, className: "n-draws" });
    const k = node("select", { className: "k-samples" });
    for (const choice of K_CHOICES) k.append(node("option", { value: String(choice), textContent: String(choice), selected: choice === 100 }));
    const beta = node("input", { type: "range", min: 0, max: 4, step: 0.05, value: 1, className: "beta" });
    const betaValue = node("span", { className: "beta-value", textContent: "1.00" });
    const redo = node("button", { type: "button", className: "redo", textContent: "New estimator draws" });
    const terms = {
      neg: term("−ELBO(x)", "neg-elbo"),
      recon: term("E_q[−log p(x|z)]", "recon"),
      kl: term("KL(q(z|x) ‖ N(0, I))", "kl"),
    };
    const formula = node("div", { className: "formula" }, [
      terms.neg.cell, node("div", { className: "op", textContent: "=" }), terms.recon.cell,
      node("div", { className: "op", textContent: "+" }), terms.kl.cell,
    ]);
    const beta_line = node("p", { className: "beta-line" });
    const klBars = node("canvas", { className: "kl-bars" });
    const iw = node("div", { className: "iw" });
    const ae = node("p", { className: "ae-elbo" });
    const controls = node("div", { className: "controls" }, [control("n draws", n), control("k samples", k), control("beta", beta, betaValue), redo]);
    const children = [controls, formula, beta_line, node("div", { className: "sub", textContent: "KL per dimension (nats)" }), klBars, iw, ae];
    return { n, k, beta, betaValue, redo, terms, betaLine: beta_line, klBars, iw, ae, block: section("4. The ELBO of this digit", children, "elbo") };
  }

  function buildView(parent) {
    const status = node("p", { className: "status" });
    const input = buildInput();
    const encoder = buildEncoder();
    const draw = buildDraw();
    const decoder = buildDecoder();
    const elbo = buildElbo();
    const root = node("div", { className: "inside-vae explorer-buttons" }, [
      status,
      node("div", { className: "columns" }, [
        node("div", { className: "column left" }, [input.block, draw.block]),
        node("div", { className: "column right" }, [encoder.block, decoder.block]),
      ]),
      elbo.block,
    ]);
    root.dataset.state = "loading";
    parent.append(root);
    return { root, status, input, encoder, draw, decoder, elbo };
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

  function codeTable(table, order, post, eps, z, limit = 16) {
    const header = node("tr", {}, ["", "mu", "sigma", "eps", "z"].map((t) => node("th", { textContent: t })));
    const rows = order.slice(0, limit).map((dim) =>
      node("tr", {}, [`z${dim}`, fmt(post.mu[dim]), fmt(post.sigma[dim], 3), fmt(eps[dim]), fmt(z[dim])].map((t) => node("td", { textContent: t }))),
    );
    table.replaceChildren(header, ...rows);
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



  // ---- the controller: one per mounted element

  return {
    INSIDE_PLANE, INSIDE_AE_PLANE, INSIDE_PAD, INSIDE_DRAW, SAMPLE_GRID, K_CHOICES, IW_BUDGET_MS, hidpi,
    unpackPoints, fmt, section, control, buildInput, buildEncoder, buildDraw, buildDecoder, term, buildElbo,
    buildView, paintScatter, padToCanvas, paintCircles, paintEllipses, paintMarker, paintCross, barAxes,
    paintPosteriorBars, paintKlBars, paintSamples, codeTable, planePoint, planeToPad, moveInPlane, imageKey,
    node
  };
})();
globalThis.InsideView = InsideView;
