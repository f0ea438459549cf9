/* Latent map: one model's test-set codes on a plane, drawn on a canvas (10,000 points in a few milliseconds,
 * where a WebGL chart library took over a second to start in a browser without a GPU).
 *
 * Drag pans, Ctrl (or Cmd) + wheel and the +/- buttons zoom, a double click or "Reset" fits the points again.
 * Hovering names the nearest point (digit and test-set index); a click on a point picks it and sends its
 * test-set index to Python as the state value `picked`. The legend hides and shows digits.
 *
 * data: MapData (./contract.d.ts, built by explorer.latent_map.map_chart.payload): the points packed (x, y
 * interleaved), their labels and test-set indices, where the prior sits and its circles, the colours, the legend's
 * names, an optional path, the height and opacity, and the digit mode's atlas (sprites.js). The painters are in
 * map_paint.js. For tests the root carries data-state, data-drawn (points drawn), data-mode (what was drawn) and
 * data-view (the visible ranges and the plot's box in CSS pixels).
 */
/** @typedef {import("./contract").MapData} MapData */

const MAP_BOX = { left: 56, right: 14, top: 12, bottom: 44 };
const MAP_HIT = 10; // CSS px: how near the pointer must be to a point to hover or pick it

const { element: mapElement } = ExplorerMount;

class LatentMap {
  /**
   * @param {HTMLElement} parent
   * @param {(name: string, value: unknown) => void} setStateValue
   */
  constructor(parent, setStateValue) {
    this.setStateValue = setStateValue;
    this.base = mapElement("canvas", { className: "base" });
    this.marks = mapElement("canvas", { className: "marks" });
    this.tip = mapElement("div", { className: "tip", hidden: true });
    this.title = mapElement("div", { className: "title" });
    this.legend = mapElement("div", { className: "legend" });
    const button = (/** @type {string} */ text, /** @type {string} */ label, /** @type {() => void} */ action) => {
      const node = mapElement("button", { type: "button", textContent: text, title: label });
      node.setAttribute("aria-label", label);
      node.addEventListener("click", action);
      return node;
    };
    const tools = mapElement("div", { className: "tools" }, [
      button("+", "Zoom in", () => this.zoomBy(0.5)),
      button("\u2212", "Zoom out", () => this.zoomBy(2)),
      button("Reset", "Fit all points", () => this.fit()),
    ]);
    this.stack = mapElement("div", { className: "stack" }, [this.base, this.marks, this.tip]);
    this.root = mapElement("div", { className: "latent-map" }, [
      mapElement("div", { className: "head" }, [this.title, tools]),
      this.stack,
      this.legend,
    ]);
    parent.append(this.root);
    /** @type {Set<number>} labels the legend hides */
    this.hidden = new Set();
    /** @type {MapPoints} */
    this.set = null;
    /** @type {MapView} */
    this.view = null;
    this.hover = -1;
    /** @type {number | null} */
    this.picked = null;
    /** @type {any} the tinted digit atlas (sprites.js), once loaded */
    this.atlas = null;
    this.frame = 0;
    this.width = 0;
    this.height = 0;
    this.listen();
    new ResizeObserver(() => this.resize()).observe(this.root);
  }

  /** @param {MapData} data */
  setData(data) {
    this.colors = data.colors;
    this.height = data.height;
    this.alpha = data.alpha;
    this.sigmas = data.sigmas;
    this.pickable = data.pickable;
    this.marks.style.cursor = this.pickable ? "crosshair" : "grab";
    this.root.dataset.testid = data.testid || "";
    this.title.textContent = data.title || "";
    if (!this.set || this.set.version !== data.version) {
      const count = data.count || 0;
      this.set = {
        version: data.version,
        count,
        xy: ExplorerMount.unpack(data.points, "<f4").subarray(0, 2 * count),
        labels: Uint8Array.from(data.labels || "", (c) => c.charCodeAt(0) - 48),
        indices: ExplorerMount.unpack(data.indices, "<i4").subarray(0, count),
        prior: data.prior || null,
        axes: data.axis_titles || ["", ""],
        path: Array.isArray(data.path) ? data.path : null,
        names: Array.isArray(data.names) ? data.names.map(String) : null,
        legendTitle: typeof data.legend_title === "string" ? data.legend_title : "digit",
      };
      this.hover = -1;
      this.view = null;
      this.picked = null;
      MapPaint.legend(this);
    }
    if (Number.isInteger(data.picked)) this.picked = data.picked;
    if (typeof DigitSprites !== "undefined") DigitSprites.follow(this, data); // digit mode, when asked for (sprites.js)
    else this.mode = "dots";
    this.resize();
  }

