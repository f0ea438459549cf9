/* Charts on a canvas: training curves, bar charts, a histogram with marked values and heatmaps, drawn by this
 * small module instead of Streamlit's Vega-Lite chart, whose script took 1.3-1.5 s of a page's first paint.
 *
 * The chart fills its container's width (a ResizeObserver redraws it), draws at the screen's pixel density and
 * names what is under the pointer. Streamlit calls the module on every script run that draws the chart; with the
 * same key the same element and canvas stay and only repaint, so a growing chart never flashes blank.
 *
 * data (built by explorer/charts/chart_data.py): {kind: "lines" | "bars" | "histogram" | "heatmap", testid, title,
 * height (one plot's height, CSS px), series: [{name, color, dash}], x_title, y_title, y_format: "number" |
 * "percent"}, and per kind:
 *   lines:     x (the x values all panels share), panels: [{title, values: one list per series, null = gap}],
 *              columns (panels per row at most, 0 = as many as fit), markers;
 *   bars:      categories, category_title, values (one list per series);
 *   histogram: edges, counts, domain [lo, hi], rules: [{x, label, color, row}] (label lines count from the top);
 *   heatmap:   shape [rows, columns], panels: [{title, values row by row}], scale {domain, colors} (ascending
 *              domain, colours in between mixed linearly, values outside clamped), cell (most CSS px per cell),
 *              legend_title, value_title.
 * Text reaches the page as textContent or canvas text, never as markup.
 *
 * For tests the root carries data-testid, data-kind, data-state ("ready" once drawn), data-paints (paints so far),
 * data-series, data-panels, data-marks (points, bars or cells drawn) and data-layout (per panel: the plot box in
 * CSS px relative to the canvas, the x and y domains, a heatmap's cell size and a histogram's rule labels).
 */
const CHART_GAP = 22; // CSS px between panels
const CHART_MIN_PANEL = 210; // CSS px: a narrower line panel moves to the next row
const CHART_GRID = "rgba(120, 120, 135, 0.2)";
const CHART_AXIS = "rgba(120, 120, 135, 0.75)";
const CHART_LEGEND_HEIGHT = 48; // CSS px under a heatmap for its colour legend
const CHART_LINE_HEIGHT = 15; // CSS px between a histogram's rule labels

