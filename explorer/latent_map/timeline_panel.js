/* TimelinePanel: one model's column of the training timeline (timeline.js): its codes on the fixed map with the
 * prior's circles, the validation digits with that epoch's reconstructions and prior samples, the loss curves with
 * a cursor, and the VAE's KL per dimension; show(epoch) redraws them all from the model's data (TimelineModel).
 *
 * A plain script (no import/export), like runner.js: it defines one class, TimelinePanel, also set on globalThis.
 * Needs mount.js in front of it.
 */
/** @typedef {import("./contract").TimelineModel} TimelineModel */

const TimelinePanel = (() => {
  const TL_MAP = 280; // CSS px: each map's side

  /** @param {number} width @param {number} height @param {string} className
   * @returns {[HTMLCanvasElement, CanvasRenderingContext2D]} */
  function tlCanvas(width, height, className) {
    const canvas = ExplorerMount.element("canvas", { className });
    const ratio = Math.max(1, globalThis.devicePixelRatio || 1);
    [canvas.width, canvas.height] = [Math.round(width * ratio), Math.round(height * ratio)];
    [canvas.style.width, canvas.style.height] = [`${width}px`, `${height}px`];
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return [canvas, context];
  }

  /** One model's column: its map, strips, curves and KL bars, redrawn for an epoch by show(epoch). */
  class TimelinePanel {
    /** @param {string[]} colors @param {number[]} sigmas the prior's circles, in standard deviations */
    constructor(colors, sigmas) {
      this.colors = colors;
      this.sigmas = sigmas;
      /** @type {[number, number]} the first and last epoch of every model shown: one x axis for the curves */
      this.span = null;
      /** @type {HTMLCanvasElement} */
      this.scratch = null;
      const [map, mapContext] = tlCanvas(TL_MAP, TL_MAP, "map");
      const [strips, stripContext] = tlCanvas(TL_MAP, 3 * 34 + 6, "strips");
      const [curves, curveContext] = tlCanvas(TL_MAP, 110, "curves");
      const [bars, barContext] = tlCanvas(TL_MAP, 70, "bars");
      this.map = map;
      this.mapContext = mapContext;
      this.strips = strips;
      this.stripContext = stripContext;
      this.curves = curves;
      this.curveContext = curveContext;
      this.bars = bars;
      this.barContext = barContext;
      this.title = ExplorerMount.element("div", { className: "title" });
      this.root = ExplorerMount.element("div", { className: "panel" }, [this.title, this.map, this.strips, this.curves, this.bars]);
    }

    /** @param {TimelineModel} model */
    setModel(model) {
      this.model = model;
      this.title.textContent = model.title;
      this.root.dataset.kind = model.kind;
      this.points = ExplorerMount.unpack(model.points, "<f2");
      this.labels = Uint8Array.from(model.labels, (c) => c.charCodeAt(0) - 48);
      this.recon = ExplorerMount.unpack(model.recon, "u1");
      this.samples = ExplorerMount.unpack(model.samples, "u1");
      this.originals = ExplorerMount.unpack(model.originals, "u1");
      this.bars.hidden = model.kind !== "vae";
      const [x0, x1, y0, y1] = model.bounds;
      const unit = Math.max((x1 - x0) / (TL_MAP - 20), (y1 - y0) / (TL_MAP - 20)); // square: circles stay round
      this.view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, unit };
    }

    /** @param {number} x @param {number} y @returns {[number, number]} */
    toScreen(x, y) {
      return [TL_MAP / 2 + (x - this.view.cx) / this.view.unit, TL_MAP / 2 - (y - this.view.cy) / this.view.unit];
    }

    /** The row for `epoch` in this model's timeline: its last snapshot at or before it (models may differ in length).
     * @param {number} epoch */
    rowOf(epoch) {
      const epochs = this.model.epochs;
      let row = 0;
      while (row + 1 < epochs.length && epochs[row + 1] <= epoch) row++;
      return row;
    }

    /** @param {number} epoch */
    show(epoch) {
      const row = this.rowOf(epoch);
      this.drawMap(row);
      this.drawStrips(row);
      this.drawCurves(row);
      if (this.model.kind === "vae") this.drawBars(row);
      this.map.dataset.epoch = String(this.model.epochs[row]);
    }

    /** @param {number} row */
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

    /** @param {CanvasRenderingContext2D} context */
    drawPrior(context) {
      if (!this.model.prior) return;
      const [cx, cy] = this.toScreen(this.model.prior[0], this.model.prior[1]);
      context.strokeStyle = "rgba(30, 30, 30, 0.85)";
      context.lineWidth = 1.2;
      context.setLineDash([5, 4]);
      for (const sigma of this.sigmas) {
        context.beginPath();
        context.arc(cx, cy, sigma / this.view.unit, 0, 2 * Math.PI);
        context.stroke();
      }
      context.setLineDash([]);
    }

    /** Three strips: the validation digits, their reconstructions and prior samples at this epoch.
     * @param {number} row */
    drawStrips(row) {
      const context = this.stripContext;
      const shown = this.model.shown;
      const size = Math.min(32, Math.floor((TL_MAP - 70) / shown));
      context.fillStyle = "#fff";
      context.fillRect(0, 0, TL_MAP, 3 * 34 + 6);
      /** @type {[string, Uint8Array, number][]} */
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

    /** @param {CanvasRenderingContext2D} context @param {Uint8Array} pixels @param {number} offset @param {number} x
     * @param {number} y @param {number} size */
    drawDigit(context, pixels, offset, x, y, size) {
      const image = context.createImageData(28, 28);
      for (let p = 0; p < 784; p++) {
        const v = 255 - pixels[offset + p]; // dark ink on white
        image.data.set([v, v, v, 255], 4 * p);
      }
      if (!this.scratch) this.scratch = Object.assign(document.createElement("canvas"), { width: 28, height: 28 });
      this.scratch.getContext("2d").putImageData(image, 0, 0);
      context.imageSmoothingEnabled = false;
      context.drawImage(this.scratch, x, y, size, size);
      context.imageSmoothingEnabled = true;
    }

    /** Train and validation loss over every epoch, with a cursor at the epoch shown. @param {number} row */
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
    }

    /** The VAE's KL per latent dimension at the epoch shown, on the scale of the largest over all epochs.
     * @param {number} row */
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
    }
  }

  return TimelinePanel;
})();
/** @type {any} */ (globalThis).TimelinePanel = TimelinePanel;
