"""Links and code files for the sliders page (explorer.sliders.share), and the browser-model export
(explorer.shared.browser.weights)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from explorer.shared.browser import weights
from explorer.sliders import share
from vae.config import ModelConfig
from vae.models import build_model

SIZES = [2, 16]


def test_a_link_round_trips_its_view() -> None:
    code = np.array([0.37, -2.5, 1e-3, 3.0], dtype=np.float32)
    params = share.link_params(4, "vae", code)
    link = share.parse_link(params, [4])
    assert (link.size, link.kind, link.problems) == (4, "vae", ())
    np.testing.assert_array_equal(link.code, code)


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"code": "1,2,3"}, "has 3 value(s); the 2-dimensional models need 2"),
        ({"code": "nan,1"}, "value 1 of the link's code is not a number (NaN)"),
        ({"code": "1,inf"}, "value 2 of the link's code is beyond"),
        ({"code": "1,-1e999"}, "value 2 of the link's code is beyond"),
        ({"code": "1e308,0"}, "value 1 of the link's code is beyond"),
        ({"code": "<script>alert(1)</script>,0"}, "value 1 of the link's code is not a number"),
        ({"code": "0," + "9" * 5000}, "far too long"),
        ({"code": ""}, "has 1 value(s)"),
        ({"size": "7"}, "asks for latent size 7; this app has 2, 16"),
        ({"size": "<b>2</b>"}, "latent size is not a whole number"),
        ({"size": "99999999999999999999"}, "latent size is not a whole number"),
        ({"kind": "<img src=x onerror=alert(1)>"}, "neither 'ae' nor 'vae'"),
    ],
)
def test_a_hostile_link_gets_a_message_that_does_not_repeat_it(params: dict, problem: str) -> None:
    link = share.parse_link(params, SIZES, latent_dim=2)
    assert len(link.problems) == 1 and problem in link.problems[0], link.problems
    assert link.code is None
    assert "<" not in link.problems[0] and "alert" not in link.problems[0]


def test_the_good_parts_of_a_bad_link_are_kept() -> None:
    link = share.parse_link({"size": "16", "kind": "bogus", "code": ",".join(["0.5"] * 16)}, SIZES)
    assert link.size == 16 and link.kind is None and link.code is not None and len(link.problems) == 1


def test_repeated_parameters_use_the_last_one() -> None:
    link = share.parse_link({"kind": ["ae", "vae"], "code": ["1,2", "3,4"]}, SIZES, latent_dim=2)
    assert link.kind == "vae" and link.code.tolist() == [3.0, 4.0]


def test_a_code_file_round_trips() -> None:
    code = np.array([0.25, -1.5], dtype=np.float32)
    data = share.code_json(code, "ae", "ae-z2")
    assert json.loads(data)["model"] == "ae-z2"
    np.testing.assert_array_equal(share.parse_code_json(data, 2), code)
    np.testing.assert_array_equal(share.parse_code_json(b"[0.25, -1.5]", 2), code)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff\xfe not utf-8", "not JSON"),
        (b"<script>alert(1)</script>", "not JSON"),
        (b'{"code": [NaN, 1]}', "NaN"),
        (b'{"code": [Infinity, 1]}', "Infinity"),
        (b'{"code": [1e999, 1]}', "beyond"),
        (b'{"code": [' + b"9" * 400 + b", 1]}", "beyond"),
        (b'{"code": ["1", 2]}', "value 1 of the file's code is not a number"),
        (b'{"code": [true, 2]}', "not a number"),
        (b'{"code": [1, 2, 3]}', "has 3 value(s)"),
        (b'{"code": "1,2"}', 'no "code" list'),
        (b'"just text"', 'no "code" list'),
        (b"[" * 100_000, "larger than"),
        (b"[" * 5000 + b"]" * 5000, "not JSON"),
    ],
)
def test_a_bad_code_file_is_refused_clearly(data: bytes, problem: str) -> None:
    with pytest.raises(share.ShareError, match=None) as caught:
        share.parse_code_json(data, 2)
    assert problem in str(caught.value), str(caught.value)


# --------------------------------------------------------------------------------------------------------
# Regressions from issue 26 (each failed before its fix)


@pytest.mark.parametrize("text", ["²", "2²", "¹⁶", "①", "٢", "１６"])
def test_a_size_of_non_ascii_digits_is_refused_as_not_a_whole_number(text: str) -> None:
    # str.isdigit() accepts these; int() refuses the superscripts and circled digits with a ValueError, and
    # reads Arabic-Indic and full-width digits: a link's size is ASCII digits or nothing.
    with pytest.raises(share.ShareError, match="latent size is not a whole number"):
        share.parse_size(text, SIZES)
    link = share.parse_link({"size": text}, SIZES)
    assert link.size is None and link.problems == ("the link's latent size is not a whole number",)


def test_a_code_file_with_a_utf8_byte_order_mark_is_read() -> None:
    data = share.code_json(np.array([0.25, -1.5], dtype=np.float32), "vae", "vae-z2")
    np.testing.assert_array_equal(share.parse_code_json(b"\xef\xbb\xbf" + data, 2), [0.25, -1.5])
    np.testing.assert_array_equal(share.parse_code_json(b"\xef\xbb\xbf[0.5, 1]", 2), [0.5, 1.0])


@pytest.mark.parametrize("value", ['"something-else"', '"Latent-Code"', "null", "1", '["latent-code"]'])
def test_a_file_whose_format_field_names_something_else_is_refused(value: str) -> None:
    data = b'{"format": %s, "code": [0.5, 1]}' % value.encode()
    with pytest.raises(share.ShareError) as caught:
        share.parse_code_json(data, 2)
    message = str(caught.value)
    assert '"format" field' in message and "not a latent-code file" in message, message
    assert "something-else" not in message and "Latent-Code" not in message


def test_a_file_without_a_format_field_or_with_ours_is_still_read() -> None:
    for data in (b'{"code": [0.5, 1]}', b'{"format": "latent-code", "code": [0.5, 1]}'):
        np.testing.assert_array_equal(share.parse_code_json(data, 2), [0.5, 1.0])


@pytest.mark.parametrize("sign", ["", "-"])
def test_a_ten_thousand_digit_integer_is_refused_for_its_size_not_as_not_json(sign: str) -> None:
    data = b'{"code": [%s%s, 1]}' % (sign.encode(), b"9" * 10_000)
    with pytest.raises(share.ShareError) as caught:
        share.parse_code_json(data, 2)
    assert "value 1 of the file's code is beyond" in str(caught.value), str(caught.value)
    # Elsewhere in the file such a number is not a reason to refuse it.
    data = b'{"version": %s, "code": [0.5, 1]}' % (b"9" * 10_000)
    np.testing.assert_array_equal(share.parse_code_json(data, 2), [0.5, 1.0])


# --------------------------------------------------------------------------------------------------------
# The browser model


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_export_lists_every_weight_once_with_its_shapes(kind: str, arch: str) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, arch=arch, latent_dim=3, hidden=(8,), channels=(2, 3))).eval()
    exported = weights.export(model)
    spec = exported.spec
    assert spec["decoder"][0]["in_shape"][0] == 3 and spec["encoder"][0]["in_shape"][0] in (1, 784)
    assert spec["decoder"][-1]["activation"] is None and spec["encoder"][-1]["activation"] is None
    # Every weight once, the VAE's log-variance head included (the Inside the VAE page draws q(z|x)).
    needed = model.state_dict()
    assert len(exported.blob) == spec["bytes"] == 4 * sum(v.numel() for v in needed.values())
    assert len(spec["logvar_head"]) == (1 if kind == "vae" else 0)
    blob = weights.blob_array(exported)
    first = spec["decoder"][0]
    torch_first = model.decoder[0][0] if arch == "mlp" else model.decoder[0]
    want = torch_first.weight.detach().numpy().ravel()
    start = first["weight"] // 4
    np.testing.assert_array_equal(blob[start : start + len(want)], want)


def test_the_hash_names_the_content(tmp_path) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", arch="mlp", latent_dim=2, hidden=(4,))).eval()
    first, again = weights.export(model), weights.export(model)
    assert first.hash == again.hash and first.url == f"app/static/models/{first.hash}.bin"
    with torch.no_grad():
        model.decoder[1].bias[0] += 1e-3
    assert weights.export(model).hash != first.hash
    path = weights.write_blob(first, tmp_path)
    assert path.read_bytes() == first.blob
    assert weights.write_blob(first, tmp_path) == path and not list(path.parent.glob(".tmp-*"))


def test_a_layer_the_runner_cannot_run_is_refused() -> None:
    model = build_model(ModelConfig(kind="ae", arch="mlp", latent_dim=2, hidden=(4,))).eval()
    model.decoder = torch.nn.Sequential(torch.nn.Linear(2, 784), torch.nn.Tanh())
    with pytest.raises(ValueError, match="cannot run a Tanh"):
        weights.export(model)
