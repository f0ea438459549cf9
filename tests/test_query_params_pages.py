"""Whatever a query parameter holds, a page shows its normal content or a specific message, never the generic
"Something went wrong" box (explorer.shared.frame.guard) and never an exception.

Query parameters are read in two places (grep ``query_params``): the sidebar, on every page, takes a new link's
``size`` (explorer.sliders.state.linked_latent_size), and the Latent sliders page takes its ``size``, ``kind`` and
``code`` (explorer.sliders.component.take_link). Each case is a direct visit, as when a pasted link opens the app: the
parameters are in place before the first run. The values are a fixed hostile list plus a few Hypothesis
draws per parameter (derandomised, a fixed budget).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_clean, live_sliders
from hypothesis import given, settings
from hypothesis import strategies as st
from test_app import APP, CATALOG, PAGES, SIZES, TIMEOUT

from explorer.sliders import share

pytestmark = pytest.mark.skipif(not SIZES or CATALOG.classifier is None, reason="no shipped models")

GENERIC = "Something went wrong"
LINK_MESSAGE = "This link could not be used in full: "
SLIDERS, HOME = "views/sliders.py", "views/home.py"
GENERATED_PER_PARAM = 15
GENERATED_LINKS = 15

HOSTILE = [
    (share.SIZE_PARAM, "²"),
    (share.SIZE_PARAM, "¹⁶"),
    (share.SIZE_PARAM, "٢"),
    (share.SIZE_PARAM, "-2"),
    (share.SIZE_PARAM, "2.0"),
    (share.SIZE_PARAM, ""),
    (share.SIZE_PARAM, "<b>16</b>"),
    (share.SIZE_PARAM, "9" * 5000),
    (share.SIZE_PARAM, "16\x00"),
    (share.KIND_PARAM, "<img src=x onerror=alert(1)>"),
    (share.KIND_PARAM, "AE"),
    (share.KIND_PARAM, ""),
    (share.CODE_PARAM, "<script>alert(1)</script>"),
    (share.CODE_PARAM, ",".join(["nan"] * 16)),
    (share.CODE_PARAM, ",".join(["1e308"] * 16)),
    (share.CODE_PARAM, "9" * 10_000),
    (share.CODE_PARAM, "," * 5000),
    (share.CODE_PARAM, "0²,1"),
]
# What a URL can carry: any text that is valid UTF-8 (no lone surrogates), markup and number words included.
url_text = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(["NaN", "Infinity", "-0", "1e999"])
# Good values too, so a generated link is sometimes partly or wholly usable.
good_text = st.sampled_from(["2", "16", "ae", "vae", "0.5,-1", ",".join(["0.25"] * 16)])
link_query = st.fixed_dictionaries(
    {}, optional={p: url_text | good_text for p in (share.SIZE_PARAM, share.KIND_PARAM, share.CODE_PARAM)}
)


def visit(page: str, query: dict[str, str]) -> Any:
    """A fresh session that opens ``page`` with ``query`` in its URL, as a pasted link does."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    return at


def texts(at) -> list[str]:
    """Every text the page shows in boxes, markdown and captions (main area and sidebar)."""
    kinds = ("error", "warning", "info", "success", "markdown", "caption", "title", "header", "subheader")
    return [str(element.value) for kind in kinds for element in getattr(at, kind)]


def assert_no_generic_box(at) -> None:
    assert_clean(at)
    assert not [t for t in texts(at) if GENERIC in t], texts(at)


def expected_problems(query: dict[str, str]) -> tuple[str, ...]:
    """What the sliders page should say about ``query``: the link's problems for the latent size it opens
    at (the link's own size when usable, else the default, the largest shipped one)."""
    size = share.parse_link(query, SIZES).size or max(SIZES)
    return share.parse_link(query, SIZES, size).problems


