/* DigitSprites: each point of a map drawn as its own 28x28 digit, from one atlas image (explorer/charts/sprites.py).
 *
 * The atlas is greyscale with bright ink; cell i (row i / columns, column i % columns) is test image i. Once
 * loaded, it is turned into one RGBA canvas whose alpha is the ink and whose colour is each cell's label colour,
 * so a digit is one drawImage, tinted, with a transparent background. Drawing turns image smoothing off, so a
 * digit stays crisp (square pixels) at every zoom; points outside the plot box are skipped.
 */
const DigitSprites = {
  /** A promise of {canvas, columns, cell} for `spec` = {url, columns, cell}; `labelOf(index)` gives a cell's
   * digit (or -1: drawn grey) and `colors` the ten label colours (CSS #rrggbb). */
  load(spec, labelOf, colors) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(DigitSprites.tint(image, spec, labelOf, colors));
      image.onerror = () => reject(new Error("the digit atlas could not be loaded"));
      image.src = spec.url;
    });
  },

  tint(image, spec, labelOf, colors) {
    const canvas = document.createElement("canvas");
    [canvas.width, canvas.height] = [image.naturalWidth, image.naturalHeight];
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const data = pixels.data;
    const rgb = colors.map((c) => [1, 3, 5].map((i) => parseInt(String(c).slice(i, i + 2), 16) || 0));
    const { columns, cell } = spec;
    const rows = Math.ceil(canvas.height / cell);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        const label = labelOf(row * columns + column);
        const [r, g, b] = label >= 0 && rgb[label] ? rgb[label] : [90, 90, 90];
        for (let y = row * cell; y < Math.min((row + 1) * cell, canvas.height); y++) {
          let at = 4 * (y * canvas.width + column * cell);
          for (let x = 0; x < cell; x++, at += 4) {
            data[at + 3] = data[at];
            [data[at], data[at + 1], data[at + 2]] = [r, g, b];
          }
        }
      }
    }
    context.putImageData(pixels, 0, 0);
    return { canvas, columns, cell };
  },

  /** The atlas with `size`-px cells: the original for size >= its cell, else a smoothly shrunk copy (kept for
   * the last few sizes), so small digits are one unscaled copy each instead of a resampled one. */
  level(atlas, size) {
    if (size >= atlas.cell) return atlas;
    atlas.levels = atlas.levels || new Map();
    let level = atlas.levels.get(size);
    if (!level) {
      const rows = Math.ceil(atlas.canvas.height / atlas.cell);
      const canvas = Object.assign(document.createElement("canvas"), { width: atlas.columns * size, height: rows * size });
      const context = canvas.getContext("2d");
      context.imageSmoothingQuality = "high";
      context.drawImage(atlas.canvas, 0, 0, canvas.width, canvas.height);
      level = { canvas, columns: atlas.columns, cell: size };
      if (atlas.levels.size >= 4) atlas.levels.delete(atlas.levels.keys().next().value);
      atlas.levels.set(size, level);
    }
    return level;
  },

  /** Draws the points whose labels are not hidden, each as its cell `indices[i]`, centred on `toScreen(x, y)`,
   * `size` CSS px wide, inside `box`; returns how many were drawn. */
  draw(context, atlas, set, toScreen, size, box, hidden) {
    const { xy, labels, indices, count } = set;
    const ratio = context.getTransform().a || 1;
    const { canvas, columns, cell } = DigitSprites.level(atlas, Math.round(size * ratio));
    if (cell < atlas.cell) size = cell / ratio; // one atlas pixel per screen pixel
    const half = size / 2;
    const [left, top, right, bottom] = [box.left - half, box.top - half, box.left + box.width + half, box.top + box.height + half];
    context.imageSmoothingEnabled = false;
    let drawn = 0;
    for (let i = 0; i < count; i++) {
      if (hidden.has(labels[i])) continue;
      const [x, y] = toScreen(xy[2 * i], xy[2 * i + 1]);
      if (x < left || x > right || y < top || y > bottom) continue;
      const index = indices[i];
      const [dx, dy] = [Math.round((x - half) * ratio) / ratio, Math.round((y - half) * ratio) / ratio];
      context.drawImage(canvas, (index % columns) * cell, Math.floor(index / columns) * cell, cell, cell, dx, dy, size, size);
      drawn += 1;
    }
    context.imageSmoothingEnabled = true;
    return drawn;
  },

  /** The on-screen size of a digit: `base` CSS px at the fitted view, growing with the zoom, within limits. */
  size(fittedSpan, span, base = 14) {
    const size = Math.max(8, Math.min(112, base * (fittedSpan / span)));
    // Below the atlas' own 28 px, a few steps only, so zooming reuses the shrunk atlases (level()).
    return size >= 28 ? size : [8, 10, 12, 14, 17, 20, 24].reduce((a, b) => (b <= size ? b : a), 8);
  },
};
globalThis.DigitSprites = DigitSprites;
