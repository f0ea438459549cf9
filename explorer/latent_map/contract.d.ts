// Generated from explorer/latent_map/contract.py by `python -m explorer.shared.browser.contracts --write`: do not edit.
import type { Digits, ModelEntry, PackedFloat16, PackedFloat32, PackedInt32, PackedUint8 } from "../shared/browser/contract";

/** Where z = 0 lands on the map's plane; one unit is one standard deviation of the prior. */
export interface MapPrior {
  x: number;
  y: number;
}

/** An atlas PNG whose cell i is test image i (explorer.latent_map.sprites). */
export interface SpriteAtlas {
  /** page-relative, or a data: URL */
  url: string;
  columns: number;
  /** pixels a side of one cell */
  cell: number;
  count: number;
}

/** One model's test-set codes on a plane (explorer.latent_map.map_chart.payload). */
export interface MapData {
  title: string;
  axis_titles: [string, string];
  count: number;
  /** (x, y) interleaved, one pair per point */
  points: PackedFloat32;
  labels: Digits;
  /** each point's test-set index */
  indices: PackedInt32;
  /** a fingerprint of points, labels and indices: a new one resets the view */
  version: string;
  /** the prior's circles are drawn around it (sigmas) */
  prior: MapPrior | null;
  /** one CSS colour per label */
  colors: string[];
  /** a test-set index to mark, or null to keep the one clicked last */
  picked: number | null;
  /** drawn on top from a filled circle (start) to a square (end) */
  path: [number, number][] | null;
  /** CSS pixels */
  height: number;
  /** the points' opacity */
  alpha: number;
  testid: string;
  /** the legend's name of each label (a set of your own's folders), or null: digits */
  names: string[] | null;
  legend_title: string;
  /** digits: each point drawn as its own image from ``sprites`` */
  mode: "digits" | "dots";
  sprites: SpriteAtlas | null;
  /** false: a click picks nothing */
  pickable: boolean;
  /** the prior's circles, in standard deviations (the view fits the last) */
  sigmas: number[];
}

/** A place on a pad, both in [-1, 1], v upwards. */
export interface PadPoint {
  u: number;
  v: number;
}

/** Where z = 0 lands on a pad, and one standard deviation in pad units. */
export interface PadPrior {
  u: number;
  v: number;
  radius: number;
}

/** One model's pad: its test codes' places and the plane that maps a place back to a code (explorer.latent_map.latent_pad.scatter_payload: code = mean + (centre + (u, v) * half_width) @ components). */
export interface PadScatter {
  /** pad positions (u, v) interleaved */
  points: PackedFloat32;
  count: number;
  labels: Digits;
  /** (D,) */
  mean: number[];
  /** (2, D), orthonormal rows */
  components: number[][];
  centre: [number, number];
  half_width: number;
  axis_titles: [string, string];
  prior: PadPrior | null;
}

/** Both models' pads; the pointer's place is shared and decoded by both in the page. */
export interface PadData {
  models: Partial<Record<"ae" | "vae", ModelEntry>>;
  /** each pad's title */
  labels: Partial<Record<"ae" | "vae", string>>;
  pads: Partial<Record<"ae" | "vae", PadScatter>>;
  /** one CSS colour per label */
  colors: string[];
  /** the legend's name of each label, or null for the digits */
  names: string[] | null;
  /** a place to pin at the start (the lesson's) */
  pinned: PadPoint | null;
  /** the prior's circles, in standard deviations */
  sigmas: number[];
}

/** Each loss per epoch (vae.timeline.LOSS_KEYS); null where it was not finite. */
export interface TimelineLosses {
  train_loss: (number | null)[];
  train_reconstruction: (number | null)[];
  train_kl: (number | null)[];
  valid_loss: (number | null)[];
  valid_reconstruction: (number | null)[];
  valid_kl: (number | null)[];
}

/** One model's timeline: E epochs of N codes' places on fixed axes, and what it drew at each epoch. */
export interface TimelineModel {
  title: string;
  kind: "ae" | "vae";
  epochs: number[];
  /** N */
  count: number;
  labels: Digits;
  /** (E, N, 2) */
  points: PackedFloat16;
  /** x0, x1, y0, y1: the same axes at every epoch */
  bounds: [number, number, number, number];
  /** where z = 0 lands */
  prior: [number, number] | null;
  axes: [string, string];
  /** (E, shown, 28, 28) grey levels */
  recon: PackedUint8;
  /** (E, shown, 28, 28) */
  samples: PackedUint8;
  /** (shown, 28, 28) */
  originals: PackedUint8;
  shown: number;
  losses: TimelineLosses;
  /** (E, D) */
  kl_per_dim: number[][];
}

/** One or two models' timelines, side by side (explorer.latent_map.timeline_chart.payload). */
export interface TimelineData {
  models: TimelineModel[];
  colors: string[];
  testid: string;
  /** the prior's circles, in standard deviations (the axes hold the last) */
  sigmas: number[];
}

/** A TimelineData written to static/ once (timeline_chart.write_payload), fetched by the page instead. */
export interface TimelineSource {
  /** page-relative URL of the JSON, named by its content hash */
  src: string;
  testid: string;
}
