"""The sampling page's samplers and "draw me a digit", and the latent-arithmetic page, through AppTest.

Runs on the shipped checkpoints (or $VAE_CHECKPOINTS), like tests/test_app.py; the first test pays for
fitting each model's latent density (seconds per model), later ones reuse the cached fit.
"""

from __future__ import annotations

import pytest
from conftest import assert_clean
from test_app import SIZES, app

pytestmark = pytest.mark.skipif(not SIZES, reason="needs an AE/VAE pair and the classifier")
SAMPLER_LABELS = {
    "prior": "N(0, I)",
    "tempered": "N(0, I) at temperature T",
    "mixture": "Gaussian mixture fitted to the training codes",
}


def grids(at) -> list[str]:
    return [c for i in at.image for c in i.captions if "decoded draws" in c]


def test_every_sampler_shows_both_models_with_scores_and_the_table_has_every_column():
    at = app(max(SIZES), "views/sampling.py")
    assert_clean(at)
    radio = at.radio(key="sample.sampler")
    assert radio.options == list(SAMPLER_LABELS.values())
    seen = {}
    for sampler in SAMPLER_LABELS:
        radio.set_value(sampler).run()
        assert_clean(at)
        captions = grids(at)
        assert len(captions) == 2 and all(SAMPLER_LABELS[sampler] in c for c in captions), captions
        seen[sampler] = [m.value for m in at.metric if m.label == "Recognisable"]
        assert len(seen[sampler]) == 2, seen
        assert len([m for m in at.metric if m.label == "Frechet distance"]) == 2
    assert len({tuple(v) for v in seen.values()}) == 3, f"three samplers, three different scores: {seen}"
    assert not at.dataframe, "the all-samplers table is scored only on request"
    at.toggle(key="sample.score_all").set_value(True).run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert len(table) == 6
    assert set(table["sampler"]) == set(SAMPLER_LABELS.values())
    assert set(table["model"]) == {"Autoencoder", "VAE"}
    assert table["Frechet distance"].notna().all()
    share = {(r.model, r.sampler): float(r.recognisable.rstrip("%")) for r in table.itertuples()}
    # The page's own numbers tell the story of the text: the mixture rescues the AE.
    assert share["Autoencoder", SAMPLER_LABELS["mixture"]] > share["Autoencoder", SAMPLER_LABELS["prior"]]


def test_the_temperature_slider_changes_the_tempered_column_only():
    at = app(max(SIZES), "views/sampling.py")
    at.radio(key="sample.sampler").set_value("tempered").run()
    at.toggle(key="sample.score_all").set_value(True).run()
    before = at.dataframe[0].value.copy()
    at.slider(key="sample.temperature").set_value(0.5).run()
    assert_clean(at)
    after = at.dataframe[0].value
    assert "0.50" in grids(at)[0]
    tempered = before["sampler"] == SAMPLER_LABELS["tempered"]
    assert (before[~tempered].values == after[~tempered].values).all()
    assert (before[tempered]["Frechet distance"].values != after[tempered]["Frechet distance"].values).all()


@pytest.mark.parametrize("size", SIZES)
def test_draw_me_a_digit_shows_both_models_and_the_classifier_agrees(size):
    at = app(size, "views/sampling.py")
    assert all("calls" not in c for i in at.image for c in i.captions), "agreement is scored only on request"
    at.toggle(key="sample.digit_agreement").set_value(True).run()
    for digit in (7, 2):
        at.selectbox(key="sample.digit").set_value(digit).run()
        assert_clean(at)
        captions = [c for i in at.image for c in i.captions if f"new {digit}s" in c]
        assert [c.split(":")[0] for c in captions] == ["Autoencoder", "VAE"], captions
        if size == 16:  # the measured claim is for z = 16: at least 95% per digit at the default temperature
            shares = [float(c.split("calls ")[1].split("%")[0]) for c in captions]
            assert min(shares) >= 95, captions


def test_arithmetic_page_every_vector_source_and_a_bad_group_message():
    at = app(max(SIZES), "views/arithmetic.py")
    assert_clean(at)

    def result_images():
        return {c: i.value[0] for i in at.image for c in i.captions if " at " in c}

    from explorer.arithmetic import state as arithmetic_state

    assert at.radio(key="arith.source").options == list(arithmetic_state.SOURCES.values())
    for source in arithmetic_state.SOURCES:  # the radio's values; it shows their labels
        at.radio(key="arith.source").set_value(source).run()
        assert_clean(at)
        assert sorted(c.split(" at ")[0] for c in result_images()) == ["Autoencoder", "VAE"]
        strips = [c for i in at.image for c in i.captions if c.endswith(": strip")]
        assert len(strips) == 2, strips
    before = result_images()
    at.slider(key="arith.strength").set_value(2.5).run()
    after = result_images()
    assert len(after) == 2 and set(after.values()).isdisjoint(before.values()), "the strength did not change the image"
    at.text_input(key="arith.group_a").input("5, banana").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Cannot use those groups: 'banana' is not an index or a range like 20-29."]


