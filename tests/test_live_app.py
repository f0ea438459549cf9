"""The Latent sliders page's links and code files through AppTest (the component's JS is covered by e2e)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_clean, live_sliders
from test_app import APP, CATALOG, SIZES, TIMEOUT

pytestmark = pytest.mark.skipif(not SIZES or CATALOG.classifier is None, reason="no shipped models")


def sliders_page(query: dict[str, str] | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page("views/sliders.py").run()
    return at


def warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_a_link_opens_its_model_size_and_code() -> None:
    size = min(SIZES)
    code = np.linspace(-1, 1, size).round(2)
    at = sliders_page({"size": str(size), "kind": "ae", "code": ",".join(map(str, code))})
    assert_clean(at)
    assert at.radio(key="sidebar.latent_size").value == size
    assert at.radio(key="sliders.kind").value == "ae"
    data = live_sliders(at)
    by_dim = {s["dim"]: s for s in data["sliders"]}
    want = [min(by_dim[d]["hi"], max(by_dim[d]["lo"], v)) for d, v in enumerate(code)]
    np.testing.assert_allclose(data["code"], want, atol=1e-6)
    assert not warnings(at)
    written = at.query_params["code"]
    assert (written if isinstance(written, str) else written[-1]) == ",".join(
        f"{v:.6g}" for v in np.float32(data["code"])
    )


@pytest.mark.parametrize(
    "query",
    [
        {"size": "16", "kind": "vae", "code": "<script>alert(1)</script>"},
        {"size": "3", "kind": "<b>x</b>", "code": "nan,inf"},
        {"code": ",".join(["1e308"] * 16)},
    ],
)
def test_a_hostile_link_gets_a_message_and_a_working_page(query: dict[str, str]) -> None:
    at = sliders_page(query)
    assert_clean(at)
    assert "could not be used" in warnings(at) and "<" not in warnings(at)
    data = live_sliders(at)
    assert all(v == 0 for v in data["code"])  # the page starts from zero as if no link was given
    at.run()  # a rerun keeps the page working and does not repeat the message
    assert_clean(at)
    assert "could not be used" not in warnings(at)


def test_a_code_file_moves_the_sliders_and_a_bad_one_is_explained() -> None:
    size = max(SIZES)
    at = sliders_page({"size": str(size)})
    name = CATALOG.pairs[size].vae.name
    key = f"sliders.code_file.{name}"
    code = [0.5] * size
    at.file_uploader(key=key).set_value([("code.json", b'{"code": %s}' % str(code).encode(), "application/json")])
    at.run()
    assert_clean(at)
    assert live_sliders(at)["code"] == pytest.approx(code)
    at.file_uploader(key=key).set_value([("bad.json", b'{"code": [NaN]}', "application/json")])
    at.run()
    assert "The code file was not used" in warnings(at) and "NaN" in warnings(at)
    assert live_sliders(at)["code"] == pytest.approx(code)


def test_a_code_file_with_a_byte_order_mark_is_used_and_a_foreign_one_is_explained() -> None:
    # Issue 26: a BOM (as Windows editors write) was "not JSON"; a file of another format was used silently.
    from explorer.sliders import share

    size = max(SIZES)
    at = sliders_page({"size": str(size)})
    name = CATALOG.pairs[size].vae.name
    key = f"sliders.code_file.{name}"
    code = [0.25] * size
    with_bom = b"\xef\xbb\xbf" + share.code_json(code, "vae", name)
    at.file_uploader(key=key).set_value([("code.json", with_bom, "application/json")])
    at.run()
    assert_clean(at)
    assert live_sliders(at)["code"] == pytest.approx(code) and "not used" not in warnings(at)
    foreign = b'{"format": "<b>palette</b>", "code": %s}' % str([-0.5] * size).encode()
    at.file_uploader(key=key).set_value([("other.json", foreign, "application/json")])
    at.run()
    assert_clean(at)
    assert 'The code file was not used: the file\'s "format" field' in warnings(at), warnings(at)
    assert "palette" not in warnings(at)
    assert live_sliders(at)["code"] == pytest.approx(code)


def test_switching_to_the_other_model_of_the_same_size_sends_its_labels() -> None:
    # What the component is given after the AE/VAE switch: the new model's weights and slider labels.
    from explorer.shared import latent_space, resources

    size = max(SIZES)
    at = sliders_page({"size": str(size)})
    labels = {}
    for kind in ("ae", "vae", "ae"):
        at.radio(key="sliders.kind").set_value(kind).run()
        assert_clean(at)
        data = live_sliders(at)
        checkpoint = CATALOG.pairs[size].get(kind)
        specs = latent_space.slider_specs(kind, size, resources.latent_stats(checkpoint))
        assert [s["label"] for s in data["sliders"]] == [s.label for s in specs], kind
        assert data["model"]["hash"] == resources.browser_model(checkpoint)["hash"], kind
        labels[kind] = [s["label"] for s in data["sliders"]]
    assert labels["ae"] != labels["vae"] and len(labels["ae"]) == len(labels["vae"]) == size
