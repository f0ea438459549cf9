/* Latent map: one model's test-set codes on a plane, drawn on a canvas (10,000 points in a few milliseconds,
 * where a WebGL chart library took over a second to start in a browser without a GPU).
 *
 * Drag pans, Ctrl (or Cmd) + wheel and the +/- buttons zoom, a double click or "Reset" fits the points again.
 * Hovering names the nearest point (digit and test-set index); a click on a point picks it and sends its
 * test-set index to Python as the state value `picked`. The legend hides and shows digits.
 *
 * data: {title, axis_titles: [x, y], count, points: base64 little-endian float32 (x, y interleaved), labels:
 * a string of digits, indices: base64 little-endian int32, version: a fingerprint of the three, prior: {x, y}
 * (where z = 0 lands; dashed 1-2-3 sigma circles are drawn around it) or null, colors: ten CSS colours,
 * picked: a test-set index to mark, or null to keep the one clicked last, height: CSS px (default 460), alpha:
 * point opacity (default 0.7), names: the legend's name of each label (default the digits; shown as text only),
 * legend_title: the legend's heading (default "digit"), path: [[x, y], ...] drawn on top as a line from a filled
 * circle (start) to a square (end), or null, pickable: false to turn picking off, mode: "digits" to draw each point
 * as its own digit from sprites: {url, columns, cell} (an atlas whose cell i is test image i; sprites.js), else
 * dots}. For tests the root carries data-state, data-drawn (points drawn), data-mode (what was drawn) and
 * data-view (the visible ranges and the plot's box in CSS pixels).
 */
const MAP_HEIGHT = 460; // CSS px, unless data.height says otherwise
const MAP_BOX = { left: 56, right: 14, top: 12, bottom: 44 };
const MAP_HIT = 10; // CSS px: how near the pointer must be to a point to hover or pick it
const MAP_DOT = 1.8; // CSS px: point radius
const MAP_SIGMAS = [1, 2, 3];

const { element: mapElement, bytes: mapBytes } = ExplorerMount;

// A round tick step near span / count: 1, 2 or 5 times a power of ten.
function tickStep(span, count) {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10) * power;
}

function mapTicks(lo, hi, count) {
  const step = tickStep(hi - lo, count);
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-6; t += step) {
    ticks.push({ value: t, text: (Math.abs(t) < step * 1e-6 ? 0 : t).toFixed(digits) });
  }
  return ticks;
}