function chartElement(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

// The round step (1, 2 or 5 times a power of ten) nearest to span / count on a log scale, at least minStep.
function chartStep(span, count, minStep = 0) {
  const raw = Math.max(span / Math.max(1, count), 1e-12);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  const step = (unit >= Math.sqrt(50) ? 10 : unit >= Math.sqrt(10) ? 5 : unit >= Math.sqrt(2) ? 2 : 1) * power;
  return minStep > 0 ? Math.max(step, Math.ceil(minStep / step) * step) : step;
}

function chartTickText(value, step, format) {
  const scale = format === "percent" ? 100 : 1;
  const digits = Math.max(0, -Math.floor(Math.log10(step * scale) + 1e-9));
  const text = (Math.abs(value) < step * 1e-6 ? 0 : value * scale).toFixed(digits);
  return format === "percent" ? `${text}%` : text;
}

// Ticks at whole steps between lo and hi; with `extend` the range first grows to whole steps (a "nice" domain).
function chartTicks(lo, hi, count, { extend = false, minStep = 0, format = "number" } = {}) {
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const step = chartStep(hi - lo, count, minStep);
  if (extend) [lo, hi] = [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
  const ticks = [];
  for (let i = Math.ceil(lo / step - 1e-9); i <= Math.floor(hi / step + 1e-9); i++) {
    ticks.push({ value: i * step, text: chartTickText(i * step, step, format) });
  }
  return { lo, hi, step, ticks };
}

// A value for a hover readout: as many decimals as its size deserves.
function chartValue(value, format) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "no value";
  if (format === "percent") return `${(value * 100).toFixed(1)}%`;
  const size = Math.abs(value);
  if (size >= 100) return value.toFixed(1);
  if (size >= 1 || size === 0) return value.toFixed(2);
  return value.toPrecision(3);
}

function chartFinite(values) {
  return values.filter((v) => typeof v === "number" && Number.isFinite(v));
}

function chartRgb(hex) {
  const n = parseInt(String(hex).slice(1, 7), 16) || 0;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// The colour of `value` on a scale {domain, rgb}: linear between neighbouring stops, clamped at the ends.
function chartColor(scale, value) {
  const { domain, rgb } = scale;
  const last = domain.length - 1;
  const v = Math.min(domain[last], Math.max(domain[0], value));
  let i = 0;
  while (i < last - 1 && v > domain[i + 1]) i++;
  const t = (v - domain[i]) / (domain[i + 1] - domain[i]);
  const [a, b] = [rgb[i], rgb[i + 1]];
  return `rgb(${a.map((c, k) => Math.round(c + (b[k] - c) * t)).join(", ")})`;
}

// Linear x and y scales for a panel, read from its box when called (the box moves once the panel is placed).
function chartAxes(panel, xs, ys) {
  Object.assign(panel, { xs, ys });
  panel.toX = (v) => panel.box.left + ((v - xs.lo) / (xs.hi - xs.lo)) * panel.box.width;
  panel.toY = (v) => panel.box.top + ((ys.hi - v) / (ys.hi - ys.lo)) * panel.box.height;
}

// The plot box of an x-y panel: room on the left for its y tick labels (measured) and the y title, below for the
// x tick labels and the x title, above for the panel's title. Sets panel.ys, panel.box and panel.height.
function chartPlace(panel, width, context, chart, [yLo, yHi]) {
  const data = chart.data;
  const height = data.height || 200;
  const ys = chartTicks(yLo, yHi, Math.max(2, Math.round(height / 42)), { extend: true, format: data.y_format });
  context.font = chart.font(11);
  const labels = Math.max(0, ...ys.ticks.map((t) => context.measureText(t.text).width));
  const left = Math.ceil(labels) + 8 + (data.y_title ? 18 : 0);
  const top = panel.title ? 22 : 8;
  const bottom = 20 + (data.x_title ? 18 : 0);
  panel.ys = ys;
  panel.box = { left, top, width: Math.max(40, width - left - 14), height };
  panel.height = top + height + bottom;
}

// Grid lines, the two axes, tick labels (xLabels: [{x, text}] in CSS px) and the titles of an x-y panel.
function chartFrame(context, panel, chart, xLabels, xGrid) {
  const { box } = panel;
  const bottom = box.top + box.height;
  context.lineWidth = 1;
  context.strokeStyle = CHART_GRID;
  context.beginPath();
  for (const t of panel.ys.ticks) {
    const y = Math.round(panel.toY(t.value)) + 0.5;
    context.moveTo(box.left, y);
    context.lineTo(box.left + box.width, y);
  }
  for (const { x } of xGrid ? xLabels : []) {
    context.moveTo(Math.round(x) + 0.5, box.top);
    context.lineTo(Math.round(x) + 0.5, bottom);
  }
  context.stroke();
  context.strokeStyle = CHART_AXIS;
  context.beginPath();
  context.moveTo(box.left + 0.5, box.top);
  context.lineTo(box.left + 0.5, Math.round(bottom) + 0.5);
  context.lineTo(box.left + box.width, Math.round(bottom) + 0.5);
  context.stroke();
  context.fillStyle = chart.ink;
  context.font = chart.font(11);
  context.textAlign = "right";
  context.textBaseline = "middle";
  for (const t of panel.ys.ticks) context.fillText(t.text, box.left - 5, panel.toY(t.value));
  context.textAlign = "center";
  context.textBaseline = "top";
  for (const { x, text } of xLabels) context.fillText(text, x, bottom + 4);
  chartTitles(context, panel, chart);
}

function chartTitles(context, panel, chart) {
  const { box, frame } = panel;
  const data = chart.data;
  context.fillStyle = chart.ink;
  context.textAlign = "center";
  if (panel.title) {
    context.font = chart.font(12, 600);
    context.textBaseline = "bottom";
    context.fillText(panel.title, box.left + box.width / 2, box.top - 6);
  }
  context.font = chart.font(12);
  if (data.x_title) {
    context.textBaseline = "bottom";
    context.fillText(data.x_title, box.left + box.width / 2, frame.top + frame.height - 2);
  }
  if (data.y_title) {
    context.save();
    context.translate(frame.left + 8, box.top + box.height / 2);
    context.rotate(-Math.PI / 2);
    context.textBaseline = "middle";
    context.fillText(data.y_title, 0, 0);
    context.restore();
  }
}

// The hover readout's marker: a ring around (x, y).
function chartRing(context, x, y, color) {
  context.beginPath();
  context.arc(x, y, 4.5, 0, 2 * Math.PI);
  context.fillStyle = "#fff";
  context.fill();
  context.lineWidth = 2;
  context.strokeStyle = color;
  context.stroke();
}

// ---- Line panels: one per training term, each with its own y scale.
const CHART_LINES = {
  panels(data) {
    return (data.panels || []).map((p) => ({ title: p.title || "", values: p.values || [] }));
  },

  columns(data, width) {
    const fit = Math.max(1, Math.floor((width + CHART_GAP) / (CHART_MIN_PANEL + CHART_GAP)));
    return data.columns > 0 ? Math.min(data.columns, fit) : fit;
  },

  place(panel, width, context, chart) {
    const values = chartFinite(panel.values.flat());
    let [lo, hi] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
    if (hi === lo) [lo, hi] = [lo - Math.max(1e-6, Math.abs(lo) * 0.05), hi + Math.max(1e-6, Math.abs(hi) * 0.05)];
    chartPlace(panel, width, context, chart, [lo, hi]);
    const xs = chartFinite(chart.data.x || []);
    let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
    if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
    const whole = xs.every(Number.isInteger);
    const count = Math.max(2, Math.round(panel.box.width / 70));
    chartAxes(panel, chartTicks(x0, x1, count, { minStep: whole ? 1 : 0 }), panel.ys);
  },

  draw(context, panel, chart) {
    const labels = panel.xs.ticks.map((t) => ({ x: panel.toX(t.value), text: t.text }));
    chartFrame(context, panel, chart, labels, true);
    const x = chart.data.x || [];
    let marks = 0;
    chart.data.series.forEach((series, k) => {
      const at = (v, i) => (Number.isFinite(v) && Number.isFinite(x[i]) ? [panel.toX(x[i]), panel.toY(v)] : null);
      const points = (panel.values[k] || []).map(at);
      context.strokeStyle = series.color;
      context.lineWidth = 2;
      context.setLineDash(series.dash ? [6, 4] : []);
      context.beginPath();
      points.forEach((p, i) => p && (points[i - 1] ? context.lineTo(...p) : context.moveTo(...p)));
      context.stroke();
      context.setLineDash([]);
      context.fillStyle = series.color;
      for (const p of points.filter(Boolean)) {
        marks += 1;
        if (!chart.data.markers) continue;
        context.beginPath();
        context.arc(p[0], p[1], 2.6, 0, 2 * Math.PI);
        context.fill();
      }
    });
    return marks;
  },

  hit(panel, sx, sy, chart) {
    const { box } = panel;
    const x = chart.data.x || [];
    if (sx < box.left - 8 || sx > box.left + box.width + 8 || sy < box.top || sy > box.top + box.height) return null;
    const distance = (v) => Math.abs(panel.toX(v) - sx);
    let best = -1;
    x.forEach((v, i) => {
      if (Number.isFinite(v) && (best < 0 || distance(v) < distance(x[best]))) best = i;
    });
    if (best < 0) return null;
    const series = chart.data.series;
    const lines = [`${panel.title} \u00b7 ${chart.data.x_title || "x"} ${x[best]}`];
    const value = (k) => chartValue((panel.values[k] || [])[best], chart.data.y_format);
    series.forEach((s, k) => lines.push(`${s.name} ${value(k)}`));
    const mark = (context) => {
      const at = panel.toX(x[best]);
      context.strokeStyle = CHART_AXIS;
      context.lineWidth = 1;
      context.beginPath();
      context.moveTo(Math.round(at) + 0.5, box.top);
      context.lineTo(Math.round(at) + 0.5, box.top + box.height);
      context.stroke();
      series.forEach((s, k) => {
        const v = (panel.values[k] || [])[best];
        if (Number.isFinite(v)) chartRing(context, at, panel.toY(v), s.color);
      });
    };
    return { lines, mark, x: panel.toX(x[best]), y: sy };
  },
};

// ---- Bars: one group per category, one bar per series (side by side), from zero.
const CHART_BARS = {
  panels(data) {
    return [{ title: "", categories: data.categories || [], values: data.values || [] }];
  },

  columns() {
    return 1;
  },

  place(panel, width, context, chart) {
    const values = chartFinite(panel.values.flat());
    const lo = Math.min(0, ...values);
    const hi = Math.max(0, ...values);
    chartPlace(panel, width, context, chart, hi > lo ? [lo, hi] : [0, 1]);
    chartAxes(panel, { lo: 0, hi: Math.max(1, panel.categories.length), ticks: [] }, panel.ys);
  },

  // Category labels under their bands; every n-th one when they would not fit side by side.
  labels(context, panel, chart) {
    context.font = chart.font(11);
    const band = panel.box.width / Math.max(1, panel.categories.length);
    const widest = Math.max(0, ...panel.categories.map((c) => context.measureText(c).width));
    const every = Math.max(1, Math.ceil((widest + 6) / band));
    return panel.categories.map((c, i) => ({ x: panel.toX(i + 0.5), text: c })).filter((_, i) => i % every === 0);
  },

  draw(context, panel, chart) {
    chartFrame(context, panel, chart, this.labels(context, panel, chart), false);
    const series = chart.data.series;
    const band = panel.box.width / Math.max(1, panel.categories.length);
    const bar = (band * 0.8) / Math.max(1, series.length);
    const zero = panel.toY(0);
    let marks = 0;
    series.forEach((s, k) => {
      context.fillStyle = s.color;
      (panel.values[k] || []).forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        const left = panel.toX(i) + band * 0.1 + k * bar;
        const top = Math.min(zero, panel.toY(v));
        context.fillRect(left + 0.5, top, Math.max(1, bar - 1), Math.abs(panel.toY(v) - zero));
        marks += 1;
      });
    });
    return marks;
  },

  hit(panel, sx, sy, chart) {
    const { box } = panel;
    if (sx < box.left || sx >= box.left + box.width || sy < box.top || sy > box.top + box.height) return null;
    const i = Math.floor(((sx - box.left) / box.width) * panel.categories.length);
    const { series, category_title: what, y_format: format } = chart.data;
    const name = `${what ? `${what} ` : ""}${panel.categories[i]}`;
    const values = series.map((s, k) => chartValue((panel.values[k] || [])[i], format));
    const lines =
      series.length === 1 && !series[0].name
        ? [`${name}: ${values[0]}`]
        : [name, ...series.map((s, k) => `${s.name} ${values[k]}`)];
    const mark = (context) => {
      context.fillStyle = "rgba(120, 120, 135, 0.14)";
      context.fillRect(panel.toX(i), box.top, panel.toX(i + 1) - panel.toX(i), box.height);
    };
    return { lines, mark, x: sx, y: sy };
  },
};

