// Generated from explorer/draw/contract.py by `python -m explorer.shared.browser.contracts --write`: do not edit.
import type { ModelEntry } from "../shared/browser/contract";

/** vae/images.py's constants, for prepare.js to prepare a drawing as Python prepares the same pixels. */
export interface Preparation {
  /** the digit's side (28) */
  mnist_size: number;
  /** the box the ink is fitted into before centring (20) */
  box_size: number;
  /** the border whose median is the background, in % of the shorter side */
  border_percent: number;
  /** ink fainter than this above the background is no ink */
  min_contrast: number;
  /** of the ink's peak: below it, background */
  noise_floor: number;
  /** of the ink's peak: what counts as ink when cropping */
  ink_threshold: number;
  /** share of the ink mass trimmed from each side (dust) */
  ink_trim: number;
  /** thinnest stroke after the fit, in pixels of the 28x28 digit */
  min_stroke: number;
}

/** The canvas a digit is drawn on (Draw a digit, and the Inside the VAE page's own). */
export interface DrawingCanvas {
  /** its pixels a side (explorer.draw.drawing.CANVAS_SIDE) */
  side: number;
  /** the pen's width at the start, in canvas pixels */
  pen: number;
  preparation: Preparation;
}

/** Both models, to reconstruct the drawing as it is drawn. */
export interface DrawData {
  models: Partial<Record<"ae" | "vae", ModelEntry>>;
  /** each model's caption */
  labels: Partial<Record<"ae" | "vae", string>>;
  canvas: DrawingCanvas;
}
