/* Training timeline: how the latent space formed, epoch by epoch, for one or two models side by side.
 *
 * data: {models: [{title, kind, epochs: [..], count, labels: a string of digits, points: base64 float16 (E, N, 2),
 * bounds: [x0, x1, y0, y1] (the same axes at every epoch), prior: [x, y] (where z = 0 lands; 1-2-3 sigma circles)
 * or null, axes: [x, y], recon / samples: base64 uint8 (E, shown, 28, 28), originals: base64 uint8 (shown, 28,
 * 28), shown, losses: {train_loss: [..], valid_loss: [..], ...}, kl_per_dim: [[..] per epoch]}], colors, testid}
 * (explorer/latent_map/timeline_chart.py). Everything for every epoch is in the data, so the slider and play never
 * ask the server. data may instead be {src: a URL of that JSON (content-hashed, fetched once), testid}. When new epochs arrive (a run still training) and the slider was at the last epoch, it follows.
 * For tests the root carries data-state, data-epoch (the epoch shown) and each map data-drawn and data-epoch.
 */
const TL_MAP = 280; // CSS px: each map's side
const TL_PLAY_MS = 300; // per epoch while playing
const TL_SIGMAS = [1, 2, 3];

const { element: tlElement, bytes: tlBytes } = ExplorerMount;

// float16 bits -> number (the browsers this runs in have no Float16Array everywhere yet).
function tlHalf(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function tlCanvas(width, height, className) {
  const canvas = tlElement("canvas", { className });
  const ratio = Math.max(1, globalThis.devicePixelRatio || 1);
  [canvas.width, canvas.height] = [Math.round(width * ratio), Math.round(height * ratio)];
  [canvas.style.width, canvas.style.height] = [`${width}px`, `${height}px`];
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return [canvas, context];
}

// One model's column: its map, strips, curves and KL bars, redrawn for an epoch by show(e).
class TimelinePanel {
  constructor(colors) {
    this.colors = colors;
    [this.map, this.mapContext] = tlCanvas(TL_MAP, TL_MAP, "map");
    [this.strips, this.stripContext] = tlCanvas(TL_MAP, 3 * 34 + 6, "strips");
    [this.curves, this.curveContext] = tlCanvas(TL_MAP, 110, "curves");
    [this.bars, this.barContext] = tlCanvas(TL_MAP, 70, "bars");
    this.title = tlElement("div", { className: "title" });
    this.root = tlElement("div", { className: "panel" }, [this.title, this.map, this.strips, this.curves, this.bars]);
  }

  setModel(model) {
    this.model = model;
    this.title.textContent = model.title;
    this.root.dataset.kind = model.kind;
    const raw = new Uint16Array(tlBytes(model.points));
    this.points = Float32Array.from(raw, tlHalf);
    this.labels = Uint8Array.from(model.labels, (c) => c.charCodeAt(0) - 48);
    this.recon = new Uint8Array(tlBytes(model.recon));
    this.samples = new Uint8Array(tlBytes(model.samples));
    this.originals = new Uint8Array(tlBytes(model.originals));
    this.bars.hidden = model.kind !== "vae";
    const [x0, x1, y0, y1] = model.bounds;
    const unit = Math.max((x1 - x0) / (TL_MAP - 20), (y1 - y0) / (TL_MAP - 20)); // square: circles stay round
    this.view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, unit };
  }

  toScreen(x, y) {
    return [TL_MAP / 2 + (x - this.view.cx) / this.view.unit, TL_MAP / 2 - (y - this.view.cy) / this.view.unit];
  }

  // The row for `epoch` in this model's timeline: its last snapshot at or before it (models may differ in length).
  rowOf(epoch) {
    const epochs = this.model.epochs;
    let row = 0;
    while (row + 1 < epochs.length && epochs[row + 1] <= epoch) row++;
    return row;
  }

  show(epoch) {
    const row = this.rowOf(epoch);
    this.drawMap(row);
    this.drawStrips(row);
    this.drawCurves(row);
    if (this.model.kind === "vae") this.drawBars(row);
    this.map.dataset.epoch = String(this.model.epochs[row]);
  }

  drawMap(row) {
    const context = this.mapContext;
    context.fillStyle = "#fff";
    context.fillRect(0, 0, TL_MAP, TL_MAP);
    const { count } = this.model;
    const base = row * count * 2;
    let drawn = 0;
    context.globalAlpha = 0.7;
    for (let digit = 0; digit < 10; digit++) {
      context.fillStyle = this.colors[digit] || "#888";
      context.beginPath();
      for (let i = 0; i < count; i++) {
        if (this.labels[i] !== digit) continue;
        const [x, y] = this.toScreen(this.points[base + 2 * i], this.points[base + 2 * i + 1]);
        if (x < 0 || x > TL_MAP || y < 0 || y > TL_MAP) continue;
        context.moveTo(x + 1.8, y);
        context.arc(x, y, 1.8, 0, 2 * Math.PI);
        drawn += 1;
      }
      context.fill();
    }
    context.globalAlpha = 1;
    this.drawPrior(context);
    context.strokeStyle = "#888";
    context.strokeRect(0.5, 0.5, TL_MAP - 1, TL_MAP - 1);
    context.fillStyle = "#444";
    context.font = "11px sans-serif";
    context.fillText(`${this.model.axes[0]} \u2192, ${this.model.axes[1]} \u2191`, 6, TL_MAP - 6);
    this.map.dataset.drawn = String(drawn);
  }

  drawPrior(context) {
    if (!this.model.prior) return;
    const [cx, cy] = this.toScreen(this.model.prior[0], this.model.prior[1]);
    context.strokeStyle = "rgba(30, 30, 30, 0.85)";
    context.lineWidth = 1.2;
    context.setLineDash([5, 4]);
    for (const sigma of TL_SIGMAS) {
      context.beginPath();
      context.arc(cx, cy, sigma / this.view.unit, 0, 2 * Math.PI);
      context.stroke();
    }
    context.setLineDash([]);
  }

  // Three strips: the validation digits, their reconstructions and prior samples at this epoch.
  drawStrips(row) {
    const context = this.stripContext;
    const shown = this.model.shown;
    const size = Math.min(32, Math.floor((TL_MAP - 70) / shown));
    context.fillStyle = "#fff";
    context.fillRect(0, 0, TL_MAP, 3 * 34 + 6);
    const rows = [
      ["digits", this.originals, 0],
      ["recon.", this.recon, row * shown * 784],
      ["samples", this.samples, row * shown * 784],
    ];
    rows.forEach(([name, pixels, offset], r) => {
      context.fillStyle = "#444";
      context.font = "11px sans-serif";
      context.fillText(name, 0, r * 34 + 20);
      for (let k = 0; k < shown; k++) this.drawDigit(context, pixels, offset + k * 784, 62 + k * (size + 2), r * 34 + 2, size);
    });
  }

  drawDigit(context, pixels, offset, x, y, size) {
    const image = context.createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = 255 - pixels[offset + p]; // dark ink on white
      image.data.set([v, v, v, 255], 4 * p);
    }
    if (!this.scratch) [this.scratch] = [Object.assign(document.createElement("canvas"), { width: 28, height: 28 })];
    this.scratch.getContext("2d").putImageData(image, 0, 0);
    context.imageSmoothingEnabled = false;
    context.drawImage(this.scratch, x, y, size, size);
    context.imageSmoothingEnabled = true;
  }
}