// ---- Histogram: bars between bin edges on a linear x axis, and labelled vertical rules at marked values.
const CHART_HISTOGRAM = {
  panels(data) {
    return [{ title: "", edges: data.edges || [], counts: data.counts || [], rules: data.rules || [] }];
  },

  columns() {
    return 1;
  },

  place(panel, width, context, chart) {
    const rows = Math.max(0, ...panel.rules.map((r) => r.row + 1));
    const top = Math.max(1, ...chartFinite(panel.counts));
    // Head room over the tallest bar for the rules' labels, so they do not print over the bars.
    const room = (rows * CHART_LINE_HEIGHT + 4) / (chart.data.height || 200);
    chartPlace(panel, width, context, chart, [0, top / Math.max(0.5, 1 - room)]);
    const [lo, hi] = chart.data.domain || [panel.edges[0] ?? 0, panel.edges[panel.edges.length - 1] ?? 1];
    chartAxes(panel, chartTicks(lo, hi, Math.max(2, Math.round(panel.box.width / 80))), panel.ys);
  },

  draw(context, panel, chart) {
    const labels = panel.xs.ticks.map((t) => ({ x: panel.toX(t.value), text: t.text }));
    chartFrame(context, panel, chart, labels, false);
    const { edges, counts } = panel;
    const zero = panel.toY(0);
    context.fillStyle = chart.data.series[0]?.color || "#99aabb";
    let marks = 0;
    counts.forEach((n, i) => {
      if (!(n > 0)) return;
      const [left, right] = [panel.toX(edges[i]), panel.toX(edges[i + 1])];
      const gap = right - left > 3 ? 1 : 0;
      context.fillRect(left + gap / 2, panel.toY(n), right - left - gap, zero - panel.toY(n));
      marks += 1;
    });
    panel.labels = [];
    for (const rule of panel.rules) this.rule(context, panel, chart, rule);
    return marks;
  },

  // A vertical rule with its label beside it, on the label's own line; flipped left near the right edge.
  rule(context, panel, chart, rule) {
    const { box } = panel;
    const x = Math.round(panel.toX(rule.x)) + 0.5;
    context.strokeStyle = rule.color;
    context.lineWidth = 2.5;
    context.beginPath();
    context.moveTo(x, box.top);
    context.lineTo(x, box.top + box.height);
    context.stroke();
    context.font = chart.font(12);
    context.fillStyle = rule.color;
    context.textBaseline = "top";
    const width = context.measureText(rule.label).width;
    const fits = x + 5 + width <= box.left + box.width;
    const [left, top] = [fits ? x + 5 : x - 5 - width, box.top + 2 + rule.row * CHART_LINE_HEIGHT];
    context.textAlign = "left";
    context.fillText(rule.label, left, top);
    panel.labels.push({ text: rule.label, left, top, width, height: 12 });
  },

  hit(panel, sx, sy, chart) {
    const { box, edges, counts } = panel;
    if (sx < box.left || sx > box.left + box.width || sy < box.top || sy > box.top + box.height) return null;
    const rule = panel.rules.find((r) => Math.abs(panel.toX(r.x) - sx) <= 4);
    if (rule) return { lines: [`${rule.label}: ${chartValue(rule.x)}`], mark: () => {}, x: sx, y: sy };
    const i = edges.findIndex((e, k) => k < counts.length && sx >= panel.toX(e) && sx < panel.toX(edges[k + 1]));
    if (i < 0) return null;
    const what = chart.data.y_title || "values";
    const lines = [`${chartValue(edges[i])} to ${chartValue(edges[i + 1])}: ${counts[i]} ${what}`];
    const mark = (context) => {
      context.fillStyle = "rgba(40, 40, 50, 0.25)";
      const [left, top] = [panel.toX(edges[i]), panel.toY(counts[i])];
      context.fillRect(left, top, panel.toX(edges[i + 1]) - left, panel.toY(0) - top);
    };
    return { lines, mark, x: sx, y: sy };
  },
};

