// Live latent sliders: one native range input per latent dimension; the decoded digit and the traversal
// strip of the dimension being moved repaint on every `input` event, decoded in the page by LatentRunner
// (runner.js, put in front by explorer/shared/browser/components.py). data: SlidersData (./contract.d.ts, generated
// from contract.py). On `change` (release, key up) the code goes to Python as the
// state value `code` = {z: [by dimension], at: a unique stamp}. Python moves the sliders by sending a new
// `revision` with `code`; a rerun with an unchanged revision never moves them, so a rerun cannot snap a
// slider back while the hand is on it.
//
// Everything from Python arrives as data and is written with textContent / properties, never as markup.
// Above the sliders, the starting points: zero, a draw from the prior N(0, I) (made in the page), and the
// encoding of each image in `starts` ({caption, image: packed grey bytes, code}, encoded by Python). A click
// moves the sliders there and sends the code as a release does.
//
// Until the decoder is ready the digit is the server's `preview` (its decode of `code`, grey bytes), painted
// at mount, so the picture does not wait for the weights.
//
// The root element carries data-paints (pictures painted so far by the in-page decoder), data-paint-ms (the
// last paint's decode and draw time), data-shown ("preview" or "decoder": what the digit on screen came from)
// and data-state (loading, ready, error) for tests and the latency benchmark.

/** @typedef {import("./contract").SlidersData} SlidersData */
/** @typedef {import("./contract").Slider} Slider */
/** @typedef {import("./contract").Start} Start */
/** @typedef {import("../shared/browser/contract").PackedUint8} PackedUint8 */

/** @type {WeakMap<HTMLElement, LiveSliders>} parentElement -> its controller (the module runs once per page) */
const controllers = new WeakMap();

const { element } = ExplorerMount;

class LiveSliders {
  /**
   * @param {HTMLElement} parent
   * @param {SlidersData} data
   */
  constructor(parent, data) {
    this.root = /** @type {HTMLElement} */ (parent.querySelector(".live-sliders"));
    this.layout = LiveSliders.layoutKey(data);
    this.steps = data.strip_steps; // pictures in the traversal strip, as Python's traversal makes them
    this.sliders = data.sliders;
    this.byDim = new Map(data.sliders.map((s) => [s.dim, s]));
    this.code = Float32Array.from(data.code);
    this.revision = data.revision;
    this.traverseDim = data.sliders[0].dim;
    this.inputs = new Map();
    this.paints = 0;
    this.pending = false;
    this.model = null;
    this.alive = true; // false once a new layout (another model) replaced this controller
    this.buildControls();
    this.buildStrip();
    this.buildStarts(data.starts || []);
    this.setState("loading", "Loading the decoder into the page…");
    this.paintPreview(data.preview);
    LatentRunner.load(data.model).then(
      (model) => {
        if (!this.alive) return;
        this.model = model;
        this.setState("ready", "");
        this.schedulePaint();
      },
      (error) => {
        if (!this.alive) return;
        this.setState("error", `The in-page decoder could not start: ${error.message}`);
        this.send("status", "error: " + error.message);
      },
    );
  }

  /** @param {Start[]} starts */
  buildStarts(starts) {
    this.startsKey = JSON.stringify(starts);
    const row = this.root.querySelector(".ls-starts");
    const zero = element("button", { type: "button", className: "ls-start", textContent: "Set all to 0" });
    zero.addEventListener("click", () => this.moveTo(this.sliders.map(() => 0)));
    const draw = element("button", { type: "button", className: "ls-start", textContent: "Draw z ~ N(0, I)" });
    draw.addEventListener("click", () => this.moveTo(this.sliders.map(() => LiveSliders.gaussian())));
    const images = starts.map((start) => {
      const canvas = element("canvas", { className: "ls-start-thumb", width: 28, height: 28 });
      LiveSliders.paintGrey(canvas, start.image);
      const button = element("button", { type: "button", className: "ls-start-image", title: `Encode ${start.caption}` });
      button.setAttribute("aria-label", `Encode ${start.caption}`);
      button.append(canvas);
      button.addEventListener("click", () => this.moveTo(start.code, true));
      return button;
    });
    const encode = element("span", { className: "ls-start-label", textContent: images.length ? "Encode:" : "" });
    row.replaceChildren(element("span", { className: "ls-start-label", textContent: "Start from" }), zero, draw);
    if (images.length) row.append(element("span", { className: "ls-start-images" }, [encode, ...images]));
  }

