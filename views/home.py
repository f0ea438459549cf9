"""Home: what the explorer shows, the chosen models' metrics and training curves, links to every page."""

import streamlit as st

from explorer.charts import chart_data, live_chart
from explorer.shared import context, frame, model_catalog, ui

INTRO = """
An **autoencoder** squeezes each 28x28 digit into a short code *z* and rebuilds the digit from it. A plain
autoencoder is trained only to rebuild well (squared error), so nothing says where codes should sit: the
data occupies scattered islands of the latent space with holes in between, and a code picked at random
usually decodes to a smudge. There is no way to *sample* from it.

A **variational autoencoder (VAE)** encodes a digit into a distribution instead, N(mu, diag sigma²). During
training it decodes a random draw z = mu + sigma·eps (eps ~ N(0, I)) into a distribution over pixels and
minimises the *negative ELBO*: the reconstruction cost of that draw plus the KL divergence from the encoded
distribution to the prior N(0, I), which has a closed form for Gaussians. The KL term pulls every
digit's code towards the prior, so the prior is covered, and decoding z ~ N(0, I) gives new digits.
"""

LINKS = [
    ("views/sliders.py", "Latent sliders", "Set each latent dimension by hand and watch the decoded digit."),
    ("views/reconstruct.py", "Reconstruct", "Rebuild test digits or your own images; spot outliers."),
    ("views/interpolate.py", "Interpolate", "Walk from one digit to another through latent space."),
    ("views/latent_map.py", "Latent map", "All 10,000 test digits in latent space, coloured by label."),
    ("views/sampling.py", "AE vs VAE sampling", "Decode the same random codes with both models."),
]


def main() -> None:
    st.title("Latent-space explorer")
    st.markdown(INTRO)
    with st.container(border=True):
        st.page_link("views/lesson.py", label="**Start the lesson**", icon=":material/school:")
        st.caption("Ten steps from the autoencoder to the VAE; each opens the page it is about, already set up.")
    columns = st.columns(len(LINKS))
    for column, (path, label, text) in zip(columns, LINKS, strict=True):
        with column.container(border=True, height="stretch"):
            st.page_link(path, label=f"**{label}**")
            st.caption(text)

    models = context.current().models
    catalog = models.catalog
    pair = context.current_pair()
    st.header(f"Models · latent size {pair.latent_dim}" if pair else "Models")
    if pair is None:
        st.warning(f"No autoencoder or VAE checkpoints found under `{catalog.root}`.")
    else:
        for column, kind in zip(st.columns(2), ("ae", "vae"), strict=True):
            checkpoint = pair.get(kind)
            with column:
                st.subheader(f"{ui.KIND_NAMES[kind]}: `{checkpoint.name}`" if checkpoint else ui.KIND_NAMES[kind])
                if checkpoint is None:
                    st.info(f"No {ui.KIND_NAMES[kind]} checkpoint with this latent size.")
                    continue
                rows = model_catalog.metric_rows(checkpoint)
                if rows:
                    values = [model_catalog.format_value(k, v) for k, v in rows.items()]
                    st.table({"metric": list(rows), "value": values}, hide_index=True)
                else:
                    st.caption("Not evaluated yet: run `python -m vae.evaluate` on this checkpoint.")
                if checkpoint.history:
                    # Two panels per row fit half the page; the Train page has the whole width for three.
                    curves = {"columns": 2, "height": 160, "testid": f"curves-{kind}"}
                    live_chart.chart(chart_data.training_curves, checkpoint.history, **curves, key=f"curves.{kind}")
    classifier = context.classifier_checkpoint(pair)  # MNIST's, or the one trained on a set of your own
    if classifier is not None:
        accuracy = classifier.metrics.get("test_accuracy")
        note = f", test accuracy {accuracy:.2%}" if isinstance(accuracy, float) else ""
        what = "Classifier of your images" if pair is not None and pair.own else "Digit classifier"
        st.caption(f"{what}: `{classifier.name}`{note}. It judges decoded and sampled images.")
    elif pair is not None and pair.own:
        st.caption(
            "This set of your own has no classifier (it has no labelled folders), so nothing judges its samples."
        )
    if broken := models.broken:
        with st.expander(f"{len(broken)} checkpoint(s) could not be loaded", expanded=True):
            for name, reason in broken:
                st.markdown(f"- **{name}**: {reason}")


frame.guard(main)
