"""Train: train an AE or a VAE in the background, watch it learn, and compare betas side by side."""

import streamlit as st

from explorer.shared import frame
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
    lock = runs.read_lock()
    if lock is not None:
        st.info(runs.busy_message(lock), icon=":material/hourglass_top:")
    spec = train_panels.settings_form(busy=lock is not None)
    if spec is not None:
        train_panels.start([spec])
    sweep = st.button(
        "Run the beta sweep (a 2-D VAE at beta 0.5, 1 and 4; about 2 minutes each)",
        disabled=lock is not None,
        icon=":material/compare_arrows:",
    )
    if sweep:
        train_panels.start(run_records.sweep_specs())
    st.caption(train_panels.root_note())

    st.header("Your images")
    st.markdown(OWN)
    own_panels.section(busy=lock is not None, start=train_panels.start)

    statuses = runs.statuses()
    train_panels.run_picker(statuses, busy=lock is not None)
    refresh = train_panels.ACTIVE_REFRESH_S if lock is not None else train_panels.IDLE_REFRESH_S
    st.fragment(frame.guarded(train_panels.live_view), run_every=refresh)(train_panels.signature())

    st.header("Beta sweep")
    train_panels.sweep_results(statuses)


frame.guard(main)
