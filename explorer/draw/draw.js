/* "Draw a digit": a 280x280 canvas (mouse, touch and pen through pointer events), the drawing prepared like
 * MNIST in the page (MnistPrepare), and the AE's and the VAE's reconstructions (LatentRunner: encode, then
 * decode) repainted once per animation frame while the stroke is drawn. "Use this drawing" sends the
 * prepared 28x28 picture to Python as the trigger value `use` ({pixels: 784 numbers}).
 *
 * Needs runner.js, pixel_math.js, prepare.js, mount.js and canvas.js in front of it (LIBRARIES in
 * explorer/shared/browser/components.py). data: DrawData (./contract.d.ts): both models' runner entries and captions,
 * and the canvas (its side, the pen's width, vae/images.py's preparation numbers).
 * The prepared digit and the reconstructions are also written to each canvas's data-pixels (784 comma-separated
 * values, 4 decimals), which the e2e test reads.
 */
/** @typedef {import("./contract").DrawData} DrawData */
/** @typedef {import("./contract").DrawingCanvas} DrawingCanvas */
/** @typedef {import("../shared/browser/contract").Kind} Kind */

/** @type {Kind[]} */
const DRAW_KINDS = ["ae", "vae"];

const { element } = ExplorerMount;

/** @param {string} className @param {string} caption */
function picture(className, caption) {
  const canvas = element("canvas", { className: `digit ${className}`, width: 28, height: 28 });
  const label = element("figcaption", { textContent: caption });
  return { canvas, label, figure: element("figure", {}, [canvas, label]) };
}

/** @param {HTMLElement} parent @param {DrawingCanvas} setup */
function build(parent, setup) {
  const pad = element("canvas", { className: "pad", width: setup.side, height: setup.side });
  pad.setAttribute("aria-label", "Drawing canvas: draw one digit");
  const pen = element("input", { type: "range", min: "4", max: "40", step: "1", value: String(setup.pen), className: "pen" });
  pen.setAttribute("aria-label", "Pen width");
  const penValue = element("span", { className: "pen-value", textContent: `${setup.pen} px` });
  const undo = element("button", { type: "button", textContent: "Undo", className: "undo" });
  const clear = element("button", { type: "button", textContent: "Clear", className: "clear" });
  const use = element("button", { type: "button", textContent: "Use this drawing", className: "use primary" });
  const status = element("p", { className: "status", textContent: "Draw a digit with the mouse, a finger or a pen." });
  const prepared = picture("prepared", "prepared like MNIST (28x28)");
  const ae = picture("recon-ae", "autoencoder");
  const vae = picture("recon-vae", "VAE");
  const controls = element("div", { className: "controls" }, [
    element("label", { className: "pen-label" }, ["Pen ", pen, penValue]),
    undo,
    clear,
    use,
  ]);
  const left = element("div", { className: "left" }, [pad, controls]);
  const right = element("div", { className: "right" }, [
    element("div", { className: "pictures" }, [prepared.figure, ae.figure, vae.figure]),
    status,
  ]);
  const root = element("div", { className: "draw-digit explorer-buttons" }, [left, right]);
  parent.append(root);
  return { root, pad, pen, penValue, undo, clear, use, status, prepared, ae, vae };
}

class Drawing {
  /**
   * @param {HTMLElement} parent
   * @param {DrawingCanvas} setup
   * @param {(name: string, value: unknown) => void} setTriggerValue
   */
  constructor(parent, setup, setTriggerValue) {
    this.setup = setup;
    this.view = build(parent, setup);
    this.setTriggerValue = setTriggerValue;
    /** @type {Partial<Record<Kind, {hash: string, model: Awaited<ReturnType<typeof LatentRunner.load>>}>>} */
    this.models = {};
    this.result = null;
    this.frame = 0;
    this.updates = 0;
    const { pad, pen } = this.view;
    this.drawing = ExplorerCanvas.drawing(pad, setup.side, () => Number(pen.value), () => this.schedule());
    this.listen();
    this.update();
  }

  listen() {
    const { pen, penValue, undo, clear, use } = this.view;
    pen.addEventListener("input", () => {
      penValue.textContent = `${pen.value} px`;
    });
    undo.addEventListener("click", () => {
      this.drawing.strokes.pop();
      this.redraw();
    });
    clear.addEventListener("click", () => {
      this.drawing.strokes.length = 0;
      this.redraw();
    });
    use.addEventListener("click", () => {
      if (!this.result || !this.result.hasInk) return;
      this.setTriggerValue("use", { pixels: Array.from(this.result.image) });
    });
  }

  redraw() {
    this.drawing.redraw();
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.update());
  }

  /** @param {DrawData["models"]} entries @param {DrawData["labels"]} labels */
  setModels(entries, labels) {
    for (const kind of DRAW_KINDS) {
      const view = this.view[kind];
      view.label.textContent = (labels && labels[kind]) || view.label.textContent;
      const entry = entries && entries[kind];
      if (!entry) continue;
      LatentRunner.load(entry).then(
        (model) => {
          this.models[kind] = { hash: entry.hash, model };
          this.schedule();
        },
        (error) => {
          this.view.status.textContent = `The ${view.label.textContent} could not be loaded: ${error.message}`;
        },
      );
    }
  }

  update() {
    this.frame = 0;
    const side = this.setup.side;
    const { data } = this.drawing.context.getImageData(0, 0, side, side);
    this.result = MnistPrepare.prepare(MnistPrepare.greyFromRGBA(data), side, side, this.setup.preparation);
    const { image, hasInk, reason } = this.result;
    LatentRunner.paint(this.view.prepared.canvas, image);
    this.view.prepared.canvas.dataset.pixels = Array.from(image, (v) => v.toFixed(4)).join(",");
    this.view.use.disabled = !hasInk;
    this.view.status.textContent = hasInk
      ? "Reconstructions follow your pen. Happy with it? Use this drawing on the other pages."
      : `${reason[0].toUpperCase()}${reason.slice(1)}: draw a digit with the mouse, a finger or a pen.`;
    for (const kind of DRAW_KINDS) {
      const { canvas } = this.view[kind];
      const loaded = this.models[kind];
      let pixels = new Float32Array(784);
      if (hasInk && loaded) pixels = loaded.model.decode(loaded.model.encode(image, 1), 1);
      LatentRunner.paint(canvas, pixels);
      canvas.dataset.pixels = Array.from(pixels, (v) => v.toFixed(4)).join(",");
      canvas.dataset.ready = loaded ? "true" : "false";
    }
    this.updates += 1;
    this.view.root.dataset.updates = String(this.updates);
    this.view.root.dataset.hasInk = String(hasInk);
  }
}

/** @param {import("../shared/browser/streamlit").ComponentArgs<DrawData>} component */
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const drawing = ExplorerMount.once(parentElement, "__drawDigit", () => {
    const made = new Drawing(parentElement, data.canvas, setTriggerValue);
    performance.mark("explorer:drawn:draw"); // the canvas is up: bench/browser_latency.py's first content
    return made;
  });
  drawing.setTriggerValue = setTriggerValue;
  drawing.setModels(data && data.models, data && data.labels);
}
