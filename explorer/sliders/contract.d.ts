// Generated from explorer/sliders/contract.py by `python -m explorer.shared.browser.contracts --write`: do not edit.
import type { ModelEntry, PackedUint8 } from "../shared/browser/contract";

/** One latent dimension's range input (explorer.shared.latent_space.SliderSpec). */
export interface Slider {
  dim: number;
  /** shown as text, never as markup */
  label: string;
  lo: number;
  hi: number;
  step: number;
  /** false: listed in the fold of dimensions the decoder barely uses */
  active: boolean;
}

/** An image the page offers to start from: a click puts its encoding on the sliders. */
export interface Start {
  caption: string;
  /** its 28x28 grey levels, row by row */
  image: PackedUint8;
  /** its encoding by dimension, clipped into the sliders' ranges */
  code: number[];
}

/** Everything the sliders show; they move only when ``revision`` changes, so a rerun never snaps them back. */
export interface SlidersData {
  model: ModelEntry;
  /** in the page's order (most important first) */
  sliders: Slider[];
  /** the code shown, by dimension */
  code: number[];
  revision: number;
  /** Python's decode of ``code``, painted until the page's own decoder is ready */
  preview: PackedUint8 | null;
  starts: Start[];
  /** pictures in the traversal strip (explorer.shared.latent_space.TRAVERSAL_STEPS) */
  strip_steps: number;
}