  /** @param {number} label */
  labelName(label) {
    const names = this.set && this.set.names;
    return names && label < names.length ? names[label] : String(label);
  }

  resize() {
    const width = Math.max(240, Math.floor(this.root.clientWidth || 0));
    if (width !== this.width || this.height !== this.drawnHeight) {
      this.width = width;
      this.drawnHeight = this.height;
      this.ratio = Math.max(1, globalThis.devicePixelRatio || 1);
      for (const canvas of [this.base, this.marks]) {
        canvas.width = Math.round(width * this.ratio);
        canvas.height = Math.round(this.height * this.ratio);
        canvas.style.width = `${width}px`;
        canvas.style.height = `${this.height}px`;
      }
      this.stack.style.height = `${this.height}px`;
      if (this.view) this.view = this.square(this.view);
    }
    if (this.set && !this.view) this.fit(false);
    this.schedule(true);
  }

  // The plot's box in CSS pixels.
  box() {
    return {
      left: MAP_BOX.left,
      top: MAP_BOX.top,
      width: this.width - MAP_BOX.left - MAP_BOX.right,
      height: this.height - MAP_BOX.top - MAP_BOX.bottom,
    };
  }

  /** Widens the shorter side of a view about its centre so one unit is as long on both axes (circles stay round).
   * @param {MapView} view @returns {MapView} */
  square(view) {
    const { width, height } = this.box();
    const cx = (view.x0 + view.x1) / 2;
    const cy = (view.y0 + view.y1) / 2;
    const unit = Math.max((view.x1 - view.x0) / width, (view.y1 - view.y0) / height);
    return { x0: cx - (unit * width) / 2, x1: cx + (unit * width) / 2, y0: cy - (unit * height) / 2, y1: cy + (unit * height) / 2 };
  }

  // The view that shows every point (and the prior's 3-sigma circle), with a small margin.
  fit(draw = true) {
    const { xy, count, prior, path } = this.set;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    const include = (x, y) => {
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    };
    for (let i = 0; i < count; i++) include(xy[2 * i], xy[2 * i + 1]);
    for (const [x, y] of path || []) include(x, y);
    if (prior) {
      const r = Math.max(0, ...this.sigmas);
      [x0, x1, y0, y1] = [Math.min(x0, prior.x - r), Math.max(x1, prior.x + r), Math.min(y0, prior.y - r), Math.max(y1, prior.y + r)];
    }
    if (!(x1 > x0)) [x0, x1] = [(x0 || 0) - 1, (x0 || 0) + 1];
    if (!(y1 > y0)) [y0, y1] = [(y0 || 0) - 1, (y0 || 0) + 1];
    const mx = (x1 - x0) * 0.04;
    const my = (y1 - y0) * 0.04;
    this.view = this.square({ x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my });
    this.fittedSpan = this.view.x1 - this.view.x0;
    if (draw) this.schedule(true);
  }

  /** @param {number} factor @param {{x: number, y: number}} [at] */
  zoomBy(factor, at = null) {
    const v = this.view;
    const cx = at ? at.x : (v.x0 + v.x1) / 2;
    const cy = at ? at.y : (v.y0 + v.y1) / 2;
    this.view = { x0: cx + (v.x0 - cx) * factor, x1: cx + (v.x1 - cx) * factor, y0: cy + (v.y0 - cy) * factor, y1: cy + (v.y1 - cy) * factor };
    this.schedule(true);
  }

  /** @param {number} x @param {number} y @returns {[number, number]} */
  toScreen(x, y) {
    const b = this.box();
    const v = this.view;
    return [b.left + ((x - v.x0) / (v.x1 - v.x0)) * b.width, b.top + ((v.y1 - y) / (v.y1 - v.y0)) * b.height];
  }