  /**
   * A 28x28 picture sent as grey bytes (browser.components.grey_bytes); false if it is not one.
   * @param {HTMLCanvasElement} canvas
   * @param {PackedUint8} packed
   */
  static paintGrey(canvas, packed) {
    const grey = ExplorerMount.unpack(packed, "u1");
    if (grey.length !== 784) return false;
    LatentRunner.paint(canvas, Float32Array.from(grey, (g) => g / 255));
    return true;
  }

  static gaussian() {
    // One N(0, 1) draw (Box-Muller); 1 - random() is in (0, 1], so the log is finite.
    return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  }

  moveTo(values, byDim = false) {
    // values: one per slider in the sliders' order, or (byDim) one per latent dimension. Rounded to the
    // slider's step and clipped into its range (as SliderSpec.clip does), then shown, repainted and sent as a
    // release would be.
    this.sliders.forEach((spec, i) => {
      const value = Number(byDim ? values[spec.dim] : values[i]);
      const stepped = Math.round((Number.isFinite(value) ? value : 0) / spec.step) * spec.step;
      this.code[spec.dim] = Math.min(spec.hi, Math.max(spec.lo, stepped));
    });
    for (const { input, show } of this.inputs.values()) {
      input.value = String(this.code[Number(input.dataset.dim)]);
      show();
    }
    this.schedulePaint();
    this.send("code", { z: Array.from(this.code), at: Date.now() });
  }

  /** @param {SlidersData} data */
  static layoutKey(data) {
    return JSON.stringify([data.model.hash, data.sliders, data.strip_steps]);
  }

  /** The server's picture of the current code, shown only while the page cannot decode it itself.
   * @param {PackedUint8 | null} preview */
  paintPreview(preview) {
    if (this.model || !preview || !LiveSliders.paintGrey(this.root.querySelector(".ls-digit"), preview)) return;
    this.root.dataset.shown = "preview";
    performance.mark("explorer:shown:sliders"); // bench/sliders_load.py: the digit on screen
  }

  setState(state, message) {
    this.root.dataset.state = state;
    this.root.querySelector(".ls-status").textContent = message;
  }

  buildControls() {
    const controls = this.root.querySelector(".ls-controls");
    controls.replaceChildren();
    const active = this.sliders.filter((s) => s.active);
    const inactive = this.sliders.filter((s) => !s.active);
    const grid = element("div", { className: active.length > 4 ? "ls-grid ls-two" : "ls-grid" });
    active.forEach((spec) => grid.append(this.row(spec)));
    controls.append(grid);
    if (inactive.length) {
      const details = element("details", { className: "ls-inactive" });
      const note = `${inactive.length} inactive dimension(s): the decoder barely uses them`;
      details.append(element("summary", { textContent: note }));
      const rest = element("div", { className: "ls-grid" });
      inactive.forEach((spec) => rest.append(this.row(spec)));
      details.append(rest);
      controls.append(details);
    }
  }

  /** @param {Slider} spec */
  row(spec) {
    const row = element("div", { className: "ls-row" });
    const id = `ls-z${spec.dim}`;
    const label = element("label", { className: "ls-label", textContent: spec.label });
    label.htmlFor = id;
    const input = element("input", { className: "ls-range" });
    Object.assign(input, { type: "range", id, min: spec.lo, max: spec.hi, step: spec.step });
    input.value = String(this.code[spec.dim]);
    input.dataset.dim = String(spec.dim);
    const output = element("output", { className: "ls-value" });
    output.htmlFor = id;
    const show = () => (output.textContent = Number(input.value).toFixed(2));
    show();
    input.addEventListener("input", () => {
      this.code[spec.dim] = Number(input.value);
      this.traverseDim = spec.dim;
      show();
      this.schedulePaint();
    });
    input.addEventListener("focus", () => {
      if (this.traverseDim !== spec.dim) {
        this.traverseDim = spec.dim;
        this.schedulePaint();
      }
    });
    input.addEventListener("change", () => this.send("code", { z: Array.from(this.code), at: Date.now() }));
    this.inputs.set(spec.dim, { input, show });
    row.append(label, input, output);
    return row;
  }