// ---- Heatmaps: one grid of square cells per panel on one colour scale, and the scale's legend underneath.
const CHART_HEATMAP = {
  panels(data) {
    return (data.panels || []).map((p) => ({ title: p.title || "", values: p.values || [] }));
  },

  columns(data, width) {
    const columns = (data.shape || [28, 28])[1];
    return Math.max(1, Math.floor((width + CHART_GAP) / (columns * 3 + CHART_GAP))); // at least 3 px a cell
  },

  place(panel, width, context, chart) {
    const [rows, columns] = chart.data.shape || [28, 28];
    const cell = Math.max(1, Math.min(chart.data.cell || 8, Math.floor(width / columns)));
    panel.cell = cell;
    const left = Math.floor((width - cell * columns) / 2);
    panel.box = { left, top: 22, width: cell * columns, height: cell * rows };
    panel.height = 22 + cell * rows;
    chartAxes(panel, { lo: 0, hi: columns, ticks: [] }, { lo: rows, hi: 0, ticks: [] });
  },

  footer() {
    return CHART_LEGEND_HEIGHT;
  },

  draw(context, panel, chart) {
    const [rows, columns] = chart.data.shape || [28, 28];
    const { box, cell, values } = panel;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        context.fillStyle = chartColor(chart.scale, values[r * columns + c] ?? 0);
        context.fillRect(box.left + c * cell, box.top + r * cell, cell, cell);
      }
    }
    context.strokeStyle = CHART_AXIS;
    context.lineWidth = 1;
    context.strokeRect(box.left - 0.5, box.top - 0.5, box.width + 1, box.height + 1);
    chartTitles(context, panel, chart);
    return rows * columns;
  },

  // The colour scale as a bar with its ends and middle labelled, under the panels.
  legend(context, layout, chart) {
    const { domain } = chart.scale;
    const top = layout.panelsHeight + 14;
    const left = 12 + (chart.data.legend_title ? 44 : 0);
    const width = Math.max(60, Math.min(240, layout.width - left - 16));
    const gradient = context.createLinearGradient(left, 0, left + width, 0);
    const [lo, hi] = [domain[0], domain[domain.length - 1]];
    domain.forEach((d, i) => gradient.addColorStop((d - lo) / (hi - lo), chart.data.scale.colors[i]));
    context.fillStyle = gradient;
    context.fillRect(left, top, width, 10);
    context.strokeStyle = CHART_AXIS;
    context.strokeRect(left - 0.5, top - 0.5, width + 1, 11);
    context.fillStyle = chart.ink;
    context.font = chart.font(11);
    context.textAlign = "center";
    context.textBaseline = "top";
    for (const d of [lo, domain[Math.floor(domain.length / 2)], hi]) {
      context.fillText(String(+d.toFixed(2)), left + ((d - lo) / (hi - lo)) * width, top + 14);
    }
    context.font = chart.font(12);
    context.textAlign = "left";
    context.textBaseline = "middle";
    context.fillText(chart.data.legend_title || "", 12, top + 5);
  },

  hit(panel, sx, sy, chart) {
    const [rows, columns] = chart.data.shape || [28, 28];
    const { box, cell } = panel;
    const [r, c] = [Math.floor((sy - box.top) / cell), Math.floor((sx - box.left) / cell)];
    if (r < 0 || c < 0 || r >= rows || c >= columns) return null;
    const value = panel.values[r * columns + c];
    const shown = Number.isFinite(value) ? value.toFixed(2) : "no value";
    const what = chart.data.value_title || "value";
    const lines = [panel.title, `row ${r}, column ${c}`, `${what} ${shown}`].filter(Boolean);
    const mark = (context) => {
      context.lineWidth = 2;
      context.strokeStyle = "#111";
      context.strokeRect(box.left + c * cell - 1, box.top + r * cell - 1, cell + 2, cell + 2);
    };
    return { lines, mark, x: sx, y: sy };
  },
};

