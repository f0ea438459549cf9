"""The charts' data (explorer.charts.chart_data) without a browser: what each chart is given, and the clear errors for
input it cannot draw, and the Plotly figure each becomes (explorer.charts.plots)."""

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


# --------------------------------------------------------------------------------------------------------
# How each chart's data becomes a Plotly figure (explorer.charts.plots)


def test_curves_figure_puts_every_point_in_its_panel_train_solid_valid_dashed():
    from explorer.charts import plots

    rows = history(kl=2.0)
    rows[1]["valid_loss"] = float("nan")
    figure = plots.figure(chart_data.training_curves(rows, columns=2, testid="curves")).to_plotly_json()
    assert figure["layout"]["meta"] == {"testid": "curves", "kind": "lines"}
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    assert titles == ["loss", "reconstruction", "KL"]
    by_panel = {}
    for trace in figure["data"]:
        by_panel.setdefault(trace["xaxis"], {})[trace["name"]] = trace
    assert sorted(by_panel) == ["x", "x2", "x3"]  # three panels, two per row
    loss = by_panel["x"]
    assert list(loss["train"]["y"]) == pytest.approx([10.0, 5.0, 10.0 / 3])
    assert loss["valid"]["y"][1] is None and loss["valid"]["line"]["dash"] == "dash"  # a gap, not a zero
    assert loss["train"]["line"]["dash"] == "solid" and list(loss["train"]["x"]) == [1.0, 2.0, 3.0]
    assert [t["showlegend"] for t in figure["data"]][:2] == [True, True] and not figure["data"][2]["showlegend"]
    assert figure["layout"]["height"] == 2 * 200 + 40 + 24  # two rows of 200 px plots and the legend


def test_bars_and_class_shares_figures_keep_categories_and_percent_axis():
    from explorer.charts import plots

    bars = plots.figure(chart_data.latent_bars([0.5, 2.0, np.nan], "KL", testid="bars")).to_plotly_json()
    (trace,) = bars["data"]
    assert list(trace["x"]) == ["z0", "z1", "z2"] and list(trace["y"]) == [0.5, 2.0, None]
    assert bars["layout"]["title"]["text"] == "KL" and bars["layout"]["xaxis"]["type"] == "category"
    shares = plots.figure(chart_data.class_histogram({"AE": [1] * 10, "VAE": [0] * 9 + [5]})).to_plotly_json()
    assert [t["name"] for t in shares["data"]] == ["AE", "VAE"] and shares["layout"]["barmode"] == "group"
    assert list(shares["data"][1]["y"]) == pytest.approx([0.0] * 9 + [1.0])
    assert shares["layout"]["yaxis"]["tickformat"] == ".0%"


def test_score_histogram_figure_draws_bins_and_each_rule_with_its_label():
    from explorer.charts import plots

    data = chart_data.score_histogram(np.arange(1000.0), score=42.0, threshold=990.0)
    figure = plots.figure(data).to_plotly_json()
    (bars,) = figure["data"]
    assert list(bars["y"]) == data["counts"] and len(bars["x"]) == 60
    assert bars["x"][0] == pytest.approx((data["edges"][0] + data["edges"][1]) / 2)
    rules = sorted((s["x0"], s["line"]["color"]) for s in figure["layout"]["shapes"])
    assert rules == [(42.0, "#d62728"), (990.0, "#808080")]
    labels = {a["text"]: a["y"] for a in figure["layout"]["annotations"]}
    assert labels["this image"] > labels["99th pct"]  # on different lines
    assert list(figure["layout"]["xaxis"]["range"]) == data["domain"]


def test_error_map_figure_keeps_the_top_row_on_top_on_the_clamped_diverging_scale():
    from explorer.charts import plots

    error = np.zeros((28, 28))
    error[0, 5] = 0.5
    figure = plots.figure(chart_data.error_maps({"AE": error, "VAE": -np.ones((28, 28))})).to_plotly_json()
    ae, vae = figure["data"]
    assert ae["z"][0][5] == 0.5 and len(ae["z"]) == 28 and vae["z"][27][0] == -1.0
    assert (ae["zmin"], ae["zmax"]) == (-1.0, 1.0) and ae["showscale"] and not vae["showscale"]
    scale = dict((round(stop, 3), color) for stop, color in ae["colorscale"])
    assert scale[0.5] == "#f7f7f7" and scale[0.0] == "#2166ac" and scale[1.0] == "#b2182b"
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # image row 0 is drawn at the top
