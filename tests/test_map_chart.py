"""The Latent map's component data (explorer.latent_map.map_chart): what goes in comes out, bad input is refused."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from explorer.latent_map import map_chart

COLORS = [f"#{d}{d}{d}" for d in range(10)]


def _decode(data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xy = np.frombuffer(base64.b64decode(data["points"]), "<f4").reshape(-1, 2)
    ids = np.frombuffer(base64.b64decode(data["indices"]), "<i4")
    return xy, ids, np.array([int(c) for c in data["labels"]])


def test_payload_round_trips_points_labels_and_indices():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(500, 2)).astype(np.float32)
    labels = rng.integers(0, 10, 500)
    indices = rng.permutation(10_000)[:500]
    data = map_chart.payload(
        points, labels, indices, title="VAE", axis_titles=("PC 1", "PC 2"), prior_origin=(0.5, -1), colors=COLORS
    )
    xy, ids, digits = _decode(data)
    assert np.array_equal(xy, points) and np.array_equal(ids, indices) and np.array_equal(digits, labels)
    assert data["count"] == 500 and data["prior"] == {"x": 0.5, "y": -1.0} and data["picked"] is None
    assert data["axis_titles"] == ["PC 1", "PC 2"] and data["colors"] == COLORS


def test_payload_version_follows_the_content():
    points, labels, indices = np.zeros((3, 2)), np.array([1, 2, 3]), np.arange(3)
    first = map_chart.payload(points, labels, indices, title="", axis_titles="xy", prior_origin=None, colors=COLORS)
    same = map_chart.payload(points, labels, indices, title="t", axis_titles="xy", prior_origin=None, colors=COLORS)
    moved = map_chart.payload(points + 1, labels, indices, title="", axis_titles="xy", prior_origin=None, colors=COLORS)
    assert first["version"] == same["version"] != moved["version"]


@pytest.mark.parametrize(
    ("points", "labels", "indices", "message"),
    [
        (np.zeros((3, 3)), [0, 1, 2], [0, 1, 2], "need points"),
        (np.zeros((3, 2)), [0, 1], [0, 1, 2], "need points"),
        (np.zeros((3, 2)), [0, 1, 10], [0, 1, 2], "digits"),
        (np.full((3, 2), np.nan), [0, 1, 2], [0, 1, 2], "finite"),
    ],
)
def test_payload_refuses_inconsistent_input(points, labels, indices, message):
    with pytest.raises(ValueError, match=message):
        map_chart.payload(points, labels, indices, title="", axis_titles="xy", prior_origin=None, colors=COLORS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        (7.0, 7),
        (0, 0),
        (9_999, 9_999),
        (10_000, None),
        (-1, None),
        (7.5, None),
        (True, None),
        ("7", None),
        (None, None),
        ({"picked": 7}, None),
        (float("nan"), None),
    ],
)
def test_parse_pick_takes_only_a_test_set_index(value, expected):
    assert map_chart.parse_pick(value, 10_000) == expected


def test_payload_carries_a_path_and_refuses_a_broken_one():
    path = np.linspace([0, 0], [1, 2], 5)
    data = map_chart.payload(
        np.zeros((2, 2)), [1, 2], [0, 1], title="", axis_titles="xy", prior_origin=None, colors=COLORS, path=path
    )
    assert data["path"] == path.tolist() and data["height"] == 460
    for broken in (np.zeros((3, 3)), [[0.0, np.inf]]):
        with pytest.raises(ValueError):
            map_chart.payload(
                np.zeros((2, 2)), [1, 2], [0, 1], title="", axis_titles="xy", prior_origin=None, colors=COLORS,
                path=broken,
            )  # fmt: skip