const CHART_KINDS = { lines: CHART_LINES, bars: CHART_BARS, histogram: CHART_HISTOGRAM, heatmap: CHART_HEATMAP };

// Where each panel goes: `columns` to a row, every row as tall as its tallest panel; boxes in canvas CSS px.
function chartLayout(chart, width, context) {
  const kind = chart.kind;
  const panels = kind.panels(chart.data);
  const columns = Math.max(1, Math.min(panels.length, kind.columns(chart.data, width)));
  const panelWidth = Math.floor((width - (columns - 1) * CHART_GAP) / columns);
  let rowHeight = 0;
  for (const panel of panels) {
    kind.place(panel, panelWidth, context, chart);
    rowHeight = Math.max(rowHeight, panel.height);
  }
  panels.forEach((panel, i) => {
    const [left, top] = [(i % columns) * (panelWidth + CHART_GAP), Math.floor(i / columns) * (rowHeight + CHART_GAP)];
    panel.frame = { left, top, width: panelWidth, height: rowHeight };
    panel.box.left += left;
    panel.box.top += top;
  });
  const rows = Math.ceil(panels.length / columns);
  const panelsHeight = panels.length ? rows * rowHeight + (rows - 1) * CHART_GAP : 40;
  const footer = panels.length && kind.footer ? kind.footer(chart.data) : 0;
  return { panels, width, panelsHeight, height: panelsHeight + footer };
}

