/* DigitSprites: each point of a map drawn as its own 28x28 digit, from one atlas image (explorer/latent_map/sprites.py).
 *
 * The atlas is greyscale with bright ink; cell i (row i / columns, column i % columns) is test image i. Once
 * loaded, it is turned into one RGBA canvas whose alpha is the ink and whose colour is each cell's label colour,
 * so every digit is drawn tinted, on a transparent background, crisp (square pixels) at every zoom; points
 * outside the plot box are skipped.
 */
const DigitSprites = {
  SIZES: [8, 11, 14, 18, 22], // CSS px of the shrunk atlases: the sizes small digits are drawn at
  /** A promise of {canvas, columns, cell} for `spec` = {url, columns, cell}; `labelOf(index)` gives a cell's
   * digit (or -1: drawn grey) and `colors` the ten label colours (CSS #rrggbb). */
  /** @param {import("./contract").SpriteAtlas} spec @param {(index: number) => number} labelOf @param {string[]} colors */
  load(spec, labelOf, colors) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => {
        const atlas = DigitSprites.tint(image, spec, labelOf, colors);
        for (const size of DigitSprites.SIZES) DigitSprites.level(atlas, size); // made now, not mid-zoom
        resolve(atlas);
      };
      image.onerror = () => reject(new Error("the digit atlas could not be loaded"));
      image.src = spec.url;
    });
  },

  /** Sets `map.mode` ("digits" or "dots") from a LatentMap's data and (re)loads its tinted atlas when the
   * atlas or the point set changes; the map draws dots until the atlas is ready, then repaints.
   * @param {MapState & {atlasKey?: string}} map
   * @param {import("./contract").MapData} data */
  follow(map, data) {
    map.mode = data.mode === "digits" && data.sprites && data.sprites.url ? "digits" : "dots";
    const key = map.mode === "digits" ? `${data.sprites.url}|${map.set.version}` : "";
    if (key === map.atlasKey) return;
    [map.atlasKey, map.atlas] = [key, null];
    if (!key) return;
    const cellLabels = new Map();
    for (let i = 0; i < map.set.count; i++) cellLabels.set(map.set.indices[i], map.set.labels[i]);
    DigitSprites.load(data.sprites, (index) => cellLabels.get(index) ?? -1, map.colors).then(
      (atlas) => key === map.atlasKey && ((map.atlas = atlas), map.schedule(true)),
      () => (map.root.dataset.mode = "dots (the digit atlas could not be loaded)"),
    );
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

  /** The atlas' pixels with `size`-px cells: the original for size >= its cell, else a smoothly shrunk copy
   * (made once per size; size() uses only a few), so a small digit is one atlas pixel per screen pixel. */
  level(atlas, size) {
    atlas.levels = atlas.levels || new Map();
    const cell = Math.min(size, atlas.cell);
    let level = atlas.levels.get(cell);
    if (!level) {
      const rows = Math.ceil(atlas.canvas.height / atlas.cell);
      let canvas = atlas.canvas;
      if (cell < atlas.cell) {
        canvas = Object.assign(document.createElement("canvas"), { width: atlas.columns * cell, height: rows * cell });
        const context = canvas.getContext("2d");
        context.imageSmoothingQuality = "high";
        context.drawImage(atlas.canvas, 0, 0, canvas.width, canvas.height);
      }
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      level = { pixels, stride: canvas.width, columns: atlas.columns, cell };
      atlas.levels.set(cell, level);
    }
    return level;
  },

  /** Draws the points whose labels are not hidden, each as its cell `indices[i]`, centred on `toScreen(x, y)`,
   * `size` CSS px wide, inside `box`; returns how many were drawn.
   *
   * The digits are composited straight into the plot box's pixels (one getImageData and putImageData for all),
   * which costs far less than a drawImage call per digit in a canvas drawn without a GPU; only ink is blended
   * (most of a digit is empty). Magnified digits repeat atlas pixels (square pixels: crisp at every zoom). */
  draw(context, atlas, set, toScreen, size, box, hidden) {
    const ratio = context.getTransform().a || 1;
    if (Math.round(size * ratio) > atlas.cell) return DigitSprites.magnified(context, atlas, set, toScreen, size, box, hidden);
    const level = DigitSprites.level(atlas, Math.round(size * ratio));
    const { pixels: src, stride, columns, cell } = level;
    const side = Math.max(cell, Math.round(size * ratio)); // device px on screen
    const from = Int32Array.from({ length: side }, (_, k) => Math.floor((k * cell) / side)); // screen -> atlas px
    const [bx, by] = [Math.round(box.left * ratio), Math.round(box.top * ratio)];
    const [bw, bh] = [Math.round(box.width * ratio), Math.round(box.height * ratio)];
    const image = context.getImageData(bx, by, bw, bh);
    const dst = image.data;
    const { xy, labels, indices, count } = set;
    let drawn = 0;
    for (let i = 0; i < count; i++) {
      if (hidden.has(labels[i])) continue;
      const [x, y] = toScreen(xy[2 * i], xy[2 * i + 1]);
      const px = Math.round(x * ratio - side / 2) - bx;
      const py = Math.round(y * ratio - side / 2) - by;
      if (px <= -side || px >= bw || py <= -side || py >= bh) continue;
      const [sx, sy] = [(indices[i] % columns) * cell, Math.floor(indices[i] / columns) * cell];
      const [c0, c1] = [Math.max(0, -px), Math.min(side, bw - px)];
      for (let r = Math.max(0, -py); r < Math.min(side, bh - py); r++) {
        const row = 4 * ((sy + from[r]) * stride + sx);
        let d = 4 * ((py + r) * bw + px + c0);
        for (let c = c0; c < c1; c++, d += 4) {
          const s = row + 4 * from[c];
          const a = src[s + 3];
          if (!a) continue;
          const w = a * 257; // (value * w + 2^15) >> 16 is value * a / 255, rounded; exact at a = 255
          dst[d] += ((src[s] - dst[d]) * w + 32768) >> 16;
          dst[d + 1] += ((src[s + 1] - dst[d + 1]) * w + 32768) >> 16;
          dst[d + 2] += ((src[s + 2] - dst[d + 2]) * w + 32768) >> 16;
        }
      }
      drawn += 1;
    }
    context.putImageData(image, bx, by);
    return drawn;
  },

  // Magnified digits (zoomed in, so fewer in view): one drawImage each without smoothing (square pixels).
  magnified(context, atlas, set, toScreen, size, box, hidden) {
    const { xy, labels, indices, count } = set;
    const { canvas, columns, cell } = atlas;
    const half = size / 2;
    const [left, top, right, bottom] = [box.left - half, box.top - half, box.left + box.width + half, box.top + box.height + half];
    context.imageSmoothingEnabled = false;
    let drawn = 0;
    for (let i = 0; i < count; i++) {
      if (hidden.has(labels[i])) continue;
      const [x, y] = toScreen(xy[2 * i], xy[2 * i + 1]);
      if (x < left || x > right || y < top || y > bottom) continue;
      const index = indices[i];
      context.drawImage(canvas, (index % columns) * cell, Math.floor(index / columns) * cell, cell, cell, x - half, y - half, size, size);
      drawn += 1;
    }
    context.imageSmoothingEnabled = true;
    return drawn;
  },

  /** The on-screen size of a digit: `base` CSS px at the fitted view, growing with the zoom, within limits. */
  size(fittedSpan, span, base = 14) {
    const size = Math.max(8, Math.min(112, base * (fittedSpan / span)));
    // Below the atlas' own 28 px, a few steps only, so zooming reuses the shrunk atlases (level()).
    return size >= 28 ? size : DigitSprites.SIZES.reduce((a, b) => (b <= size ? b : a), DigitSprites.SIZES[0]);
  },
};
/** @type {any} */ (globalThis).DigitSprites = DigitSprites;
