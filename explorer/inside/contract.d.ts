// Generated from explorer/inside/contract.py by `python -m explorer.shared.browser.contracts --write`: do not edit.
import type { DrawingCanvas } from "../draw/contract";
import type { PadScatter } from "../latent_map/contract";
import type { ModelEntry } from "../shared/browser/contract";

/** Which x the page's likelihood numbers are computed on, and what they are called. */
export interface Scoring {
  /** the VAE was trained on binarised digits: the page scores one binarisation of the digit */
  binarized: boolean;
  /** the in-page binarisation's seed (one Bernoulli draw per pixel) */
  seed: number;
  /** what the k-sample bound bounds, in words ("log p(x)", or a grey-level cross-entropy's name) */
  bound_of: string;
}

/** One digit through the whole chain, computed in the page; nothing goes back to Python. */
export interface InsideData {
  /** the VAE, and the autoencoder when the pair has one */
  models: Partial<Record<"ae" | "vae", ModelEntry>>;
  /** each model's plane: the VAE's z=2 plane or the PCA plane of its codes */
  pads: Partial<Record<"ae" | "vae", PadScatter>>;
  /** the VAE's dimensions as the sliders page orders them */
  order: number[];
  /** 784 pixels in [0, 1]; null in "draw" mode */
  image: number[] | null;
  caption: string;
  /** draw: the page's own canvas gives the digit */
  mode: "image" | "draw";
  /** one CSS colour per label */
  colors: string[];
  canvas: DrawingCanvas;
  scoring: Scoring;
}
