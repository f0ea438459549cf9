/* Inside the VAE: one digit through the whole chain, computed in the page on every change.
 *
 *   encoder -> q(z|x) = N(mu, diag sigma^2)   bars with +-sigma whiskers; 1- and 2-sigma ellipses on a plane
 *   z = mu + sigma * eps                       eps drawn here ("draw eps again", play), or the dot dragged
 *   decoder -> p(x|z)                          the Bernoulli means beside pixel samples x ~ p(x|z)
 *   -ELBO = E_q[-log p(x|z)] + KL              Monte Carlo over n draws (with its standard error), the KL in
 *                                              closed form per dimension, beta, and the k-sample bound
 * and the autoencoder's code of the same digit on its own map, with its squared error.
 *
 * Needs runner.js, the drawing's preparation (pixel_math.js, prepare.js), elbo.js, mount.js, canvas.js, its DOM
 * (inside_layout.js), its numbers (inside_chain.js) and its painters (inside_view.js) in front of it (LIBRARIES in
 * components.py).
 * data: InsideData (./contract.d.ts, built by explorer.inside.data.component_data): both models' runner entries and
 * planes, the VAE's dimensions as the sliders page orders them, the digit (784 values, or null to draw one), its
 * caption, the colours and the drawing canvas's setup. Nothing goes back to Python: every control acts in the page.
 *
 * For the tests: the root carries data-state ("loading", "ready", "blank" or "error"), data-paints (a counter)
 * and data-values (JSON of what is shown); this.stamps keeps {cause, start, work, end} performance.now() times.
 */
/** @typedef {import("./contract").InsideData} InsideData */
/** @typedef {import("../draw/contract").DrawingCanvas} DrawingCanvas */
/** @typedef {import("../latent_map/contract").PadScatter} PadScatter */
/** @typedef {import("../shared/browser/contract").Kind} Kind */

const IW_BUDGET_MS = 6; // importance weights per frame are evaluated for at most this long
/** @type {Kind[]} */
const INSIDE_KINDS = ["vae", "ae"];
const { INSIDE_PLANE, INSIDE_AE_PLANE, SAMPLE_GRID, K_CHOICES, buildView, codeTable } = InsideLayout;
const { hidpi, paintScatter, paintCircles, paintPosteriorBars, paintKlBars, paintSamples } = InsideView;

class InsideVae {
  /** @param {HTMLElement} parent @param {DrawingCanvas} setup the drawing canvas */
  constructor(parent, setup) {
    this.setup = setup;
    this.view = buildView(parent, setup.side);
    /** @type {Partial<Record<Kind, {hash: string, model: Awaited<ReturnType<typeof LatentRunner.load>>}>>} */
    this.models = {};
    /** @type {Partial<Record<Kind, PadScatter & {key: string, uv: Float32Array}>>} */
    this.pads = {};
    /** @type {Partial<Record<Kind, HTMLCanvasElement>>} */
    this.scatters = {};
    /** @type {InsideData} */
    this.data = null;
    this.chain = new InsideChain();
    this.causes = new Set();
    this.stamps = [];
    this.paints = 0;
    this.frame = 0;
    this.playing = false;
    const { pad, clear } = this.view.input;
    const drawn = (/** @type {Event} */ event) => this.schedule("draw", event.timeStamp);
    this.drawing = ExplorerCanvas.drawing(pad, setup.side, () => setup.pen, drawn);
    clear.addEventListener("click", (event) => {
      this.drawing.strokes.length = 0;
      this.drawing.redraw();
      drawn(event);
    });
    this.listenControls();
    this.listenPlane();
  }

  // -- input

  listenControls() {
    const { again, play, atMean } = this.view.draw;
    const { n, k, beta, betaValue, redo } = this.view.elbo;
    again.addEventListener("click", (event) => {
      this.chain.newEps();
      this.schedule("eps", event.timeStamp);
    });
    play.addEventListener("click", (event) => {
      this.playing = !this.playing;
      play.textContent = this.playing ? "Stop" : "Play";
      this.schedule("play", event.timeStamp);
    });
    atMean.addEventListener("click", (event) => {
      if (this.chain.eps) this.chain.eps.fill(0);
      this.schedule("eps", event.timeStamp);
    });
    const restart = (/** @type {Event} */ event) => {
      this.chain.estimator = null;
      this.schedule("estimator", event.timeStamp);
    };
    n.addEventListener("change", restart);
    k.addEventListener("change", restart);
    redo.addEventListener("click", (event) => {
      this.chain.seed += 1;
      restart(event);
    });
    beta.addEventListener("input", (event) => {
      betaValue.textContent = Number(beta.value).toFixed(2);
      this.schedule("beta", event.timeStamp);
    });
  }

