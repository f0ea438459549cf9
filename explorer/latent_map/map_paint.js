/* MapPaint: what the latent map (map.js) shows: the base layer (grid, points or digits, the prior's circles, the path,
 * the axes), the marks layer (the picked and hovered rings, the tip) and the legend. Plain functions of the map
 * controller they are given, which keeps the state, the view and the pointer.
 *
 * A plain script (no import/export), like runner.js: it defines one namespace, MapPaint, also set on globalThis.
 * Needs mount.js in front of it, and sprites.js for the digit mode.
 */
/** @typedef {{x0: number, x1: number, y0: number, y1: number}} MapView the data ranges shown */
/** @typedef {{left: number, top: number, width: number, height: number}} MapBox the plot's box, CSS px */
/** @typedef {{value: number, text: string}} MapTick */
/**
 * @typedef {object} MapPoints the point set a map shows (map.js builds it from MapData)
 * @property {Float32Array} xy
 * @property {Uint8Array} labels
 * @property {Int32Array} indices
 * @property {number} count
 * @property {import("./contract").MapPrior | null} prior
 * @property {[string, string]} axes
 * @property {[number, number][] | null} path
 * @property {string[] | null} names
 * @property {string} legendTitle
 * @property {string} version MapData's fingerprint of the points
 */
/**
 * @typedef {object} MapState what the painters read from the map controller (map.js's LatentMap)
 * @property {MapPoints} set
 * @property {MapView} view
 * @property {() => MapBox} box
 * @property {(x: number, y: number) => [number, number]} toScreen
 * @property {(label: number) => string} labelName
 * @property {HTMLCanvasElement} base
 * @property {HTMLCanvasElement} marks
 * @property {HTMLElement} tip
 * @property {HTMLElement} root
 * @property {HTMLElement} legend
 * @property {(full: boolean) => void} schedule
 * @property {number} width
 * @property {number} height
 * @property {number} ratio
 * @property {string[]} colors
 * @property {number} alpha
 * @property {number[]} sigmas
 * @property {Set<number>} hidden
 * @property {string} mode
 * @property {any} atlas
 * @property {number} fittedSpan
 * @property {number | null} picked
 * @property {number} hover
 */