class LatentMap {
  constructor(parent, setStateValue) {
    this.setStateValue = setStateValue;
    this.base = mapElement("canvas", { className: "base" });
    this.marks = mapElement("canvas", { className: "marks" });
    this.tip = mapElement("div", { className: "tip", hidden: true });
    this.title = mapElement("div", { className: "title" });
    this.legend = mapElement("div", { className: "legend" });
    const button = (text, label, action) => {
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
    this.hidden = new Set();
    this.set = null;
    this.view = null;
    this.hover = -1;
    this.picked = null;
    this.frame = 0;
    this.width = 0;
    this.height = MAP_HEIGHT;
    this.listen();
    new ResizeObserver(() => this.resize()).observe(this.root);
  }

  setData(data) {
    this.colors = data.colors || [];
    this.height = data.height || MAP_HEIGHT;
    this.alpha = data.alpha || 0.7;
    this.pickable = data.pickable !== false;
    this.marks.style.cursor = this.pickable ? "crosshair" : "grab";
    this.root.dataset.testid = data.testid || "";
    this.title.textContent = data.title || "";
    if (!this.set || this.set.version !== data.version) {
      const count = data.count || 0;
      this.set = {
        version: data.version,
        count,
        xy: new Float32Array(mapBytes(data.points), 0, 2 * count),
        labels: Uint8Array.from(data.labels || "", (c) => c.charCodeAt(0) - 48),
        indices: new Int32Array(mapBytes(data.indices), 0, count),
        prior: data.prior || null,
        axes: data.axis_titles || ["", ""],
        path: Array.isArray(data.path) ? data.path : null,
        names: Array.isArray(data.names) ? data.names.map(String) : null,
        legendTitle: typeof data.legend_title === "string" ? data.legend_title : "digit",
      };
      this.hover = -1;
      this.view = null;
      this.picked = null;
      this.buildLegend();
    }
    if (Number.isInteger(data.picked)) this.picked = data.picked;
    if (globalThis.DigitSprites) DigitSprites.follow(this, data); // digit mode, when asked for (sprites.js)
    else this.mode = "dots";
    this.resize();
  }

  buildLegend() {
    const names = this.set.names;
    const colors = names ? this.colors.slice(0, names.length) : this.colors;
    const chips = colors.map((color, digit) => {
      const chip = mapElement("button", { type: "button", className: "chip" }, [
        mapElement("i", { style: `background:${color}` }),
        this.labelName(digit),
      ]);
      chip.setAttribute("aria-pressed", String(!this.hidden.has(digit)));
      chip.title = names ? `Show or hide ${this.labelName(digit)}` : `Show or hide the ${digit}s`;
      chip.addEventListener("click", () => {
        if (this.hidden.has(digit)) this.hidden.delete(digit);
        else this.hidden.add(digit);
        chip.setAttribute("aria-pressed", String(!this.hidden.has(digit)));
        this.hover = -1;
        this.schedule(true);
      });
      return chip;
    });
    this.legend.replaceChildren(mapElement("span", { textContent: this.set.legendTitle }), ...chips);
  }

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

  // Widens the shorter side of a view about its centre so one unit is as long on both axes (circles stay round).
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
      const r = MAP_SIGMAS[MAP_SIGMAS.length - 1];
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

  zoomBy(factor, at = null) {
    const v = this.view;
    const cx = at ? at.x : (v.x0 + v.x1) / 2;
    const cy = at ? at.y : (v.y0 + v.y1) / 2;
    this.view = { x0: cx + (v.x0 - cx) * factor, x1: cx + (v.x1 - cx) * factor, y0: cy + (v.y0 - cy) * factor, y1: cy + (v.y1 - cy) * factor };
    this.schedule(true);
  }

  toScreen(x, y) {
    const b = this.box();
    const v = this.view;
    return [b.left + ((x - v.x0) / (v.x1 - v.x0)) * b.width, b.top + ((v.y1 - y) / (v.y1 - v.y0)) * b.height];
  }

  toData(sx, sy) {
    const b = this.box();
    const v = this.view;
    return { x: v.x0 + ((sx - b.left) / b.width) * (v.x1 - v.x0), y: v.y1 - ((sy - b.top) / b.height) * (v.y1 - v.y0) };
  }

  // The visible point nearest to the screen position (CSS px) within MAP_HIT, as a row number, or -1.
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

  // Where a test-set index is drawn (CSS px, relative to the canvas), or null; for the e2e tests.
  screenOf(index) {
    const row = this.set ? this.set.indices.indexOf(index) : -1;
    return row < 0 ? null : this.toScreen(this.set.xy[2 * row], this.set.xy[2 * row + 1]);
  }

  listen() {
    const at = (event) => {
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

  pan(drag, sx, sy) {
    const b = this.box();
    const v = drag.view;
    const dx = ((sx - drag.sx) / b.width) * (v.x1 - v.x0);
    const dy = ((sy - drag.sy) / b.height) * (v.y1 - v.y0);
    this.view = { x0: v.x0 - dx, x1: v.x1 - dx, y0: v.y0 + dy, y1: v.y1 + dy };
    this.hover = -1;
    this.schedule(true);
  }

  pick(row) {
    if (row < 0 || !this.pickable) return;
    this.picked = this.set.indices[row];
    this.setStateValue("picked", this.picked);
    this.schedule(false);
  }

  schedule(full, pointer) {
    this.dirty = this.dirty || full;
    if (pointer) this.pointer = pointer;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = 0;
    if (!this.set || !this.view || !this.width) return;
    if (this.dirty) this.drawBase();
    this.dirty = false;
    this.drawMarks();
  }
}

Object.assign(LatentMap.prototype, {
  drawBase() {
    const context = this.base.getContext("2d");
    context.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    context.fillStyle = "#fff";
    context.fillRect(0, 0, this.width, this.height);
    const b = this.box();
    const v = this.view;
    const xTicks = mapTicks(v.x0, v.x1, Math.max(3, Math.round(b.width / 90)));
    const yTicks = mapTicks(v.y0, v.y1, Math.max(3, Math.round(b.height / 70)));
    context.save();
    context.beginPath();
    context.rect(b.left, b.top, b.width, b.height);
    context.clip();
    this.drawGrid(context, xTicks, yTicks);
    const drawn = this.drawPoints(context);
    this.drawPrior(context);
    this.drawPath(context);
    context.restore();
    this.drawAxes(context, xTicks, yTicks);
    this.root.dataset.drawn = String(drawn);
    this.root.dataset.view = JSON.stringify({ ...v, ...b });
    if (this.root.dataset.state !== "ready") performance.mark("explorer:drawn:latent-map"); // first content, for the benchmarks
    this.root.dataset.state = "ready";
  },

  drawGrid(context, xTicks, yTicks) {
    const b = this.box();
    context.strokeStyle = "#ececf0";
    context.lineWidth = 1;
    context.beginPath();
    for (const t of xTicks) {
      const [x] = this.toScreen(t.value, 0);
      context.moveTo(Math.round(x) + 0.5, b.top);
      context.lineTo(Math.round(x) + 0.5, b.top + b.height);
    }
    for (const t of yTicks) {
      const [, y] = this.toScreen(0, t.value);
      context.moveTo(b.left, Math.round(y) + 0.5);
      context.lineTo(b.left + b.width, Math.round(y) + 0.5);
    }
    context.stroke();
  },

  drawPoints(context) {
    if (this.mode === "digits" && this.atlas) {
      this.root.dataset.mode = "digits";
      const size = DigitSprites.size(this.fittedSpan || 1, this.view.x1 - this.view.x0);
      return DigitSprites.draw(context, this.atlas, this.set, (x, y) => this.toScreen(x, y), size, this.box(), this.hidden);
    }
    this.root.dataset.mode = "dots";
    const { xy, labels, count } = this.set;
    let drawn = 0;
    context.globalAlpha = this.alpha;
    for (let digit = 0; digit < 10; digit++) {
      if (this.hidden.has(digit)) continue;
      context.fillStyle = this.colors[digit] || "#888";
      context.beginPath();
      for (let i = 0; i < count; i++) {
        if (labels[i] !== digit) continue;
        const [x, y] = this.toScreen(xy[2 * i], xy[2 * i + 1]);
        context.moveTo(x + MAP_DOT, y);
        context.arc(x, y, MAP_DOT, 0, 2 * Math.PI);
        drawn += 1;
      }
      context.fill();
    }
    context.globalAlpha = 1;
    return drawn;
  },

  drawPrior(context) {
    const prior = this.set.prior;
    if (!prior) return;
    const [cx, cy] = this.toScreen(prior.x, prior.y);
    const unit = this.box().width / (this.view.x1 - this.view.x0);
    context.strokeStyle = "rgba(30, 30, 30, 0.85)";
    context.lineWidth = 1.5;
    context.setLineDash([6, 5]);
    for (const sigma of MAP_SIGMAS) {
      context.beginPath();
      context.arc(cx, cy, sigma * unit, 0, 2 * Math.PI);
      context.stroke();
    }
    context.setLineDash([]);
  },

  drawPath(context) {
    const path = this.set.path;
    if (!path || !path.length) return;
    const at = path.map(([x, y]) => this.toScreen(x, y));
    context.strokeStyle = "#000";
    context.fillStyle = "#000";
    context.lineWidth = 2;
    context.beginPath();
    at.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
    context.stroke();
    at.forEach(([x, y], i) => {
      context.beginPath();
      if (i === at.length - 1) {
        context.fillRect(x - 4.5, y - 4.5, 9, 9); // the end: a square
        return;
      }
      context.arc(x, y, 4, 0, 2 * Math.PI);
      if (i === 0) context.fill(); // the start: a filled circle; the steps between: open circles
      else {
        context.fillStyle = "#fff";
        context.fill();
        context.fillStyle = "#000";
        context.stroke();
      }
    });
  },

  drawAxes(context, xTicks, yTicks) {
    const b = this.box();
    context.strokeStyle = "#888";
    context.lineWidth = 1;
    context.strokeRect(b.left + 0.5, b.top + 0.5, b.width - 1, b.height - 1);
    context.fillStyle = "#444";
    context.font = "11px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "top";
    for (const t of xTicks) context.fillText(t.text, this.toScreen(t.value, 0)[0], b.top + b.height + 4);
    context.textAlign = "right";
    context.textBaseline = "middle";
    for (const t of yTicks) context.fillText(t.text, b.left - 5, this.toScreen(0, t.value)[1]);
    context.font = "12px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "bottom";
    context.fillText(this.set.axes[0], b.left + b.width / 2, this.height - 4);
    context.save();
    context.translate(14, b.top + b.height / 2);
    context.rotate(-Math.PI / 2);
    context.textBaseline = "middle";
    context.fillText(this.set.axes[1], 0, 0);
    context.restore();
  },

  drawMarks() {
    const context = this.marks.getContext("2d");
    context.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    context.clearRect(0, 0, this.width, this.height);
    const ring = (row, radius, width) => {
      const [x, y] = this.toScreen(this.set.xy[2 * row], this.set.xy[2 * row + 1]);
      context.lineWidth = width;
      context.strokeStyle = "#111";
      context.beginPath();
      context.arc(x, y, radius, 0, 2 * Math.PI);
      context.stroke();
      return [x, y];
    };
    const pickedRow = this.picked === null ? -1 : this.set.indices.indexOf(this.picked);
    if (pickedRow >= 0) ring(pickedRow, 6, 2.5);
    if (this.hover < 0) {
      this.tip.hidden = true;
      return;
    }
    const [x, y] = ring(this.hover, 5, 1.5);
    const label = this.labelName(this.set.labels[this.hover]);
    const what = this.set.names ? label : `digit ${label}`;
    this.tip.textContent = `${what} \u00b7 test image #${this.set.indices[this.hover]}`;
    this.tip.hidden = false;
    const right = x > this.width - 170;
    this.tip.style.left = `${right ? x - 10 : x + 10}px`;
    this.tip.style.top = `${y - 28}px`;
    this.tip.style.transform = right ? "translateX(-100%)" : "";
  },
});

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const map = ExplorerMount.once(parentElement, "__latentMap", () => new LatentMap(parentElement, setStateValue));
  map.setStateValue = setStateValue;
  map.setData(data || {});
}
