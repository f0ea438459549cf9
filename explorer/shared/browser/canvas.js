/* ExplorerCanvas: canvas drawing that several components share.
 *
 *   clear(canvas)                         white paper, as a drawing starts
 *   stroke(context, stroke, from)         a pen stroke {width, points: [[x, y], ...]} from point `from` on (a lone
 *                                         point is a dot), black and round-capped like a felt pen
 *   scatter(context, pad, side, options)  a latent pad's points ({uv: (u, v) pairs in [-1, 1], labels: a string
 *                                         of digits, count}) as small squares in their digit's colour, v upwards
 *
 * A plain script (no import/export) like runner.js: it defines one namespace, also set on globalThis.
 */
const ExplorerCanvas = {
  clear(canvas) {
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
  },

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

  /** options: {colors: ten CSS colours, dot: CSS px, alpha}. */
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
};
globalThis.ExplorerCanvas = ExplorerCanvas;
