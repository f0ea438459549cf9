/* ExplorerCanvas: canvas drawing that several components share.
 *
 *   clear(canvas)                         white paper, as a drawing starts
 *   stroke(context, stroke, from)         a pen stroke {width, points: [[x, y], ...]} from point `from` on (a lone
 *                                         point is a dot), black and round-capped like a felt pen
 *   scatter(context, pad, side, options)  a latent pad's points ({uv: (u, v) pairs in [-1, 1], labels: a string
 *                                         of digits, count}) as small squares in their digit's colour, v upwards
 *   drawing(canvas, side, width, changed) pointer drawing on a canvas (mouse, touch and pen): its strokes, drawn as
 *                                         they come, and redraw() after the list of strokes changed
 *
 * A plain script (no import/export) like runner.js: it defines one namespace, also set on globalThis.
 */
/** @typedef {{width: number, points: [number, number][]}} Stroke */
/** @typedef {{uv: Float32Array, labels: string, count: number}} Scatter */
/** @typedef {{strokes: Stroke[], context: CanvasRenderingContext2D, redraw: () => void}} Drawing */

const ExplorerCanvas = {
  /** @param {HTMLCanvasElement} canvas */
  clear(canvas) {
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
  },

  /** @param {CanvasRenderingContext2D} context @param {Stroke} stroke @param {number} from */
  stroke(context, stroke, from) {
    context.strokeStyle = "#000";
    context.fillStyle = "#000";
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = stroke.width;
    const points = stroke.points;
    if (points.length === 1) {
      context.beginPath();
      context.arc(points[0][0], points[0][1], stroke.width / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.beginPath();
    context.moveTo(...points[Math.max(0, from - 1)]);
    for (let i = Math.max(1, from); i < points.length; i++) context.lineTo(...points[i]);
    context.stroke();
  },

  /** options: {colors: ten CSS colours, dot: CSS px, alpha}.
   * @param {CanvasRenderingContext2D} context @param {Scatter} pad @param {number} side
   * @param {{colors: string[], dot: number, alpha: number}} options */
  scatter(context, pad, side, { colors, dot, alpha }) {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, side, side);
    context.globalAlpha = alpha;
    for (let digit = 0; digit < 10; digit++) {
      context.fillStyle = colors[digit] || "#888";
      const mark = String(digit);
      for (let i = 0; i < pad.count; i++) {
        if (pad.labels[i] !== mark) continue;
        const x = ((pad.uv[2 * i] + 1) / 2) * side;
        const y = ((1 - pad.uv[2 * i + 1]) / 2) * side;
        context.fillRect(x - dot / 2, y - dot / 2, dot, dot);
      }
    }
    context.globalAlpha = 1;
  },

  /**
   * Pointer drawing on `canvas`, `side` pixels a side: a stroke `width()` pixels wide from each press, painted as
   * the pointer moves (coalesced events too, so fast strokes stay smooth); `changed(event)` after each change.
   * @param {HTMLCanvasElement} canvas
   * @param {number} side
   * @param {() => number} width
   * @param {(event: Event) => void} changed
   * @returns {Drawing}
   */
  drawing(canvas, side, width, changed) {
    const context = canvas.getContext("2d", { willReadFrequently: true });
    /** @type {Stroke} */
    let active = null;
    /** @type {Drawing} */
    const drawing = {
      strokes: [],
      context,
      redraw() {
        ExplorerCanvas.clear(canvas);
        for (const stroke of drawing.strokes) ExplorerCanvas.stroke(context, stroke, 0);
      },
    };
    /** @param {PointerEvent} event @returns {[number, number]} */
    const at = (event) => {
      const box = canvas.getBoundingClientRect();
      return [((event.clientX - box.left) * side) / box.width, ((event.clientY - box.top) * side) / box.height];
    };
    canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      active = { width: width(), points: [at(event)] };
      drawing.strokes.push(active);
      ExplorerCanvas.stroke(context, active, 0);
      changed(event);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!active) return;
      const from = active.points.length;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const each of events.length ? events : [event]) active.points.push(at(each));
      ExplorerCanvas.stroke(context, active, from);
      changed(event);
    });
    const end = () => (active = null);
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    ExplorerCanvas.clear(canvas);
    return drawing;
  },
};
/** @type {any} */ (globalThis).ExplorerCanvas = ExplorerCanvas;
