"""The Latent map pad's maths: planes, the inverse mapping and the data handed to the browser."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from sklearn.decomposition import PCA

from explorer.latent_map import cache as map_cache
from explorer.latent_map import latent_pad


@pytest.fixture
def codes() -> np.ndarray:
    """Anisotropic 16-D codes with a non-zero mean, like an AE's."""
    rng = np.random.default_rng(0)
    return (rng.normal(size=(500, 16)) * np.linspace(3.0, 0.1, 16) + 0.7).astype(np.float32)


def test_pca_pad_points_map_back_like_sklearns_inverse_transform(codes: np.ndarray) -> None:
    pca = PCA(n_components=2, random_state=0).fit(codes)
    for kind in ("ae", "vae"):
        plane = latent_pad.pad_plane(codes, kind)
        uv = np.random.default_rng(1).uniform(-1, 1, size=(50, 2))
        points = plane.pad_to_plane(uv)
        got = plane.to_latent(points)
        np.testing.assert_allclose(got, pca.inverse_transform(points), atol=1e-5, rtol=0)
        np.testing.assert_allclose(plane.project(codes), pca.transform(codes), atol=1e-4, rtol=0)


def test_a_fitted_plane_is_used_as_given(codes: np.ndarray) -> None:
    pca = PCA(n_components=2, random_state=0).fit(codes)
    plane = latent_pad.pad_plane(codes, "ae", fitted=(pca.mean_, pca.components_))
    points = np.array([[0.5, -2.0]])
    np.testing.assert_allclose(plane.to_latent(points), pca.inverse_transform(points), atol=1e-5, rtol=0)


def test_pad_round_trip_and_units(codes: np.ndarray) -> None:
    plane = latent_pad.pad_plane(codes, "ae")
    uv = np.array([[0.25, -0.5], [1.0, 1.0]])
    np.testing.assert_allclose(plane.plane_to_pad(plane.pad_to_plane(uv)), uv, atol=1e-6)
    spread = np.sqrt(plane.project(codes).var(axis=0).mean())
    assert plane.half_width == pytest.approx(latent_pad.PAD_UNITS * spread, rel=1e-5)
    assert plane.prior_origin is None


def test_vae_pad_is_in_prior_units_around_z_zero(codes: np.ndarray) -> None:
    plane = latent_pad.pad_plane(codes, "vae")
    assert plane.half_width == latent_pad.PAD_UNITS
    # The pad's centre maps back to the point of the plane nearest z = 0 (its projection).
    centre_code = plane.to_latent(plane.pad_to_plane([[0.0, 0.0]]))[0]
    np.testing.assert_allclose(plane.project(centre_code[None]), plane.project(np.zeros((1, 16))), atol=1e-5)
    assert plane.prior_origin == pytest.approx(plane.centre)


def test_two_dimensional_codes_use_the_plane_itself() -> None:
    codes = np.random.default_rng(2).normal(size=(300, 2)).astype(np.float32) * [5.0, 1.0]
    plane = latent_pad.pad_plane(codes, "vae")
    points = np.array([[1.5, -2.0]])
    np.testing.assert_array_equal(plane.to_latent(points), points.astype(np.float32))
    assert plane.axis_titles == ("z0", "z1")


def test_chosen_dimensions_hold_the_others_at_zero(codes: np.ndarray) -> None:
    plane = latent_pad.pad_plane(codes, "vae", method="dims", dims=(3, 7))
    z = plane.to_latent([[0.5, -1.25]])[0]
    assert z[3] == 0.5 and z[7] == -1.25
    assert np.count_nonzero(z) == 2
    with pytest.raises(ValueError, match="two different dimensions"):
        latent_pad.pad_plane(codes, "vae", method="dims", dims=(3, 3))
    with pytest.raises(ValueError, match="plane method"):
        latent_pad.pad_plane(codes, "vae", method="umap")


def test_scatter_payload_carries_pad_positions_labels_and_prior(codes: np.ndarray) -> None:
    labels = np.arange(len(codes)) % 10
    plane = latent_pad.pad_plane(codes, "vae")
    payload = latent_pad.scatter_payload(plane, codes, labels)
    uv = np.frombuffer(base64.b64decode(payload["points"]), dtype="<f4").reshape(-1, 2)
    np.testing.assert_allclose(uv, plane.plane_to_pad(plane.project(codes)), atol=0)
    assert payload["count"] == len(codes)
    assert [int(c) for c in payload["labels"]] == labels.tolist()
    assert payload["prior"] == {"u": 0.0, "v": 0.0, "radius": 1.0 / latent_pad.PAD_UNITS}
    # The browser maps (u, v) with these numbers; doing the same here gives to_latent's answer.
    mean, components = np.asarray(payload["mean"]), np.asarray(payload["components"])
    centre, half = np.asarray(payload["centre"]), payload["half_width"]
    z = mean + (centre + np.array([0.3, 0.6]) * half) @ components
    np.testing.assert_allclose(z, latent_pad.pinned_codes({"vae": plane}, (0.3, 0.6))["vae"], atol=1e-5)
    assert latent_pad.scatter_payload(latent_pad.pad_plane(codes, "ae"), codes, labels)["prior"] is None
    with pytest.raises(ValueError, match="one digit"):
        latent_pad.scatter_payload(plane, codes, labels[:-1])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"u": 0.5, "v": -0.25}, (0.5, -0.25)),
        ({"u": "0.5", "v": 1}, (0.5, 1.0)),
        ({"u": float("nan"), "v": 0}, None),
        ({"u": 2.0, "v": 0}, None),
        ({"u": 0.1}, None),
        ("<script>", None),
        (None, None),
    ],
)
def test_parse_pin_accepts_only_positions_on_the_pad(value, expected) -> None:
    assert latent_pad.parse_pin(value) == expected


def test_pad_payload_is_cached_per_checkpoint_and_plane(monkeypatch) -> None:
    # The map page reruns on every click; the pad's 10k projected points must not be rebuilt each time.
    from explorer.shared import resources

    checkpoint = resources.catalog().pairs[16].vae
    map_cache._pad.clear()
    calls = []
    packing = latent_pad.scatter_payload
    monkeypatch.setattr(latent_pad, "scatter_payload", lambda *a: calls.append(1) or packing(*a))
    plane, first = map_cache.pad(checkpoint, "vae", "pca", (0, 1))
    _, again = map_cache.pad(checkpoint, "vae", "pca", (0, 1))
    assert len(calls) == 1 and again == first
    codes = resources.codes(checkpoint)
    assert first == packing(plane, codes, resources.test_set()[1])
    assert first["count"] == len(codes) and first["prior"] is not None
    map_cache.pad(checkpoint, "vae", "dims", (1, 0))  # another plane is another entry
    assert len(calls) == 2