Object.assign(TimelinePanel.prototype, {
  // Train and validation loss over every epoch, with a cursor at the epoch shown.
  drawCurves(row) {
    const context = this.curveContext;
    const [w, h, left, top, bottom] = [TL_MAP, 110, 40, 14, 18];
    context.fillStyle = "#fff";
    context.fillRect(0, 0, w, h);
    const { losses, epochs } = this.model;
    const series = [
      ["train_loss", "#1f77b4"],
      ["valid_loss", "#d62728"],
    ];
    const values = series.flatMap(([key]) => (losses[key] || []).filter((v) => v !== null));
    if (!values.length) return;
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const [first, last] = this.span || [epochs[0], epochs[epochs.length - 1]]; // all models' epochs: one x axis
    const sx = (e) => left + ((e - first) / Math.max(1, last - first)) * (w - left - 6);
    const sy = (v) => top + (1 - (v - lo) / (hi - lo || 1)) * (h - top - bottom);
    for (const [key, color] of series) {
      context.strokeStyle = color;
      context.beginPath();
      (losses[key] || []).forEach((v, i) => v !== null && (i ? context.lineTo(sx(epochs[i]), sy(v)) : context.moveTo(sx(epochs[i]), sy(v))));
      context.stroke();
    }
    context.strokeStyle = "#111";
    context.beginPath();
    context.moveTo(sx(epochs[row]) + 0.5, top);
    context.lineTo(sx(epochs[row]) + 0.5, h - bottom);
    context.stroke();
    context.fillStyle = "#444";
    context.font = "11px sans-serif";
    context.fillText(hi.toFixed(1), 0, top + 4);
    context.fillText(lo.toFixed(1), 0, h - bottom);
    const valid = losses.valid_loss[row];
    context.fillText(`loss: train (blue), validation (red) ${valid === null ? "" : valid.toFixed(2)}`, left, 10);
    this.curves.dataset.cursor = String(sx(epochs[row]));
  },

  // The VAE's KL per latent dimension at the epoch shown, on the scale of the largest over all epochs.
  drawBars(row) {
    const context = this.barContext;
    const [w, h] = [TL_MAP, 70];
    context.fillStyle = "#fff";
    context.fillRect(0, 0, w, h);
    const all = this.model.kl_per_dim;
    const top = Math.max(1e-6, ...all.flat());
    const values = all[row] || [];
    const width = (w - 10) / Math.max(1, values.length);
    context.fillStyle = "#9467bd";
    values.forEach((v, i) => {
      const bar = (v / top) * (h - 26);
      context.fillRect(5 + i * width + 1, h - 12 - bar, Math.max(1, width - 2), bar);
    });
    context.fillStyle = "#444";
    context.font = "11px sans-serif";
    context.fillText(`KL per dimension (nats): ${values.map((v) => v.toFixed(1)).join(" ")}`.slice(0, 60), 4, 10);
  },
});