  buildStrip() {
    const strip = this.root.querySelector(".ls-strip");
    strip.replaceChildren();
    this.stripCells = [];
    for (let i = 0; i < this.steps; i++) {
      const cell = element("figure", { className: "ls-cell" });
      const canvas = element("canvas", { className: "ls-thumb" });
      canvas.width = canvas.height = 28;
      const caption = element("figcaption", { className: "ls-caption" });
      cell.append(canvas, caption);
      strip.append(cell);
      this.stripCells.push({ canvas, caption });
    }
  }

  /**
   * @param {SlidersData} data
   * @param {(name: string, value: unknown) => void} send
   */
  update(data, send) {
    this.sendState = send;
    if (JSON.stringify(data.starts || []) !== this.startsKey) this.buildStarts(data.starts || []);
    if (data.revision === this.revision) return;
    this.revision = data.revision;
    this.code = Float32Array.from(data.code);
    for (const { input, show } of this.inputs.values()) {
      input.value = String(this.code[Number(input.dataset.dim)]);
      show();
    }
    this.paintPreview(data.preview);
    this.schedulePaint();
  }

  send(name, value) {
    if (this.sendState) this.sendState(name, value);
  }

  schedulePaint() {
    // One paint per frame however many input events arrive in it.
    if (this.pending || !this.model || !this.alive) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.paint();
    });
  }

  paint() {
    const started = performance.now();
    const model = this.model;
    LatentRunner.paint(this.root.querySelector(".ls-digit"), model.decode(this.code, 1));
    this.paintStrip();
    this.markStrip();
    this.paints += 1;
    this.root.dataset.paints = String(this.paints);
    this.root.dataset.shown = "decoder";
    if (this.paints === 1) performance.mark("explorer:drawn:sliders"); // bench/browser_latency.py: first content
    this.root.dataset.paintMs = (performance.now() - started).toFixed(2);
  }

  markStrip() {
    // Outline the strip's picture nearest the dragged slider's value: where the hand is along the strip.
    const spec = this.byDim.get(this.traverseDim);
    const at = Math.round(((this.code[spec.dim] - spec.lo) / (spec.hi - spec.lo)) * (this.steps - 1));
    this.stripCells.forEach(({ canvas }, i) => canvas.classList.toggle("ls-here", i === at));
  }

  paintStrip() {
    // Dragging the strip's own dimension leaves the strip as it is (the others are held), so it is
    // decoded again only when another dimension, or which dimension, changed.
    const spec = this.byDim.get(this.traverseDim);
    const held = Array.from(this.code, (v, d) => (d === spec.dim ? "*" : v)).join(",");
    if (held === this.stripKey) return;
    this.stripKey = held;
    const dim = this.model.latentDim;
    const codes = new Float32Array(this.steps * dim);
    const values = [];
    for (let i = 0; i < this.steps; i++) {
      const value = spec.lo + ((spec.hi - spec.lo) * i) / (this.steps - 1);
      values.push(value);
      codes.set(this.code, i * dim);
      codes[i * dim + spec.dim] = value;
    }
    const pictures = this.model.decode(codes, this.steps);
    this.stripCells.forEach(({ canvas, caption }, i) => {
      LatentRunner.paint(canvas, pictures, i * 784);
      caption.textContent = (values[i] >= 0 ? "+" : "") + values[i].toFixed(2);
    });
    this.root.querySelector(".ls-strip-title").textContent = `Traversal of ${spec.label}, the others held`;
  }
}

/** @param {import("../shared/browser/streamlit").ComponentArgs<SlidersData>} component */
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let controller = controllers.get(parentElement);
  if (!controller || controller.layout !== LiveSliders.layoutKey(data)) {
    if (controller) controller.alive = false;
    controller = new LiveSliders(parentElement, data);
    controllers.set(parentElement, controller);
  }
  controller.update(data, setStateValue);
}