  /** @param {number} sx @param {number} sy */
  toData(sx, sy) {
    const b = this.box();
    const v = this.view;
    return { x: v.x0 + ((sx - b.left) / b.width) * (v.x1 - v.x0), y: v.y1 - ((sy - b.top) / b.height) * (v.y1 - v.y0) };
  }

  /** The visible point nearest to the screen position (CSS px) within MAP_HIT, as a row number, or -1.
   * @param {number} sx @param {number} sy */
  nearest(sx, sy) {
    const { xy, labels, count } = this.set;
    let best = -1;
    let bestDistance = MAP_HIT * MAP_HIT;
    for (let i = 0; i < count; i++) {
      if (this.hidden.has(labels[i])) continue;
      const [px, py] = this.toScreen(xy[2 * i], xy[2 * i + 1]);
      const distance = (px - sx) ** 2 + (py - sy) ** 2;
      if (distance <= bestDistance) [best, bestDistance] = [i, distance];
    }
    return best;
  }

  /** Where a test-set index is drawn (CSS px, relative to the canvas), or null; for the e2e tests.
   * @param {number} index */
  screenOf(index) {
    const row = this.set ? this.set.indices.indexOf(index) : -1;
    return row < 0 ? null : this.toScreen(this.set.xy[2 * row], this.set.xy[2 * row + 1]);
  }

  listen() {
    const at = (/** @type {MouseEvent} */ event) => {
      const rect = this.marks.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    };
    let drag = null;
    this.marks.addEventListener("pointerdown", (event) => {
      const [sx, sy] = at(event);
      drag = { sx, sy, view: this.view, moved: false };
      this.marks.setPointerCapture(event.pointerId);
    });
    this.marks.addEventListener("pointermove", (event) => {
      if (!this.set || !this.view) return;
      const [sx, sy] = at(event);
      if (drag && (drag.moved || Math.hypot(sx - drag.sx, sy - drag.sy) > 3)) {
        drag.moved = true;
        this.pan(drag, sx, sy);
        return;
      }
      this.hover = this.nearest(sx, sy);
      this.schedule(false, [sx, sy]);
    });
    this.marks.addEventListener("pointerup", (event) => {
      const [sx, sy] = at(event);
      if (drag && !drag.moved && this.set) this.pick(this.nearest(sx, sy));
      drag = null;
    });
    this.marks.addEventListener("pointerleave", () => {
      this.hover = -1;
      this.schedule(false);
    });
    this.marks.addEventListener("dblclick", () => this.fit());
    this.marks.addEventListener(
      "wheel",
      (event) => {
        if (!(event.ctrlKey || event.metaKey) || !this.view) return; // plain wheel scrolls the page
        event.preventDefault();
        const [sx, sy] = at(event);
        this.zoomBy(Math.exp(Math.max(-1, Math.min(1, event.deltaY / 300))), this.toData(sx, sy));
      },
      { passive: false },
    );
  }

  /** @param {{sx: number, sy: number, view: MapView}} drag @param {number} sx @param {number} sy */
  pan(drag, sx, sy) {
    const b = this.box();
    const v = drag.view;
    const dx = ((sx - drag.sx) / b.width) * (v.x1 - v.x0);
    const dy = ((sy - drag.sy) / b.height) * (v.y1 - v.y0);
    this.view = { x0: v.x0 - dx, x1: v.x1 - dx, y0: v.y0 + dy, y1: v.y1 + dy };
    this.hover = -1;
    this.schedule(true);
  }

  /** @param {number} row */
  pick(row) {
    if (row < 0 || !this.pickable) return;
    this.picked = this.set.indices[row];
    this.setStateValue("picked", this.picked);
    this.schedule(false);
  }

  /** @param {boolean} full @param {[number, number]} [pointer] */
  schedule(full, pointer) {
    this.dirty = this.dirty || full;
    if (pointer) this.pointer = pointer;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = 0;
    if (!this.set || !this.view || !this.width) return;
    if (this.dirty) MapPaint.base(this);
    this.dirty = false;
    MapPaint.marks(this);
  }
}


/** @param {import("../shared/browser/streamlit").ComponentArgs<MapData>} component */
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const map = ExplorerMount.once(parentElement, "__latentMap", () => new LatentMap(parentElement, setStateValue));
  map.setStateValue = setStateValue;
  map.setData(data);
}