class ChartView {
  constructor(parent) {
    this.base = chartElement("canvas", { className: "base" });
    this.over = chartElement("canvas", { className: "over" });
    this.tip = chartElement("div", { className: "tip", hidden: true });
    this.title = chartElement("div", { className: "title", hidden: true });
    this.legend = chartElement("div", { className: "legend", hidden: true });
    this.stack = chartElement("div", { className: "stack" }, [this.base, this.over, this.tip]);
    this.root = chartElement("div", { className: "explorer-chart" }, [this.title, this.legend, this.stack]);
    parent.append(this.root);
    Object.assign(this, { data: null, text: "", painted: "", width: 0, paints: 0, frame: 0 });
    Object.assign(this, { hover: null, layout: null });
    this.listen();
    new ResizeObserver(() => this.schedule()).observe(this.root);
  }

  setData(data) {
    const text = JSON.stringify(data);
    if (text === this.text) return; // Streamlit calls again on every run; the same data needs no new paint
    this.text = text;
    this.data = { series: [], ...data };
    this.kind = CHART_KINDS[data.kind] || null;
    const scale = data.scale || { domain: [0, 1], colors: ["#ffffff", "#000000"] };
    this.scale = { domain: scale.domain, rgb: scale.colors.map(chartRgb) };
    Object.assign(this.root.dataset, { testid: data.testid || "", kind: data.kind || "" });
    this.root.dataset.series = String(this.data.series.length);
    this.title.textContent = data.title || "";
    this.title.hidden = !data.title;
    this.buildLegend();
    this.hover = null;
    this.schedule();
  }