  listenPlane() {
    const plane = this.view.encoder.plane;
    const drag = (/** @type {PointerEvent} */ event) => {
      const pad = this.pads.vae;
      if (!pad || !this.chain.z || !this.chain.post) return;
      const box = plane.getBoundingClientRect();
      const u = Math.max(-1, Math.min(1, ((event.clientX - box.left) / box.width) * 2 - 1));
      const v = Math.max(-1, Math.min(1, 1 - ((event.clientY - box.top) / box.height) * 2));
      this.chain.moveTo(InsideView.moveInPlane(pad, this.chain.z, u, v));
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

  // -- data from Python

  /** @param {InsideData} data */
  setData(data) {
    this.data = data;
    const { input } = this.view;
    input.drawBox.hidden = data.mode !== "draw";
    for (const kind of INSIDE_KINDS) this.takePad(kind, data.pads && data.pads[kind]);
    for (const kind of INSIDE_KINDS) this.loadModel(kind, data.models && data.models[kind]);
    const key = InsideView.imageKey(data);
    if (key !== this.imageKey) {
      this.imageKey = key;
      this.schedule("data", performance.now());
    }
  }

  /** @param {Kind} kind @param {PadScatter} payload */
  takePad(kind, payload) {
    if (!payload) {
      delete this.pads[kind];
      return;
    }
    const key = `${payload.count}:${payload.points.slice(0, 64)}:${payload.half_width}`;
    if (this.pads[kind] && this.pads[kind].key === key) return;
    this.pads[kind] = { ...payload, key, uv: ExplorerMount.unpack(payload.points, "<f4") };
    const side = kind === "vae" ? INSIDE_PLANE : INSIDE_AE_PLANE;
    const scatter = document.createElement("canvas");
    const context = hidpi(scatter, side, side);
    paintScatter(context, this.pads[kind], side, this.data.colors || []);
    if (kind === "vae") paintCircles(context, this.pads[kind], side, [1, 2]);
    this.scatters[kind] = scatter;
  }

  /** @param {Kind} kind @param {import("../shared/browser/contract").ModelEntry} entry */
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
    if (causes.has("draw") || causes.has("data") || !this.chain.x) {
      if (!this.readInput(vae)) return this.finish(causes, start, work);
    }
    if (this.playing) this.chain.newEps();
    const { elbo } = this.view;
    const n = Math.max(2, Math.min(1000, Math.round(Number(elbo.n.value)) || 16));
    this.chain.ensureEstimator(vae, n, Number(elbo.k.value) || 100);
    const pending = this.chain.stepEstimator(IW_BUDGET_MS, K_CHOICES);
    this.chain.decode(vae, SAMPLE_GRID * SAMPLE_GRID);
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
      const side = this.setup.side;
      const pixels = this.drawing.context.getImageData(0, 0, side, side).data;
      const prepared = MnistPrepare.prepare(MnistPrepare.greyFromRGBA(pixels), side, side, data.canvas.preparation);
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
    this.chain.scoring = data.scoring;
    this.chain.setDigit(image, vae, (this.models.ae && this.models.ae.model) || null);
    if (data.scoring.binarized) {  // what the numbers below are of: the digit as the model was trained to see it
      LatentRunner.paint(this.view.input.digit, this.chain.x);
      this.view.input.caption.textContent += " · binarised (one Bernoulli draw per pixel), as the VAE was trained";
    }
    this.view.root.classList.remove("is-blank");
    return true;
  }

  /** @param {string} reason */
  showBlank(reason) {
    this.chain.clear();
    const draw = this.data.mode === "draw";
    const what = reason ? `${reason[0].toUpperCase()}${reason.slice(1)}` : "There is no digit yet";
    this.view.status.textContent = draw
      ? `${what}: draw a digit on the canvas and every panel below follows your pen.`
      : `${what}: pick another test digit or upload, or draw one on this page.`;
    this.view.root.dataset.state = "blank";
    this.view.root.dataset.values = JSON.stringify({ blank: true, reason });
    this.view.root.classList.add("is-blank");
  }

  // -- painting every panel

  paint() {
    const { view } = this;
    const { post, eps, z, ae, estimator, meanImage, samples } = this.chain;
    view.root.dataset.state = "ready";
    view.status.textContent = this.playing
      ? "Playing: a new eps every frame, the decoded digit follows."
      : "Drag the dot on the plane, draw eps again or press Play; every panel follows.";
    const order = (this.data.order || []).filter((d) => d < post.mu.length);
    const dims = order.length === post.mu.length ? order : Array.from(post.mu, (_, j) => j);
    paintPosteriorBars(view.encoder.bars, dims, post, z);
    const plane = InsideView.paintPlane(view, this.pads.vae, this.scatters.vae, post, z);
    InsideView.paintAeMap(view, this.pads.ae, this.scatters.ae, ae, Boolean(this.models.ae));
    codeTable(view.draw.table, dims, post, eps, z);
    LatentRunner.paint(view.decoder.mean, meanImage);
    view.decoder.mean.dataset.pixels = Array.from(meanImage, (v) => v.toFixed(4)).join(",");
    paintSamples(view.decoder.samples, samples);
    paintKlBars(view.elbo.klBars, dims, post.klPerDim);
    const numbers = InsideView.paintElbo(view, estimator, post.kl, ae);
    view.root.dataset.values = JSON.stringify({
      mu: Array.from(post.mu),
      logvar: Array.from(post.logvar),
      sigma: Array.from(post.sigma),
      eps: Array.from(eps),
      z: Array.from(z),
      klPerDim: Array.from(post.klPerDim),
      ...numbers,
      ...plane,
      ae: ae ? { code: Array.from(ae.code), squaredError: ae.squared } : null,
    });
  }
}

/** @param {import("../shared/browser/streamlit").ComponentArgs<InsideData>} component */
export default function (component) {
  const { data, parentElement } = component;
  const inside = ExplorerMount.once(parentElement, "__insideVae", () => {
    const made = new InsideVae(parentElement, data.canvas);
    performance.mark("explorer:drawn:inside");
    return made;
  });
  inside.setData(data);
}
