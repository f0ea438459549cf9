/* Latent pad: one square pad per model over its test-set scatter; the pointer's place on either pad is shared
 * (pad units, see explorer/latent_map/latent_pad.py), and both models' digits for it are decoded in the page
 * (LatentRunner) once per animation frame while the pointer moves. A click pins the point and sends it to
 * Python as the state value `pinned` ({u, v}, both in [-1, 1], v pointing up).
 *
 * Needs runner.js, mount.js and canvas.js in front of it (LIBRARIES in explorer/shared/browser/components.py).
 * data: PadData (./contract.d.ts): per model its runner entry, title and pad (latent_pad.scatter_payload), the
 * label colours and names, a place to pin, the prior's circles. Each decoded canvas carries data-pixels (784
 * values) for the e2e test.
 */
/** @typedef {import("./contract").PadData} PadData */
/** @typedef {import("./contract").PadScatter} PadScatter */
/** @typedef {import("./contract").PadPoint} PadPoint */
/** @typedef {import("../shared/browser/contract").Kind} Kind */
/** @typedef {PadScatter & {key: string, uv: Float32Array}} Pad a pad's payload with its points unpacked */

const PAD_CSS_SIDE = 260;
/** @type {Kind[]} */
const KINDS = ["ae", "vae"];

const { element: padElement } = ExplorerMount;

/** @param {Kind} kind */
function buildPadBlock(kind) {
  const scale = Math.max(1, Math.round(globalThis.devicePixelRatio || 1));
  const side = PAD_CSS_SIDE * scale;
  const scatter = padElement("canvas", { className: "scatter", width: side, height: side });
  const overlay = padElement("canvas", { className: `overlay pad-${kind}`, width: side, height: side });
  overlay.setAttribute("aria-label", `Latent pad of the ${kind === "ae" ? "autoencoder" : "VAE"}: point to decode`);
  const digit = padElement("canvas", { className: `digit pad-digit-${kind}`, width: 28, height: 28 });
  const title = padElement("div", { className: "title" });
  const where = padElement("div", { className: "where" });
  const stack = padElement("div", { className: "stack" }, [scatter, overlay]);
  const figure = padElement("figure", {}, [digit, padElement("figcaption", { textContent: "decoded here" })]);
  const block = padElement("div", { className: "block" }, [title, padElement("div", { className: "row" }, [stack, figure]), where]);
  return { block, scatter, overlay, digit, title, where, side };
}

class LatentPad {
  /**
   * @param {HTMLElement} parent
   * @param {(name: string, value: unknown) => void} setStateValue
   */
  constructor(parent, setStateValue) {
    this.setStateValue = setStateValue;
    /** @type {Partial<Record<Kind, ReturnType<typeof buildPadBlock>>>} */
    this.views = {};
    /** @type {Partial<Record<Kind, Pad>>} */
    this.pads = {};
    /** @type {Partial<Record<Kind, {hash: string, model: Awaited<ReturnType<typeof LatentRunner.load>>}>>} */
    this.models = {};
    /** @type {PadPoint} */
    this.hover = null;
    /** @type {PadPoint} */
    this.pinned = null;
    /** @type {number[]} the prior's circles, in standard deviations */
    this.sigmas = [];
    this.frame = 0;
    this.updates = 0;
    const blocks = KINDS.map((kind) => (this.views[kind] = buildPadBlock(kind)).block);
    this.legend = padElement("div", { className: "legend" });
    this.root = padElement("div", { className: "latent-pad" }, [padElement("div", { className: "blocks" }, blocks), this.legend]);
    parent.append(this.root);
    for (const kind of KINDS) this.listen(this.views[kind].overlay);
  }

  /** @param {HTMLCanvasElement} overlay */
  listen(overlay) {
    const position = (/** @type {MouseEvent} */ event) => {
      const box = overlay.getBoundingClientRect();
      const u = ((event.clientX - box.left) / box.width) * 2 - 1;
      const v = 1 - ((event.clientY - box.top) / box.height) * 2;
      return { u: Math.max(-1, Math.min(1, u)), v: Math.max(-1, Math.min(1, v)) };
    };
    overlay.addEventListener("pointermove", (event) => {
      this.hover = position(event);
      this.schedule();
    });
    overlay.addEventListener("pointerdown", (event) => {
      this.hover = position(event); // touch has no hover: a finger on the pad points too
      this.schedule();
    });
    overlay.addEventListener("click", (event) => {
      this.pinned = position(event);
      this.hover = this.pinned;
      this.setStateValue("pinned", { u: this.pinned.u, v: this.pinned.v });
      this.schedule();
    });
  }