class TrainingTimeline {
  constructor(parent) {
    this.slider = tlElement("input", { type: "range", min: "0", max: "0", step: "1", value: "0" });
    this.slider.setAttribute("aria-label", "Epoch");
    this.play = tlElement("button", { type: "button", textContent: "\u25b6 Play" });
    this.label = tlElement("span", { className: "epoch" });
    this.panels = tlElement("div", { className: "panels" });
    this.root = tlElement("div", { className: "training-timeline" }, [
      tlElement("div", { className: "controls" }, [this.play, this.slider, this.label]),
      this.panels,
    ]);
    parent.append(this.root);
    this.slider.addEventListener("input", () => this.stopPlaying() || this.show(this.epochs[Number(this.slider.value)]));
    this.play.addEventListener("click", () => (this.timer ? this.stopPlaying() : this.startPlaying()));
    this.views = [];
    this.epochs = [];
  }

  setData(data) {
    this.root.dataset.testid = data.testid || "";
    if (!data.src) return this.apply(data);
    if (data.src === this.src) return undefined;
    this.src = data.src;
    return fetch(data.src)
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((loaded) => data.src === this.src && this.apply(loaded))
      .catch((error) => {
        this.root.dataset.state = "error";
        this.label.textContent = `The timeline could not be loaded (${error.message}).`;
      });
  }

  apply(data) {
    const models = data.models || [];
    const following = !this.epochs.length || this.epoch === this.epochs[this.epochs.length - 1];
    while (this.views.length < models.length) this.views.push(new TimelinePanel(data.colors || []));
    this.views.length = models.length;
    this.panels.replaceChildren(...this.views.map((v) => v.root));
    models.forEach((model, i) => this.views[i].setModel(model));
    this.epochs = [...new Set(models.flatMap((m) => m.epochs))].sort((a, b) => a - b);
    this.slider.max = String(Math.max(0, this.epochs.length - 1));
    for (const view of this.views) view.span = [this.epochs[0], this.epochs[this.epochs.length - 1]];
    if (!this.epochs.length) return;
    const keep = this.epochs.includes(this.epoch) && !following;
    this.show(keep ? this.epoch : this.epochs[this.epochs.length - 1]);
  }

  show(epoch) {
    const started = performance.now();
    this.epoch = epoch;
    this.slider.value = String(this.epochs.indexOf(epoch));
    this.label.textContent = `epoch ${epoch} of ${this.epochs[this.epochs.length - 1]}`;
    for (const view of this.views) view.show(epoch);
    this.root.dataset.epoch = String(epoch);
    this.root.dataset.repaintMs = String(performance.now() - started);
    this.root.dataset.state = "ready";
  }

  // Where point `i` of model `m` is drawn at the epoch shown (CSS px in its map); for the tests.
  screenOf(m, i) {
    const view = this.views[m];
    const base = view.rowOf(this.epoch) * view.model.count * 2;
    return view.toScreen(view.points[base + 2 * i], view.points[base + 2 * i + 1]);
  }

  startPlaying() {
    if (this.epoch === this.epochs[this.epochs.length - 1]) this.show(this.epochs[0]);
    this.play.textContent = "\u275a\u275a Pause";
    this.timer = setInterval(() => {
      const next = this.epochs.indexOf(this.epoch) + 1;
      if (next >= this.epochs.length) return this.stopPlaying();
      this.show(this.epochs[next]);
    }, TL_PLAY_MS);
  }

  stopPlaying() {
    clearInterval(this.timer);
    this.timer = 0;
    this.play.textContent = "\u25b6 Play";
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const timeline = ExplorerMount.once(parentElement, "__timeline", () => new TrainingTimeline(parentElement));
  timeline.setData(data || {});
}