const MapPaint = (() => {
  const DOT = 1.8; // CSS px: point radius

  /** A round tick step near span / count: 1, 2 or 5 times a power of ten. @param {number} span @param {number} count */
  function tickStep(span, count) {
    const raw = span / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const unit = raw / power;
    return (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10) * power;
  }

  /** @param {number} lo @param {number} hi @param {number} count @returns {MapTick[]} */
  function ticks(lo, hi, count) {
    const step = tickStep(hi - lo, count);
    const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-6; t += step) {
      out.push({ value: t, text: (Math.abs(t) < step * 1e-6 ? 0 : t).toFixed(digits) });
    }
    return out;
  }

  /** The base layer, redrawn when the view or the points change. @param {MapState} map */
  function base(map) {
    const context = map.base.getContext("2d");
    context.setTransform(map.ratio, 0, 0, map.ratio, 0, 0);
    context.fillStyle = "#fff";
    context.fillRect(0, 0, map.width, map.height);
    const b = map.box();
    const v = map.view;
    const xTicks = ticks(v.x0, v.x1, Math.max(3, Math.round(b.width / 90)));
    const yTicks = ticks(v.y0, v.y1, Math.max(3, Math.round(b.height / 70)));
    context.save();
    context.beginPath();
    context.rect(b.left, b.top, b.width, b.height);
    context.clip();
    grid(map, context, xTicks, yTicks);
    const drawn = points(map, context);
    prior(map, context);
    path(map, context);
    context.restore();
    axes(map, context, xTicks, yTicks);
    map.root.dataset.drawn = String(drawn);
    map.root.dataset.view = JSON.stringify({ ...v, ...b });
    if (map.root.dataset.state !== "ready") performance.mark("explorer:drawn:latent-map"); // first content, for the benchmarks
    map.root.dataset.state = "ready";
  }

  /** @param {MapState} map @param {CanvasRenderingContext2D} context @param {MapTick[]} xTicks @param {MapTick[]} yTicks */
  function grid(map, context, xTicks, yTicks) {
    const b = map.box();
    context.strokeStyle = "#ececf0";
    context.lineWidth = 1;
    context.beginPath();
    for (const t of xTicks) {
      const [x] = map.toScreen(t.value, 0);
      context.moveTo(Math.round(x) + 0.5, b.top);
      context.lineTo(Math.round(x) + 0.5, b.top + b.height);
    }
    for (const t of yTicks) {
      const [, y] = map.toScreen(0, t.value);
      context.moveTo(b.left, Math.round(y) + 0.5);
      context.lineTo(b.left + b.width, Math.round(y) + 0.5);
    }
    context.stroke();
  }

  /** The points as dots in their label's colour, or as their own digits (sprites.js); returns how many were drawn.
   * @param {MapState} map @param {CanvasRenderingContext2D} context @returns {number} */
  function points(map, context) {
    if (map.mode === "digits" && map.atlas) {
      map.root.dataset.mode = "digits";
      const size = DigitSprites.size(map.fittedSpan || 1, map.view.x1 - map.view.x0);
      return DigitSprites.draw(context, map.atlas, map.set, (x, y) => map.toScreen(x, y), size, map.box(), map.hidden);
    }
    map.root.dataset.mode = "dots";
    const { xy, labels, count } = map.set;
    let drawn = 0;
    context.globalAlpha = map.alpha;
    for (let digit = 0; digit < 10; digit++) {
      if (map.hidden.has(digit)) continue;
      context.fillStyle = map.colors[digit] || "#888";
      context.beginPath();
      for (let i = 0; i < count; i++) {
        if (labels[i] !== digit) continue;
        const [x, y] = map.toScreen(xy[2 * i], xy[2 * i + 1]);
        context.moveTo(x + DOT, y);
        context.arc(x, y, DOT, 0, 2 * Math.PI);
        drawn += 1;
      }
      context.fill();
    }
    context.globalAlpha = 1;
    return drawn;
  }

  /** The prior's dashed circles (map.sigmas standard deviations) around where z = 0 lands.
   * @param {MapState} map @param {CanvasRenderingContext2D} context */
  function prior(map, context) {
    const centre = map.set.prior;
    if (!centre) return;
    const [cx, cy] = map.toScreen(centre.x, centre.y);
    const unit = map.box().width / (map.view.x1 - map.view.x0);
    context.strokeStyle = "rgba(30, 30, 30, 0.85)";
    context.lineWidth = 1.5;
    context.setLineDash([6, 5]);
    for (const sigma of map.sigmas) {
      context.beginPath();
      context.arc(cx, cy, sigma * unit, 0, 2 * Math.PI);
      context.stroke();
    }
    context.setLineDash([]);
  }

  /** A line from a filled circle (start) through open circles to a square (end).
   * @param {MapState} map @param {CanvasRenderingContext2D} context */
  function path(map, context) {
    const line = map.set.path;
    if (!line || !line.length) return;
    const at = line.map(([x, y]) => map.toScreen(x, y));
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
  }

  /** @param {MapState} map @param {CanvasRenderingContext2D} context @param {MapTick[]} xTicks @param {MapTick[]} yTicks */
  function axes(map, context, xTicks, yTicks) {
    const b = map.box();
    context.strokeStyle = "#888";
    context.lineWidth = 1;
    context.strokeRect(b.left + 0.5, b.top + 0.5, b.width - 1, b.height - 1);
    context.fillStyle = "#444";
    context.font = "11px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "top";
    for (const t of xTicks) context.fillText(t.text, map.toScreen(t.value, 0)[0], b.top + b.height + 4);
    context.textAlign = "right";
    context.textBaseline = "middle";
    for (const t of yTicks) context.fillText(t.text, b.left - 5, map.toScreen(0, t.value)[1]);
    context.font = "12px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "bottom";
    context.fillText(map.set.axes[0], b.left + b.width / 2, map.height - 4);
    context.save();
    context.translate(14, b.top + b.height / 2);
    context.rotate(-Math.PI / 2);
    context.textBaseline = "middle";
    context.fillText(map.set.axes[1], 0, 0);
    context.restore();
  }

  /** The marks layer, redrawn as the pointer moves: rings on the picked and hovered points, the hover's tip.
   * @param {MapState} map */
  function marks(map) {
    const context = map.marks.getContext("2d");
    context.setTransform(map.ratio, 0, 0, map.ratio, 0, 0);
    context.clearRect(0, 0, map.width, map.height);
    const ring = (/** @type {number} */ row, /** @type {number} */ radius, /** @type {number} */ width) => {
      const [x, y] = map.toScreen(map.set.xy[2 * row], map.set.xy[2 * row + 1]);
      context.lineWidth = width;
      context.strokeStyle = "#111";
      context.beginPath();
      context.arc(x, y, radius, 0, 2 * Math.PI);
      context.stroke();
      return [x, y];
    };
    const pickedRow = map.picked === null ? -1 : map.set.indices.indexOf(map.picked);
    if (pickedRow >= 0) ring(pickedRow, 6, 2.5);
    if (map.hover < 0) {
      map.tip.hidden = true;
      return;
    }
    const [x, y] = ring(map.hover, 5, 1.5);
    const label = map.labelName(map.set.labels[map.hover]);
    const what = map.set.names ? label : `digit ${label}`;
    map.tip.textContent = `${what} \u00b7 test image #${map.set.indices[map.hover]}`;
    map.tip.hidden = false;
    const right = x > map.width - 170;
    map.tip.style.left = `${right ? x - 10 : x + 10}px`;
    map.tip.style.top = `${y - 28}px`;
    map.tip.style.transform = right ? "translateX(-100%)" : "";
  }

  /** The legend: one chip per label, in its colour and name (as text, never markup); a click hides or shows the
   * label's points. @param {MapState} map */
  function legend(map) {
    const names = map.set.names;
    const colors = names ? map.colors.slice(0, names.length) : map.colors;
    const chips = colors.map((color, digit) => {
      const chip = ExplorerMount.element("button", { type: "button", className: "chip" }, [
        ExplorerMount.element("i", { style: `background:${color}` }),
        map.labelName(digit),
      ]);
      chip.setAttribute("aria-pressed", String(!map.hidden.has(digit)));
      chip.title = names ? `Show or hide ${map.labelName(digit)}` : `Show or hide the ${digit}s`;
      chip.addEventListener("click", () => {
        if (map.hidden.has(digit)) map.hidden.delete(digit);
        else map.hidden.add(digit);
        chip.setAttribute("aria-pressed", String(!map.hidden.has(digit)));
        map.hover = -1;
        map.schedule(true);
      });
      return chip;
    });
    map.legend.replaceChildren(ExplorerMount.element("span", { textContent: map.set.legendTitle }), ...chips);
  }

  return { ticks, base, marks, legend };
})();
/** @type {any} */ (globalThis).MapPaint = MapPaint;
