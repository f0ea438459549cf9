"""Train: train an AE or a VAE in the background, watch it learn, and compare betas side by side."""

import streamlit as st

from explorer.shared import context, frame
from explorer.train import own_panels, run_records, runs, train_panels

INTRO = """
Train a model here and watch both halves of the VAE's objective move: the **reconstruction** term wants
codes that say everything about the digit, the **KL** term pulls every code towards the prior N(0, I).
**beta** weighs the KL term: small beta gives sharp reconstructions and a latent space with holes, large
beta a smooth, well-covered space and blurrier digits, until dimensions *collapse* onto the prior and carry
nothing. Training runs in its own low-priority process, one run per server; leave the page and come back
at any time. A finished or stopped run can be picked in the sidebar and used on every page.
"""

OWN = """
Train a pair on your own pictures: an **autoencoder** and a **VAE** with the same settings (and a small
classifier when your sub-folders give the images labels). When it has finished, pick it in the sidebar under
its name: every page then uses it, with its held-out images as the test images.
"""


def main() -> None:
    st.title("Train")
    st.markdown(INTRO)
    view = context.models().runs  # this run's one read of the runs folder (the live fragment reads its own)
    busy = view.job is not None
    if busy:
        st.info(runs.busy_message(view.job), icon=":material/hourglass_top:")
    train_panels.damaged_note(view)
    spec = train_panels.settings_form(busy=busy)
    if spec is not None:
        train_panels.start([spec])
    sweep = st.button(
        "Run the beta sweep (a 2-D VAE at beta 0.5, 1 and 4; about 2 minutes each)",
        disabled=busy,
        icon=":material/compare_arrows:",
    )
    if sweep:
        train_panels.start(run_records.sweep_specs())
    st.caption(train_panels.root_note())

    st.header("Your images")
    st.markdown(OWN)
    own_panels.section(busy=busy, start=train_panels.start)

    train_panels.run_picker(list(view.statuses), busy=busy)
    refresh = train_panels.ACTIVE_REFRESH_S if busy else train_panels.IDLE_REFRESH_S
    st.fragment(frame.guarded(train_panels.live_view), run_every=refresh)(train_panels.signature(view))

    st.header("Beta sweep")
    train_panels.sweep_results(list(view.statuses))


frame.guard(main)
