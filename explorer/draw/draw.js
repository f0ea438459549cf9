/* "Draw a digit": a 280x280 canvas (mouse, touch and pen through pointer events), the drawing prepared like
 * MNIST in the page (MnistPrepare), and the AE's and the VAE's reconstructions (LatentRunner: encode, then
 * decode) repainted once per animation frame while the stroke is drawn. "Use this drawing" sends the
 * prepared 28x28 picture to Python as the trigger value `use` ({pixels: 784 numbers}).
 *
 * Needs runner.js, prepare.js and mount.js in front of it (explorer/shared/browser/components.py concatenates them). data: {models: {ae,
 * vae}: {hash, url, spec} entries as explorer/shared/browser/weights.py builds them, labels: {ae, vae}: captions}.
 * The prepared digit and the reconstructions are also written to each canvas's data-pixels (784 comma-separated values, 4 decimals),
 * which the e2e test reads.
 */
const SIDE = 280;
const PEN_DEFAULT = 18;

const { element } = ExplorerMount;

function picture(className, caption) {
  const canvas = element("canvas", { className: `digit ${className}`, width: 28, height: 28 });
  const label = element("figcaption", { textContent: caption });
  return { canvas, label, figure: element("figure", {}, [canvas, label]) };
}

function build(parent) {
  const pad = element("canvas", { className: "pad", width: SIDE, height: SIDE });
  pad.setAttribute("aria-label", "Drawing canvas: draw one digit");
  const pen = element("input", { type: "range", min: 4, max: 40, step: 1, value: PEN_DEFAULT, className: "pen" });
  pen.setAttribute("aria-label", "Pen width");
  const penValue = element("span", { className: "pen-value", textContent: `${PEN_DEFAULT} px` });
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

const { clear: clearCanvas, stroke: strokeLine } = ExplorerCanvas;

class Drawing {
  constructor(parent, setTriggerValue) {
    this.view = build(parent);
    this.setTriggerValue = setTriggerValue;
    this.strokes = [];
    this.models = {};
    this.result = null;
    this.frame = 0;
    this.updates = 0;
    this.context = this.view.pad.getContext("2d", { willReadFrequently: true });
    clearCanvas(this.view.pad);
    this.listen();
    this.update();
  }

  position(event) {
    const box = this.view.pad.getBoundingClientRect();
    return [((event.clientX - box.left) * SIDE) / box.width, ((event.clientY - box.top) * SIDE) / box.height];
  }

  listen() {
    const { pad, pen, penValue, undo, clear, use } = this.view;
    pad.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      pad.setPointerCapture(event.pointerId);
      this.active = { width: Number(pen.value), points: [this.position(event)] };
      this.strokes.push(this.active);
      strokeLine(this.context, this.active, 0);
      this.schedule();
    });
    pad.addEventListener("pointermove", (event) => {
      if (!this.active) return;
      const from = this.active.points.length;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const each of events.length ? events : [event]) this.active.points.push(this.position(each));
      strokeLine(this.context, this.active, from);
      this.schedule();
    });
    const end = () => {
      this.active = null;
    };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    pen.addEventListener("input", () => {
      penValue.textContent = `${pen.value} px`;
    });
    undo.addEventListener("click", () => {
      this.strokes.pop();
      this.redraw();
    });
    clear.addEventListener("click", () => {
      this.strokes = [];
      this.redraw();
    });
    use.addEventListener("click", () => {
      if (!this.result || !this.result.hasInk) return;
      this.setTriggerValue("use", { pixels: Array.from(this.result.image) });
    });
  }

  redraw() {
    clearCanvas(this.view.pad);
    for (const stroke of this.strokes) strokeLine(this.context, stroke, 0);
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.update());
  }

  setModels(entries, labels) {
    for (const kind of ["ae", "vae"]) {
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
    const { data } = this.context.getImageData(0, 0, SIDE, SIDE);
    this.result = MnistPrepare.prepare(MnistPrepare.greyFromRGBA(data), SIDE, SIDE);
    const { image, hasInk, reason } = this.result;
    LatentRunner.paint(this.view.prepared.canvas, image);
    this.view.prepared.canvas.dataset.pixels = Array.from(image, (v) => v.toFixed(4)).join(",");
    this.view.use.disabled = !hasInk;
    this.view.status.textContent = hasInk
      ? "Reconstructions follow your pen. Happy with it? Use this drawing on the other pages."
      : `${reason[0].toUpperCase()}${reason.slice(1)}: draw a digit with the mouse, a finger or a pen.`;
    for (const kind of ["ae", "vae"]) {
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

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const drawing = ExplorerMount.once(parentElement, "__drawDigit", () => {
    const made = new Drawing(parentElement, setTriggerValue);
    performance.mark("explorer:drawn:draw"); // the canvas is up: bench/browser_latency.py's first content
    return made;
  });
  drawing.setTriggerValue = setTriggerValue;
  drawing.setModels(data && data.models, data && data.labels);
}
