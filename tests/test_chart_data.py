"""The charts' data (explorer.charts.chart_data) without a browser: what each chart is given, and the clear errors for
input it cannot draw. tests/test_web_chart.py checks how chart.js draws it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.charts import chart_data


def history(kl: float, epochs: int = 3) -> list[dict]:
    return [
        {"epoch": e, "train_loss": 10.0 / e, "valid_loss": 11.0 / e, "train_reconstruction": 9.0 / e,
         "valid_reconstruction": 10.0 / e, "train_kl": kl, "valid_kl": kl}
        for e in range(1, epochs + 1)
    ]  # fmt: skip


def test_training_curves_have_a_panel_per_term_and_every_point():
    data = chart_data.training_curves(history(kl=2.0), testid="curves")
    assert data["kind"] == "lines" and data["testid"] == "curves" and data["x"] == [1.0, 2.0, 3.0]
    assert [p["title"] for p in data["panels"]] == ["loss", "reconstruction", "KL"]
    assert [s["name"] for s in data["series"]] == ["train", "valid"]
    assert [s["dash"] for s in data["series"]] == [False, True]
    assert data["series"][0]["color"] != data["series"][1]["color"]
    train, valid = data["panels"][0]["values"]
    assert valid == pytest.approx([11.0, 5.5, 11.0 / 3]) and train == pytest.approx([10.0, 5.0, 10.0 / 3])
    assert data["markers"] and data["columns"] == 0
    assert not chart_data.training_curves(history(kl=2.0, epochs=30))["markers"]  # 60 markers would blur
    ae = chart_data.training_curves(history(kl=0.0), columns=2)
    assert [p["title"] for p in ae["panels"]] == ["loss", "reconstruction"] and ae["columns"] == 2
    assert chart_data.training_curves([])["panels"] == []


def test_training_curves_turn_missing_and_diverged_values_into_gaps():
    rows = history(kl=1.0)
    rows[1]["valid_loss"] = float("nan")
    rows[2]["train_loss"] = float("inf")
    del rows[0]["valid_kl"]
    rows[0]["train_reconstruction"] = "n/a"
    del rows[2]["epoch"]
    data = chart_data.training_curves(rows)
    json.loads(json.dumps(data, allow_nan=False))  # JSON the browser can parse: no NaN or Infinity
    train, valid = data["panels"][0]["values"]
    assert valid[1] is None and train[2] is None
    assert data["panels"][1]["values"][0][0] is None and data["panels"][2]["values"][1][0] is None
    assert data["x"] == [1.0, 2.0, 3.0]  # an epoch without its number takes its place in the list


@pytest.mark.parametrize("bad", ["loss", [1, 2], [{"epoch": 1}, "x"]])
def test_training_curves_refuse_what_is_not_a_history(bad):
    with pytest.raises(ValueError, match="per-epoch dicts"):
        chart_data.training_curves(bad)


def test_latent_bars_keep_dimension_order():
    data = chart_data.latent_bars(np.array([0.5, 2.0, 0.0, np.nan]), "KL", testid="bars")
    assert data["categories"] == ["z0", "z1", "z2", "z3"]
    assert data["values"] == [[0.5, 2.0, 0.0, None]] and data["title"] == "KL" and data["kind"] == "bars"
    with pytest.raises(ValueError, match="one value per latent dimension"):
        chart_data.latent_bars([], "KL")
    with pytest.raises(ValueError, match="one value per latent dimension"):
        chart_data.latent_bars([[1.0, 2.0]], "KL")
    with pytest.raises(ValueError, match="need numbers"):
        chart_data.latent_bars(["a", "b"], "KL")


def test_class_histogram_gives_each_models_shares():
    data = chart_data.class_histogram({"AE": [1] * 10, "VAE": [0] * 9 + [5]})
    assert [s["name"] for s in data["series"]] == ["AE", "VAE"]
    assert [s["color"] for s in data["series"]] == list(chart_data.SERIES_COLORS[:2])
    assert data["categories"] == [str(d) for d in range(10)] and data["y_format"] == "percent"
    ae, vae = data["values"]
    assert ae == pytest.approx([0.1] * 10) and vae == pytest.approx([0.0] * 9 + [1.0])
    assert chart_data.class_histogram({"AE": [0] * 10})["values"] == [[0.0] * 10]  # no samples: no division by 0
    for bad in ({"AE": [1] * 9}, {"AE": [-1] + [1] * 9}, {"AE": ["x"] * 10}, {}):
        with pytest.raises(ValueError):
            chart_data.class_histogram(bad)


def test_score_histogram_bins_the_scores_and_marks_the_score():
    scores = np.arange(1000.0)
    data = chart_data.score_histogram(scores, score=42.0, threshold=990.0)
    assert len(data["counts"]) == 60 and len(data["edges"]) == 61 and sum(data["counts"]) == 1000
    assert data["edges"][0] < 0 and data["edges"][-1] > 999  # room either side of the bulk and the marks
    assert data["domain"] == [data["edges"][0], data["edges"][-1]]
    rules = sorted((r["x"], r["label"], r["row"]) for r in data["rules"])
    assert rules == [(42.0, "this image", 0), (990.0, "99th pct", 1)]  # labels on different lines
    assert (data["x_title"], data["y_title"]) == ("negative ELBO (nats)", "test images")
    far = chart_data.score_histogram(np.concatenate([np.zeros(999), [1e6]]))  # one absurd score
    assert far["edges"][-1] < 1e4 and far["rules"] == []
    flat = chart_data.score_histogram(np.full(10, 5.0), score=float("nan"))  # every score alike; a NaN mark
    assert sum(flat["counts"]) == 10 and flat["rules"] == []
    with pytest.raises(ValueError, match="no test-set scores"):
        chart_data.score_histogram(np.array([np.nan, np.inf]))


def test_error_maps_keep_rows_top_down_on_the_diverging_scale():
    error = np.zeros((28, 28))
    error[0, 5], error[27, 0] = 0.123456, -2.0
    data = chart_data.error_maps({"AE": error, "VAE": -np.ones((28, 28))}, testid="errors")
    assert [p["title"] for p in data["panels"]] == ["AE", "VAE"] and data["shape"] == [28, 28]
    first = data["panels"][0]["values"]
    assert len(first) == 784 and first[5] == 0.1235 and first[27 * 28] == -2.0  # clamped in the browser
    assert data["scale"]["domain"][0] == -1.0 and data["scale"]["domain"][-1] == 1.0
    middle = data["scale"]["domain"].index(0.0)
    assert data["scale"]["colors"][middle] == "#f7f7f7"  # exact is white; blue below, red above
    with pytest.raises(ValueError, match="28x28"):
        chart_data.error_maps({"AE": np.zeros(10)})
    with pytest.raises(ValueError, match="not numbers"):
        chart_data.error_maps({"AE": np.full((28, 28), np.nan)})