  /** @param {PadData} data */
  setData(data) {
    const colors = data.colors || [];
    this.sigmas = data.sigmas || [];
    // The legend names each label: the digits, or a set of your own's folder names (as text, never markup).
    const names = Array.isArray(data.names) ? data.names.map(String) : colors.map((_, digit) => String(digit));
    this.legend.replaceChildren(
      ...names.map((name, label) =>
        padElement("span", {}, [padElement("i", { style: `background:${colors[label] || "#888"}` }), name]),
      ),
    );
    for (const kind of KINDS) {
      const payload = data.pads && data.pads[kind];
      if (!payload) continue;
      const key = `${payload.count}:${payload.points.length}:${payload.points.slice(0, 64)}:${payload.half_width}`;
      if (!this.pads[kind] || this.pads[kind].key !== key) {
        this.pads[kind] = { ...payload, key, uv: ExplorerMount.unpack(payload.points, "<f4") };
        this.drawScatter(kind, colors);
      }
      this.views[kind].title.textContent = (data.labels && data.labels[kind]) || kind;
      const entry = data.models && data.models[kind];
      if (entry && (!this.models[kind] || this.models[kind].hash !== entry.hash)) {
        LatentRunner.load(entry).then(
          (model) => {
            this.models[kind] = { hash: entry.hash, model };
            this.schedule();
          },
          (error) => {
            this.views[kind].where.textContent = `The model could not be loaded: ${error.message}`;
          },
        );
      }
    }
    if (data.pinned && !this.pinned) this.pinned = data.pinned;
    if (!this.hover) this.hover = this.pinned || { u: 0, v: 0 };
    this.schedule();
  }

  /** @param {Kind} kind @param {string[]} colors */
  drawScatter(kind, colors) {
    const { scatter, side } = this.views[kind];
    const context = scatter.getContext("2d");
    ExplorerCanvas.scatter(context, this.pads[kind], side, { colors, dot: Math.max(2, side / 150), alpha: 0.55 });
    const prior = this.pads[kind].prior;
    if (prior) {
      context.strokeStyle = "rgba(30, 30, 30, 0.85)";
      context.lineWidth = Math.max(1, side / 200);
      context.setLineDash([6, 5]);
      for (const sigma of this.sigmas) {
        context.beginPath();
        const r = ((sigma * prior.radius) / 2) * side;
        context.arc(((prior.u + 1) / 2) * side, ((1 - prior.v) / 2) * side, r, 0, 2 * Math.PI);
        context.stroke();
      }
      context.setLineDash([]);
    }
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.update());
  }

  /** Pad position -> the model's code: mean + (centre + uv * half_width) @ components (latent_pad.PadPlane).
   * @param {Kind} kind @param {PadPoint} point */
  code(kind, point) {
    const { mean, components, centre, half_width: half } = this.pads[kind];
    const x = centre[0] + point.u * half;
    const y = centre[1] + point.v * half;
    return Float32Array.from(mean, (m, d) => m + x * components[0][d] + y * components[1][d]);
  }

  /** @param {Kind} kind */
  drawMarks(kind) {
    const { overlay, side } = this.views[kind];
    const context = overlay.getContext("2d");
    context.clearRect(0, 0, side, side);
    const at = (/** @type {PadPoint} */ p) => [((p.u + 1) / 2) * side, ((1 - p.v) / 2) * side];
    if (this.pinned) {
      const [x, y] = at(this.pinned);
      context.fillStyle = "#000";
      context.beginPath();
      context.arc(x, y, side / 60, 0, 2 * Math.PI);
      context.fill();
    }
    const [x, y] = at(this.hover);
    context.strokeStyle = "rgba(0, 0, 0, 0.75)";
    context.lineWidth = Math.max(1, side / 300);
    context.beginPath();
    context.moveTo(x, 0);
    context.lineTo(x, side);
    context.moveTo(0, y);
    context.lineTo(side, y);
    context.stroke();
  }

  update() {
    this.frame = 0;
    for (const kind of KINDS) {
      if (!this.pads[kind]) continue;
      this.drawMarks(kind);
      const view = this.views[kind];
      const pad = this.pads[kind];
      const loaded = this.models[kind];
      const code = this.code(kind, this.hover);
      const px = pad.centre[0] + this.hover.u * pad.half_width;
      const py = pad.centre[1] + this.hover.v * pad.half_width;
      view.where.textContent = `${pad.axis_titles[0]} = ${px.toFixed(2)}, ${pad.axis_titles[1]} = ${py.toFixed(2)}`;
      if (!loaded) continue;
      const pixels = loaded.model.decode(code, 1);
      LatentRunner.paint(view.digit, pixels);
      view.digit.dataset.pixels = Array.from(pixels, (v) => v.toFixed(4)).join(",");
      view.digit.dataset.ready = "true";
    }
    this.updates += 1;
    this.root.dataset.updates = String(this.updates);
  }
}

/** @param {import("../shared/browser/streamlit").ComponentArgs<PadData>} component */
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const pad = ExplorerMount.once(parentElement, "__latentPad", () => new LatentPad(parentElement, setStateValue));
  pad.setStateValue = setStateValue;
  pad.setData(data);
}