  buildLegend() {
    const series = this.data.series;
    const kind = this.data.kind === "lines" ? "line" : "box";
    const items = series.map((s) => {
      const swatch = chartElement("i", { className: kind });
      if (kind === "line") swatch.style.borderTop = `2px ${s.dash ? "dashed" : "solid"} ${s.color}`;
      else swatch.style.background = s.color;
      return chartElement("span", {}, [swatch, String(s.name)]);
    });
    this.legend.replaceChildren(...items);
    this.legend.hidden = series.length < 2;
  }

  font(size, weight = 400) {
    return `${weight} ${size}px ${this.family}`;
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = 0;
    if (!this.data) return;
    const width = Math.max(160, Math.floor(this.root.clientWidth || 0));
    if (width !== this.width || this.text !== this.painted) this.paint(width);
    this.drawHover();
  }
}

Object.assign(ChartView.prototype, {
  paint(width) {
    const style = getComputedStyle(this.root);
    this.family = style.fontFamily || "sans-serif";
    this.ink = style.color || "#333";
    const context = this.base.getContext("2d");
    context.setTransform(1, 0, 0, 1, 0, 0);
    const none = { panels: [], width, panelsHeight: 40, height: 40 }; // an unknown kind: say there is nothing
    const layout = this.kind ? chartLayout(this, width, context) : none;
    this.size(width, layout.height);
    context.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    context.clearRect(0, 0, width, layout.height);
    let marks = 0;
    for (const panel of layout.panels) marks += this.kind.draw(context, panel, this);
    if (layout.panels.length && this.kind.legend) this.kind.legend(context, layout, this);
    if (!layout.panels.length) this.empty(context, width);
    Object.assign(this, { layout, width, painted: this.text, hover: null });
    this.paints += 1;
    this.publish(layout, marks);
  },

  // Canvas sizes in device pixels, so lines and text stay crisp on a HiDPI screen.
  size(width, height) {
    this.ratio = Math.max(1, globalThis.devicePixelRatio || 1);
    for (const canvas of [this.base, this.over]) {
      canvas.width = Math.round(width * this.ratio);
      canvas.height = Math.round(height * this.ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    this.stack.style.height = `${height}px`;
  },

  empty(context, width) {
    context.fillStyle = this.ink;
    context.font = this.font(13);
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText("Nothing to draw yet.", width / 2, 20);
  },

  // The test hooks (see the header) and, on the first paint, the benchmarks' first-content mark.
  publish(layout, marks) {
    const boxes = layout.panels.map((p) => ({
      ...p.box,
      x: [p.xs.lo, p.xs.hi],
      y: [p.ys.lo, p.ys.hi],
      cell: p.cell ?? null,
      labels: p.labels ?? [],
    }));
    Object.assign(this.root.dataset, {
      panels: String(layout.panels.length),
      marks: String(marks),
      layout: JSON.stringify(boxes),
      paints: String(this.paints),
    });
    if (this.root.dataset.state !== "ready") performance.mark("explorer:drawn:chart"); // bench/browser_latency.py
    this.root.dataset.state = "ready";
  },

  listen() {
    const at = (event) => {
      const rect = this.over.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    };
    const move = (event) => {
      if (!this.layout) return;
      const [sx, sy] = at(event);
      const inside = ({ frame: f }) => sx >= f.left && sx < f.left + f.width && sy >= f.top && sy < f.top + f.height;
      const panel = this.layout.panels.find(inside);
      this.hover = panel ? this.kind.hit(panel, sx, sy, this) : null;
      this.schedule();
    };
    this.over.addEventListener("pointermove", move);
    this.over.addEventListener("pointerdown", move); // a tap shows the readout on a touch screen
    this.over.addEventListener("pointerleave", () => {
      this.hover = null;
      this.schedule();
    });
  },

  drawHover() {
    const context = this.over.getContext("2d");
    context.setTransform(this.ratio || 1, 0, 0, this.ratio || 1, 0, 0);
    context.clearRect(0, 0, this.width, this.layout ? this.layout.height : 0);
    if (!this.hover) {
      this.tip.hidden = true;
      return;
    }
    this.hover.mark(context);
    this.tip.textContent = this.hover.lines.join("\n");
    this.tip.hidden = false;
    const right = this.hover.x > this.width - 180;
    this.tip.style.left = `${right ? this.hover.x - 12 : this.hover.x + 12}px`;
    this.tip.style.top = `${Math.max(0, this.hover.y - 12)}px`;
    this.tip.style.transform = right ? "translateX(-100%)" : "";
  },
});

export default function (component) {
  const { data, parentElement } = component;
  const chart = ExplorerMount.once(parentElement, "__explorerChart", () => new ChartView(parentElement));
  chart.setData(data || {});
}
