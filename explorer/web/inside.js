/* Inside the VAE: one digit through the whole chain, computed in the page on every change.
 *
 *   encoder -> q(z|x) = N(mu, diag sigma^2)   bars with +-sigma whiskers; 1- and 2-sigma ellipses on a plane
 *   z = mu + sigma * eps                       eps drawn here ("draw eps again", play), or the dot dragged
 *   decoder -> p(x|z)                          the Bernoulli means beside pixel samples x ~ p(x|z)
 *   -ELBO = E_q[-log p(x|z)] + KL              Monte Carlo over n draws (with its standard error), the KL in
 *                                              closed form per dimension, beta, and the k-sample bound
 * and the autoencoder's code of the same digit on its own map, with its squared error.
 *
 * Needs runner.js, prepare.js, elbo.js and mount.js in front of it (explorer/components/live.py concatenates them).
 * data (explorer/compute/inside.py): {models: {vae, ae}: runner entries, pads: {vae, ae}: latent_pad scatter payloads,
 * order: the VAE's dimensions as the sliders page orders them, image: 784 values or null, mode: "image" or
 * "draw", caption, colors, labels}. Nothing goes back to Python: every control acts in the page.
 *
 * For the tests: the root carries data-state ("loading", "ready", "blank" or "error"), data-paints (a counter)
 * and data-values (JSON of what is shown); this.stamps keeps {cause, start, work, end} performance.now() times.
 */
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
  const root = node("div", { className: "inside-vae" }, [
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
  context.fillStyle = "#fff";
  context.fillRect(0, 0, side, side);
  const dot = Math.max(1.5, side / 170);
  context.globalAlpha = 0.45;
  for (let digit = 0; digit < 10; digit++) {
    context.fillStyle = colors[digit] || "#888";
    const mark = String(digit);
    for (let i = 0; i < pad.count; i++) {
      if (pad.labels[i] !== mark) continue;
      const [x, y] = padToCanvas(pad.uv[2 * i], pad.uv[2 * i + 1], side);
      context.fillRect(x - dot / 2, y - dot / 2, dot, dot);
    }
  }
  context.globalAlpha = 1;
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

function strokeTo(context, stroke, from) {
  context.strokeStyle = "#000";
  context.fillStyle = "#000";
  context.lineCap = "round";
  context.lineJoin = "round";
  context.lineWidth = stroke.width;
  const points = stroke.points;
  if (points.length === 1) {
    context.beginPath();
    context.arc(points[0][0], points[0][1], stroke.width / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  context.beginPath();
  context.moveTo(...points[Math.max(0, from - 1)]);
  for (let i = Math.max(1, from); i < points.length; i++) context.lineTo(...points[i]);
  context.stroke();
}

function blankCanvas(canvas) {
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
}

// ---- the controller: one per mounted element

class InsideVae {
  constructor(parent) {
    this.view = buildView(parent);
    this.models = {};
    this.pads = {};
    this.scatters = {};
    this.data = {};
    this.x = null;
    this.post = null;
    this.eps = null;
    this.z = null;
    this.estimator = null;
    this.seed = 1;
    this.epsSource = ElboMath.rng(20240521);
    this.pixelSource = ElboMath.rng(7);
    this.causes = new Set();
    this.stamps = [];
    this.paints = 0;
    this.frame = 0;
    this.playing = false;
    this.strokes = [];
    this.drawContext = this.view.input.pad.getContext("2d", { willReadFrequently: true });
    blankCanvas(this.view.input.pad);
    this.listenDrawing();
    this.listenControls();
    this.listenPlane();
  }

  // -- input

  listenDrawing() {
    const { pad, clear } = this.view.input;
    const at = (event) => {
      const box = pad.getBoundingClientRect();
      return [((event.clientX - box.left) * INSIDE_DRAW) / box.width, ((event.clientY - box.top) * INSIDE_DRAW) / box.height];
    };
    pad.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      pad.setPointerCapture(event.pointerId);
      this.active = { width: 18, points: [at(event)] };
      this.strokes.push(this.active);
      strokeTo(this.drawContext, this.active, 0);
      this.schedule("draw", event.timeStamp);
    });
    pad.addEventListener("pointermove", (event) => {
      if (!this.active) return;
      const from = this.active.points.length;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const each of events.length ? events : [event]) this.active.points.push(at(each));
      strokeTo(this.drawContext, this.active, from);
      this.schedule("draw", event.timeStamp);
    });
    const end = () => (this.active = null);
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    clear.addEventListener("click", (event) => {
      this.strokes = [];
      blankCanvas(pad);
      this.schedule("draw", event.timeStamp);
    });
  }

  listenControls() {
    const { again, play, atMean } = this.view.draw;
    const { n, k, beta, betaValue, redo } = this.view.elbo;
    again.addEventListener("click", (event) => {
      this.newEps();
      this.schedule("eps", event.timeStamp);
    });
    play.addEventListener("click", (event) => {
      this.playing = !this.playing;
      play.textContent = this.playing ? "Stop" : "Play";
      this.schedule("play", event.timeStamp);
    });
    atMean.addEventListener("click", (event) => {
      if (this.eps) this.eps.fill(0);
      this.schedule("eps", event.timeStamp);
    });
    const restart = (event) => {
      this.estimator = null;
      this.schedule("estimator", event.timeStamp);
    };
    n.addEventListener("change", restart);
    k.addEventListener("change", restart);
    redo.addEventListener("click", (event) => {
      this.seed += 1;
      restart(event);
    });
    beta.addEventListener("input", (event) => {
      betaValue.textContent = Number(beta.value).toFixed(2);
      this.schedule("beta", event.timeStamp);
    });
  }

  listenPlane() {
    const plane = this.view.encoder.plane;
    const drag = (event) => {
      const pad = this.pads.vae;
      if (!pad || !this.z || !this.post) return;
      const box = plane.getBoundingClientRect();
      const u = Math.max(-1, Math.min(1, ((event.clientX - box.left) / box.width) * 2 - 1));
      const v = Math.max(-1, Math.min(1, 1 - ((event.clientY - box.top) / box.height) * 2));
      this.z = moveInPlane(pad, this.z, u, v);
      this.eps = Float64Array.from(this.z, (value, j) => (value - this.post.mu[j]) / this.post.sigma[j]);
      this.schedule("drag", event.timeStamp);
    };
    plane.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      plane.setPointerCapture(event.pointerId);
      this.dragging = true;
      drag(event);
    });
    plane.addEventListener("pointermove", (event) => this.dragging && drag(event));
    const end = () => (this.dragging = false);
    plane.addEventListener("pointerup", end);
    plane.addEventListener("pointercancel", end);
  }

  newEps() {
    if (!this.post) return;
    this.eps = ElboMath.normals(this.epsSource, this.post.mu.length);
    this.z = ElboMath.codeAt(this.post.mu, this.post.sigma, this.eps);
  }

  // -- data from Python

  setData(data) {
    this.data = data;
    const { input } = this.view;
    input.drawBox.hidden = data.mode !== "draw";
    for (const kind of ["vae", "ae"]) this.takePad(kind, data.pads && data.pads[kind]);
    for (const kind of ["vae", "ae"]) this.loadModel(kind, data.models && data.models[kind]);
    const key = imageKey(data);
    if (key !== this.imageKey) {
      this.imageKey = key;
      this.schedule("data", performance.now());
    }
  }

  takePad(kind, payload) {
    if (!payload) {
      delete this.pads[kind];
      return;
    }
    const key = `${payload.count}:${payload.points.slice(0, 64)}:${payload.half_width}`;
    if (this.pads[kind] && this.pads[kind].key === key) return;
    this.pads[kind] = { ...payload, key, uv: unpackPoints(payload.points) };
    const side = kind === "vae" ? INSIDE_PLANE : INSIDE_AE_PLANE;
    const scatter = document.createElement("canvas");
    const context = hidpi(scatter, side, side);
    paintScatter(context, this.pads[kind], side, this.data.colors || []);
    if (kind === "vae") paintCircles(context, this.pads[kind], side, [1, 2]);
    this.scatters[kind] = scatter;
  }

  loadModel(kind, entry) {
    if (!entry || (this.models[kind] && this.models[kind].hash === entry.hash)) return;
    this.models[kind] = { hash: entry.hash, model: null };
    LatentRunner.load(entry).then(
      (model) => {
        if (this.models[kind].hash !== entry.hash) return;
        this.models[kind].model = model;
        this.imageKey = null; // recompute with the model that just arrived
        this.schedule("data", performance.now());
      },
      (error) => this.fail(`The ${kind === "vae" ? "VAE" : "autoencoder"} could not be loaded: ${error.message}`),
    );
  }

  fail(message) {
    this.view.root.dataset.state = "error";
    this.view.status.textContent = message;
  }

  schedule(cause, start) {
    this.causes.add(cause);
    if (this.start === undefined || this.start === null) this.start = start;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.update());
  }

  // -- one frame: recompute what changed, then repaint every panel

  update() {
    this.frame = 0;
    const work = performance.now();
    const causes = this.causes;
    const start = this.start ?? work;
    this.causes = new Set();
    this.start = null;
    const vae = this.models.vae && this.models.vae.model;
    if (!vae || !this.pads.vae) {
      this.view.root.dataset.state = this.view.root.dataset.state === "error" ? "error" : "loading";
      if (this.view.root.dataset.state === "loading") this.view.status.textContent = "Loading the models into the page…";
      return;
    }
    if (causes.has("draw") || causes.has("data") || !this.x) {
      if (!this.readInput(vae)) return this.finish(causes, start, work);
    }
    if (this.playing) this.newEps();
    this.ensureEstimator(vae);
    const pending = this.stepEstimator(vae);
    this.decodeZ(vae);
    this.paint();
    this.finish(causes, start, work);
    if (this.playing || pending) this.schedule(this.playing ? "play" : "estimator", performance.now());
  }

  finish(causes, start, work) {
    const end = performance.now();
    this.paints += 1;
    this.view.root.dataset.paints = String(this.paints);
    this.stamps.push({ causes: [...causes], start, work, end });
    if (this.stamps.length > 2000) this.stamps.splice(0, 1000);
  }

  readInput(vae) {
    const { data } = this;
    let image;
    let reason = "";
    if (data.mode === "draw") {
      const pixels = this.drawContext.getImageData(0, 0, INSIDE_DRAW, INSIDE_DRAW).data;
      const prepared = MnistPrepare.prepare(MnistPrepare.greyFromRGBA(pixels), INSIDE_DRAW, INSIDE_DRAW);
      image = prepared.hasInk ? prepared.image : null;
      reason = prepared.reason;
    } else if (Array.isArray(data.image) && data.image.length === 784 && data.image.some((v) => v > 0)) {
      image = Float32Array.from(data.image);
    } else {
      reason = "this image has no ink";
    }
    LatentRunner.paint(this.view.input.digit, image || new Float32Array(784));
    this.view.input.caption.textContent = data.mode === "draw" ? "your drawing, prepared like MNIST" : data.caption || "";
    if (!image) {
      this.showBlank(reason);
      return false;
    }
    this.x = image;
    this.encode(vae);
    return true;
  }

  showBlank(reason) {
    this.x = null;
    this.post = null;
    const draw = this.data.mode === "draw";
    const what = reason ? `${reason[0].toUpperCase()}${reason.slice(1)}` : "There is no digit yet";
    this.view.status.textContent = draw
      ? `${what}: draw a digit on the canvas and every panel below follows your pen.`
      : `${what}: pick another test digit or upload, or draw one on this page.`;
    this.view.root.dataset.state = "blank";
    this.view.root.dataset.values = JSON.stringify({ blank: true, reason });
    this.view.root.classList.add("is-blank");
  }

  encode(vae) {
    const { mu, logvar } = vae.encodePosterior(this.x);
    const sigma = ElboMath.sigmaOf(logvar);
    this.post = { mu: Float64Array.from(mu), logvar: Float64Array.from(logvar), sigma, muF: mu, logvarF: logvar };
    this.post.klPerDim = ElboMath.klPerDim(mu, logvar);
    this.post.kl = ElboMath.sum(this.post.klPerDim);
    if (!this.eps || this.eps.length !== mu.length) this.eps = ElboMath.normals(this.epsSource, mu.length);
    this.z = ElboMath.codeAt(this.post.mu, sigma, this.eps);
    this.estimator = null;
    const ae = this.models.ae && this.models.ae.model;
    this.aeResult = null;
    if (ae) {
      const code = ae.encode(this.x, 1);
      const picture = ae.decode(code, 1);
      let squared = 0;
      for (let p = 0; p < 784; p++) squared += (picture[p] - this.x[p]) ** 2;
      this.aeResult = { code, picture, squared };
    }
    this.view.root.classList.remove("is-blank");
  }

  ensureEstimator(vae) {
    if (this.estimator) return;
    const { elbo } = this.view;
    const n = Math.max(2, Math.min(1000, Math.round(Number(elbo.n.value)) || 16));
    const k = Number(elbo.k.value) || 100;
    const dim = this.post.mu.length;
    const { muF, logvarF } = this.post;
    const recon = ElboMath.reconstruction(vae, this.x, muF, logvarF, ElboMath.normals(ElboMath.rng(this.seed), n * dim), n);
    const epsK = ElboMath.normals(ElboMath.rng(this.seed + 100003), k * dim);
    this.estimator = { n, k, recon, iw: ElboMath.iwAccumulator(vae, this.x, muF, logvarF, epsK, k), milestones: [] };
  }

  stepEstimator() {
    // The k-sample bound is spread over frames: at most IW_BUDGET_MS per frame, stopping at each milestone
    // (1, 10, 100, ...) to record the bound there, so the gap can be shown closing as k grows.
    const { iw, milestones, k } = this.estimator;
    const until = performance.now() + IW_BUDGET_MS;
    while (iw.done < k && performance.now() < until) {
      const next = K_CHOICES.find((m) => m > iw.done) || k;
      iw.step(Math.min(8, Math.min(next, k) - iw.done));
      if (K_CHOICES.includes(iw.done) || iw.done === k) {
        if (!milestones.some((m) => m.k === iw.done)) milestones.push({ k: iw.done, bound: iw.value() });
      }
    }
    return iw.done < k;
  }

  decodeZ(vae) {
    this.meanImage = vae.decode(this.z, 1);
    this.samples = ElboMath.samplePixels(this.meanImage, this.pixelSource, SAMPLE_GRID * SAMPLE_GRID);
  }

  // -- painting every panel

  paint() {
    const { view, post } = this;
    view.root.dataset.state = "ready";
    view.status.textContent = this.playing
      ? "Playing: a new eps every frame, the decoded digit follows."
      : "Drag the dot on the plane, draw eps again or press Play; every panel follows.";
    const order = (this.data.order || []).filter((d) => d < post.mu.length);
    const dims = order.length === post.mu.length ? order : Array.from(post.mu, (_, j) => j);
    paintPosteriorBars(view.encoder.bars, dims, post, this.z);
    const plane = this.paintPlane();
    this.paintAe();
    codeTable(view.draw.table, dims, post, this.eps, this.z);
    LatentRunner.paint(view.decoder.mean, this.meanImage);
    view.decoder.mean.dataset.pixels = Array.from(this.meanImage, (v) => v.toFixed(4)).join(",");
    paintSamples(view.decoder.samples, this.samples);
    paintKlBars(view.elbo.klBars, dims, post.klPerDim);
    const numbers = this.paintElbo();
    view.root.dataset.values = JSON.stringify({
      mu: Array.from(post.mu),
      logvar: Array.from(post.logvar),
      sigma: Array.from(post.sigma),
      eps: Array.from(this.eps),
      z: Array.from(this.z),
      klPerDim: Array.from(post.klPerDim),
      ...numbers,
      ...plane,
      ae: this.aeResult ? { code: Array.from(this.aeResult.code), squaredError: this.aeResult.squared } : null,
    });
  }

  paintPlane() {
    const pad = this.pads.vae;
    const side = INSIDE_PLANE;
    const context = hidpi(this.view.encoder.plane, side, side);
    context.drawImage(this.scatters.vae, 0, 0, side, side);
    const sigma2 = Array.from(this.post.logvar, (lv) => Math.exp(lv));
    const [a, b, c] = ElboMath.projectedCovariance(pad.components, sigma2);
    const ellipse = ElboMath.eigen2(a, b, c);
    const muPlane = planePoint(pad, this.post.mu);
    const muPad = planeToPad(pad, muPlane);
    const zPad = planeToPad(pad, planePoint(pad, this.z));
    const muXY = padToCanvas(muPad[0], muPad[1], side);
    paintEllipses(context, muXY, ellipse, pad.half_width, side);
    paintCross(context, muXY[0], muXY[1], 5);
    const zXY = padToCanvas(zPad[0], zPad[1], side);
    paintMarker(context, zXY[0], zXY[1], "#c2185b", 6);
    const titles = pad.axis_titles || ["", ""];
    this.view.encoder.planeNote.textContent =
      `${titles[0]} × ${titles[1]}${this.post.mu.length > 2 ? " (PCA plane of the VAE's test codes)" : ""}: ` +
      "dashed, the prior's 1 and 2 sigma; pink, q(z|x)'s 1 and 2 sigma; cross, mu; dot, z (drag it).";
    return {
      ellipse: { cov: [a, b, c], axes: ellipse.axes, angle: ellipse.angle, centre: muPlane },
      point: { u: zPad[0], v: zPad[1] },
      pointPx: zXY,
    };
  }

  paintAe() {
    const { aeMap, aeNote } = this.view.encoder;
    const pad = this.pads.ae;
    if (!pad || !this.aeResult) {
      aeNote.textContent = this.models.ae ? "" : "No autoencoder for this latent size.";
      return;
    }
    const side = INSIDE_AE_PLANE;
    const context = hidpi(aeMap, side, side);
    context.drawImage(this.scatters.ae, 0, 0, side, side);
    const [u, v] = planeToPad(pad, planePoint(pad, this.aeResult.code));
    const [x, y] = padToCanvas(u, v, side);
    paintMarker(context, x, y, "#000", 5);
    aeNote.textContent = "Its code of the same digit: a single point; nothing says how sure it is.";
  }

  paintElbo() {
    const { elbo } = this.view;
    const { recon, iw, milestones, n, k } = this.estimator;
    const kl = this.post.kl;
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
    const rows = milestones.map((m) => node("li", { textContent: `k = ${m.k}: log p(x) ≥ ${fmt(m.bound)} nats` }));
    const progress = iw.done < k ? ` (computing: ${iw.done} of ${k} samples)` : "";
    elbo.iw.replaceChildren(
      node("div", {
        className: "iw-head",
        textContent: `Importance-weighted bound, k = ${k}${progress}: log p(x) ≥ ${fmt(bound)} nats; the ELBO's estimate is ${fmt(-negElbo)}, so the bound is ${fmt(bound + negElbo)} nats tighter.`,
      }),
      node("ul", {}, rows),
    );
    this.paintAeElbo();
    return {
      recon: { mean: recon.mean, se: recon.se, n },
      kl,
      negElbo,
      beta,
      objective,
      iw: { k, done: iw.done, bound, milestones },
    };
  }

  paintAeElbo() {
    const { ae } = this.view.elbo;
    if (!this.aeResult) {
      ae.textContent = "";
      return;
    }
    ae.textContent =
      `Autoencoder, same digit: squared error Σ(x̂ − x)² = ${fmt(this.aeResult.squared)}. It has no ELBO to show: ` +
      "its code is one point, not a distribution q(z|x), and it has no prior p(z), so there is no KL term and " +
      "no likelihood p(x) to bound; its loss is only the reconstruction error.";
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const inside = ExplorerMount.once(parentElement, "__insideVae", () => {
    const made = new InsideVae(parentElement);
    performance.mark("explorer:drawn:inside");
    return made;
  });
  inside.setData(data || {});
}