def _probability_of(classifier, pixels, digit: int) -> float:
    import torch

    with torch.inference_mode():
        logits = classifier(torch.as_tensor(pixels, dtype=torch.float32).reshape(-1, 1, 28, 28))
    return float(torch.softmax(logits, 1)[0, digit])


@pytest.mark.parametrize("size", SIZES)
def test_arithmetic_page_moves_the_default_three_by_the_class_mean_vector(size):
    """The page's picture at strength 1 is decode(code of the default 3 + mean 8 - mean 3), exactly (to the PNG's
    8 bits), for both models; and the classifier's probability of 8 for it is above that for the original 3."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    import vae
    from explorer.sampling import generation
    from explorer.shared import core, model_catalog
    from explorer.shared.resources import checkpoint_root
    from vae.checkpoint import load, scan_checkpoints
    from vae.data import load_mnist

    at = app(size, "views/arithmetic.py")
    assert_clean(at)
    (image,) = [i for i in at.image if i.captions and i.captions[0].startswith("test image")]
    assert "(a 3)" in image.captions[0]
    x, y = load_mnist("test")
    three = x[int(np.flatnonzero(y.numpy() == 3)[0]), 0].numpy()  # the picker's default: the first test 3
    groups = generation.digit_groups(y.numpy(), 3, 8)
    root = checkpoint_root()
    pair = model_catalog.build_catalog(root, scan_checkpoints(root)).pairs[size]
    classifier = load(root / "classifier").eval()
    for kind, name in (("ae", "Autoencoder"), ("vae", "VAE")):
        (result,) = [i for i in at.image if i.captions == [f"{name} at 1"]]
        png = Image.open(io.BytesIO(base64.b64decode(result.value[0].split(",")[1])))  # a data: URL
        pixels = np.asarray(png, dtype=np.float32)[::3, ::3] / 255  # the picture is scaled 3x
        model = load(pair.get(kind).path).eval()
        vector = vae.attribute_vector(model, x[list(groups.start)], x[list(groups.to)]).numpy()
        expected = generation.apply_vector(model, core.embed(model, three)[0], vector, [1.0])[0]
        assert np.abs(pixels - expected).max() <= 1 / 255 + 1e-6, f"{name}: not the vector's result"
        before, after = _probability_of(classifier, three, 8), _probability_of(classifier, expected, 8)
        assert after > before + 0.1, f"{name}: p(8) {before:.3f} -> {after:.3f}"
        if kind == "ae":  # the retrained VAE overshoots this one 3 at strength 1 (a 9; an 8 at 0.5): see below
            assert generation.agreement(classifier, expected[None], 8) == 1.0, f"{name}: strength 1 did not make an 8"


def test_the_class_mean_vector_turns_most_threes_into_eights():
    """Over the first 200 test 3s, mean 8 - mean 3 at strength 1 makes the classifier see an 8 in most of them
    with either z=16 model (measured: VAE 72%, autoencoder 69%; 1.5% and 1% at strength 0)."""
    import numpy as np

    import vae
    from explorer.sampling import generation
    from explorer.shared import model_catalog
    from explorer.shared.resources import checkpoint_root
    from vae.checkpoint import load, scan_checkpoints
    from vae.data import load_mnist

    x, y = load_mnist("test")
    groups = generation.digit_groups(y.numpy(), 3, 8)
    threes = x[np.flatnonzero(y.numpy() == 3)[:200]]
    root = checkpoint_root()
    pair = model_catalog.build_catalog(root, scan_checkpoints(root)).pairs[max(SIZES)]
    classifier = load(root / "classifier").eval()
    for kind in ("ae", "vae"):
        model = load(pair.get(kind).path).eval()
        vector = vae.attribute_vector(model, x[list(groups.start)], x[list(groups.to)]).numpy()
        codes = vae.embed_batched(model, threes).numpy()  # (200, latent_dim)
        moved = np.stack([generation.apply_vector(model, code, vector, [0.0, 1.0]) for code in codes])
        unmoved, eights = (generation.agreement(classifier, moved[:, s], 8) for s in (0, 1))
        assert eights >= 0.6 and unmoved <= 0.1, f"{kind}: {unmoved:.2f} -> {eights:.2f}"