def assert_sliders_page_handles(query: dict[str, str]) -> None:
    at = visit(SLIDERS, query)
    assert_no_generic_box(at)
    assert [t.value for t in at.title] == ["Latent sliders"]
    size = share.parse_link(query, SIZES).size or max(SIZES)
    assert at.radio(key="sidebar.latent_size").value == size, "a usable size is followed, a bad one ignored"
    data = live_sliders(at)  # the sliders panel is there
    assert len(data["code"]) == size
    link = share.parse_link(query, SIZES, size)
    assert at.radio(key="sliders.kind").value == (link.kind or "vae")
    if link.code is not None:  # what could be used is used: the sliders show the code, clipped into range
        by_dim = {s["dim"]: s for s in data["sliders"]}
        want = [min(by_dim[d]["hi"], max(by_dim[d]["lo"], float(v))) for d, v in enumerate(link.code)]
        assert data["code"] == pytest.approx(want, abs=1e-6)
    problems = link.problems
    link_warnings = [w.value for w in at.warning if w.value.startswith(LINK_MESSAGE)]
    if problems:
        assert link_warnings == [LINK_MESSAGE + "; ".join(problems) + "."], link_warnings
        for value in query.values():
            assert len(value) < 5 or value not in link_warnings[0], link_warnings
    else:
        assert link_warnings == []


@pytest.mark.parametrize(("param", "value"), HOSTILE, ids=[f"{p}={v[:12]!r}" for p, v in HOSTILE])
def test_a_hostile_parameter_gets_the_sliders_page_and_its_message(param: str, value: str) -> None:
    assert expected_problems({param: value}), "every HOSTILE value is a bad one"
    assert_sliders_page_handles({param: value})


@pytest.mark.parametrize("param", [share.SIZE_PARAM, share.KIND_PARAM, share.CODE_PARAM])
def test_any_parameter_value_gets_the_sliders_page_or_its_message(param: str) -> None:
    @settings(max_examples=GENERATED_PER_PARAM, deadline=None, derandomize=True, database=None)
    @given(url_text)
    def holds(value: str) -> None:
        assert_sliders_page_handles({param: value})

    holds()


def test_any_link_gets_the_sliders_page_and_says_what_it_could_not_use() -> None:
    @settings(max_examples=GENERATED_LINKS, deadline=None, derandomize=True, database=None)
    @given(link_query)
    def holds(query: dict[str, str]) -> None:
        assert_sliders_page_handles(query)

    holds()


@pytest.mark.parametrize("value", [*[v for p, v in HOSTILE if p == share.SIZE_PARAM][:4], "2"])
def test_home_keeps_its_content_whatever_the_size_parameter(value: str) -> None:
    # Only the sliders page speaks about links; elsewhere a bad size is ignored and a good one is followed.
    at = visit(HOME, {share.SIZE_PARAM: value})
    assert_no_generic_box(at)
    assert [t.value for t in at.title] == ["Latent-space explorer"]
    assert at.radio(key="sidebar.latent_size").value == (share.parse_link({"size": value}, SIZES).size or max(SIZES))
    assert not [w.value for w in at.warning if w.value.startswith(LINK_MESSAGE)]


@pytest.mark.parametrize("page", [p for p in PAGES if p not in (SLIDERS, HOME)])
def test_every_page_survives_a_superscript_size(page: str) -> None:
    at = visit(page, {share.SIZE_PARAM: "²", share.KIND_PARAM: "<b>", share.CODE_PARAM: "nan"})
    assert_no_generic_box(at)
    assert at.title, page


def test_a_superscript_size_link_shows_the_link_message_not_something_went_wrong() -> None:
    # Issue 26, case 1: /sliders?size=² raised ValueError in share.parse_size (str.isdigit accepts "²", int()
    # does not); the sidebar and the page each showed the generic box and the slider panels were lost.
    at = visit(SLIDERS, {share.SIZE_PARAM: "²"})
    assert not [t for t in texts(at) if GENERIC in t], texts(at)
    assert [w.value for w in at.warning] == [LINK_MESSAGE + "the link's latent size is not a whole number."]
    assert len(live_sliders(at)["code"]) == max(SIZES)


@pytest.mark.parametrize(
    "query",
    [
        {share.SIZE_PARAM: str(min(SIZES)), share.KIND_PARAM: "ae", share.CODE_PARAM: ",".join(["0.5"] * min(SIZES))},
        {share.SIZE_PARAM: str(max(SIZES)), share.KIND_PARAM: "<b>", share.CODE_PARAM: ",".join(["-1"] * max(SIZES))},
    ],
    ids=["good", "bad kind, good code"],
)
def test_the_usable_parts_of_a_link_are_followed(query: dict[str, str]) -> None:
    assert share.parse_link(query, SIZES).code is not None  # so the check of the sliders' code runs
    assert_sliders_page_handles(query)
