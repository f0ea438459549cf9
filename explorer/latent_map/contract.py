"""The Latent map's components' data: the scatter (map.js, also Interpolate's path and the Train page's sweep), the
pad (pad.js) and the training timeline (timeline.js); the pad's scatter is also the Inside the VAE page's planes."""

from __future__ import annotations

from typing import Literal, TypedDict

from explorer.shared.browser.contract import (
    Digits,
    Kind,
    ModelEntry,
    PackedFloat16,
    PackedFloat32,
    PackedInt32,
    PackedUint8,
)


class MapPrior(TypedDict):
    """Where z = 0 lands on the map's plane; one unit is one standard deviation of the prior."""

    x: float
    y: float


class SpriteAtlas(TypedDict):
    """An atlas PNG whose cell i is test image i (explorer.latent_map.sprites)."""

    url: str  # page-relative, or a data: URL
    columns: int
    cell: int  # pixels a side of one cell
    count: int


class MapData(TypedDict):
    """One model's test-set codes on a plane (explorer.latent_map.map_chart.payload)."""

    title: str
    axis_titles: tuple[str, str]
    count: int
    points: PackedFloat32  # (x, y) interleaved, one pair per point
    labels: Digits
    indices: PackedInt32  # each point's test-set index
    version: str  # a fingerprint of points, labels and indices: a new one resets the view
    prior: MapPrior | None  # the prior's circles are drawn around it (sigmas)
    colors: list[str]  # one CSS colour per label
    picked: int | None  # a test-set index to mark, or null to keep the one clicked last
    path: list[tuple[float, float]] | None  # drawn on top from a filled circle (start) to a square (end)
    height: int  # CSS pixels
    alpha: float  # the points' opacity
    testid: str
    names: list[str] | None  # the legend's name of each label (a set of your own's folders), or null: digits
    legend_title: str
    mode: Literal["digits", "dots"]  # digits: each point drawn as its own image from ``sprites``
    sprites: SpriteAtlas | None
    pickable: bool  # false: a click picks nothing
    sigmas: list[float]  # the prior's circles, in standard deviations (the view fits the last)


class PadPoint(TypedDict):
    """A place on a pad, both in [-1, 1], v upwards."""

    u: float
    v: float


class PadPrior(TypedDict):
    """Where z = 0 lands on a pad, and one standard deviation in pad units."""

    u: float
    v: float
    radius: float


class PadScatter(TypedDict):
    """One model's pad: its test codes' places and the plane that maps a place back to a code
    (explorer.latent_map.latent_pad.scatter_payload: code = mean + (centre + (u, v) * half_width) @ components)."""

    points: PackedFloat32  # pad positions (u, v) interleaved
    count: int
    labels: Digits
    mean: list[float]  # (D,)
    components: list[list[float]]  # (2, D), orthonormal rows
    centre: tuple[float, float]
    half_width: float
    axis_titles: tuple[str, str]
    prior: PadPrior | None


class PadData(TypedDict):
    """Both models' pads; the pointer's place is shared and decoded by both in the page."""

    models: dict[Kind, ModelEntry]
    labels: dict[Kind, str]  # each pad's title
    pads: dict[Kind, PadScatter]
    colors: list[str]  # one CSS colour per label
    names: list[str] | None  # the legend's name of each label, or null for the digits
    pinned: PadPoint | None  # a place to pin at the start (the lesson's)
    sigmas: list[float]  # the prior's circles, in standard deviations


class TimelineLosses(TypedDict):
    """Each loss per epoch (vae.timeline.LOSS_KEYS); null where it was not finite."""

    train_loss: list[float | None]
    train_reconstruction: list[float | None]
    train_kl: list[float | None]
    valid_loss: list[float | None]
    valid_reconstruction: list[float | None]
    valid_kl: list[float | None]


class TimelineModel(TypedDict):
    """One model's timeline: E epochs of N codes' places on fixed axes, and what it drew at each epoch."""

    title: str
    kind: Kind
    epochs: list[int]
    count: int  # N
    labels: Digits
    points: PackedFloat16  # (E, N, 2)
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1: the same axes at every epoch
    prior: tuple[float, float] | None  # where z = 0 lands
    axes: tuple[str, str]
    recon: PackedUint8  # (E, shown, 28, 28) grey levels
    samples: PackedUint8  # (E, shown, 28, 28)
    originals: PackedUint8  # (shown, 28, 28)
    shown: int
    losses: TimelineLosses
    kl_per_dim: list[list[float]]  # (E, D)


class TimelineData(TypedDict):
    """One or two models' timelines, side by side (explorer.latent_map.timeline_chart.payload)."""

    models: list[TimelineModel]
    colors: list[str]
    testid: str
    sigmas: list[float]  # the prior's circles, in standard deviations (the axes hold the last)


class TimelineSource(TypedDict):
    """A TimelineData written to static/ once (timeline_chart.write_payload), fetched by the page instead."""

    src: str  # page-relative URL of the JSON, named by its content hash
    testid: str
