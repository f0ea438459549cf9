"""The Train page's panels: the settings form, the live view of a run, and the beta sweep side by side.

All state comes from the runs folder (explorer.train.runs), none from the session, so a reload or a second tab
shows the same run. The live view is a fragment that reruns itself every few seconds; when the job's
state changes (a run starts, ends or moves on to evaluation) it reruns the whole page instead, so the
start button and the sweep results follow.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import streamlit as st

from explorer.charts import chart_data, live_chart
from explorer.latent_map import map_chart, scatter
from explorer.latent_map import timeline as timeline_component
from explorer.shared import context, core, figures, model_catalog, resources, ui
from explorer.train import run_records, run_view, runs
from explorer.train import state as train_state
from vae.checkpoint import CONFIG_FILE, Checkpoint, CheckpointError, read_checkpoint

ACTIVE_REFRESH_S = 2.0
IDLE_REFRESH_S = 10.0  # an idle page still notices a run started from another tab
SLICES = {0: "all 50,000", 10_000: "first 10,000", 2_000: "first 2,000", 500: "first 500"}
STATE_TEXT = {
    "queued": "queued",
    "running": "training",
    "finished": "finished",
    "stopped": "stopped",
    "failed": "failed",
    "cancelled": "cancelled",
}
MAP_POINTS = 2000  # test codes per latent map in the sweep comparison


def signature(view: runs.RunsView) -> tuple | None:
    """What, when it changes, needs a full page rerun: is a job running, which run, in which phase."""
    run = view.active
    return (run.name, run.state, run.evaluation) if run else (("", "", "") if view.job else None)


def settings_form(busy: bool) -> run_records.RunSpec | None:
    """The run's settings; returns them when the start button was pressed."""
    with st.form("train.settings", border=True):
        left, middle, right = st.columns(3)
        kind = left.radio("Model", ["vae", "ae"], format_func=ui.KIND_NAMES.get, horizontal=True)
        arch = left.radio("Architecture", ["mlp", "conv"], format_func=str.upper, horizontal=True)
        latent = left.select_slider("Latent size", [1, 2, 3, 4, 8, 16, 32], value=2)
        beta = middle.number_input("beta (weight of the KL term)", 0.0, 100.0, 1.0, 0.5, help="VAE only")
        warmup = middle.number_input("KL warm-up epochs", 0, 100, 0, help="beta ramps up from 0 over these epochs")
        epochs = middle.number_input("Epochs", 1, 500, 10)
        iwae_k = middle.number_input(
            "Importance samples k (VAE)",
            1,
            50,
            1,
            help="1 trains on the ELBO; k > 1 on the importance-weighted bound (Burda et al. 2016), tighter on log "
            "p(x): compare the two runs' posteriors and gaps on Inside the VAE. Each image costs about k times more.",
        )
        cap = right.number_input("Time cap (minutes, 0 = none)", 0.0, 120.0, 5.0, 0.5)
        limit = right.selectbox("Training images", list(SLICES), format_func=SLICES.get)
        right.caption("The run stops after the epoch that crosses the time cap; every epoch is saved.")
        pressed = st.form_submit_button("Start training", type="primary", disabled=busy)
    if not pressed:
        return None
    spec = run_records.RunSpec(kind, arch, int(latent), float(beta), int(warmup), int(epochs), float(cap), int(limit))
    return dataclasses.replace(spec, iwae_k=int(iwae_k) if kind == "vae" else 1)


def start(specs: list[run_records.RunSpec], classifier: Any = "mnist") -> None:
    """Start a job and show its first run; a refusal (busy, bad settings) is shown as a message and nothing
    else changes. ``classifier`` scores the samples: MNIST's by default, None for none (your own images)."""
    classifier = context.models().catalog.classifier if classifier == "mnist" else classifier
    try:
        names = runs.start(specs, classifier=classifier.path if classifier else None)
    except runs.RunBusy as error:
        st.warning(str(error))
        return
    except (ValueError, OSError) as error:
        st.error(f"Could not start the run: {run_records.relative(str(error))}")
        return
    train_state.set_train_view(names[0])
    st.rerun()


def _checkpoint(name: str) -> Checkpoint | None:
    return _read_run(name)[0]


def _read_run(name: str) -> tuple[Checkpoint | None, str]:
    """The run's checkpoint, or None and why not ("" when no epoch has finished yet), its files named
    relative to the runs folder."""
    folder = run_records.runs_root() / name
    if not (folder / CONFIG_FILE).is_file():
        return None, ""
    try:
        return read_checkpoint(folder), ""
    except CheckpointError as error:  # damaged, or mid-swap on a live run (the next refresh reads it)
        return None, run_records.relative(str(error))


def shown_run(view: runs.RunsView) -> run_records.RunStatus | None:
    """The job's current run, else the one this session picked, else the newest. The run in progress becomes
    this session's pick, so when it ends the page stays on it rather than going back to an earlier one."""
    if view.active is not None:
        train_state.set_train_view(view.active.name)
        return view.active
    chosen = train_state.train_view([s.name for s in view.statuses])
    return next((s for s in view.statuses if s.name == chosen), view.statuses[0] if view.statuses else None)


def live_view(built_for: tuple | None) -> None:
    """The fragment body: the shown run's progress, curves, latent statistics and pictures."""
    view = context.fresh_runs() or runs.scan()  # the full run's read, else (a fragment rerun) a new one
    if signature(view) != built_for:
        st.rerun()
    status = shown_run(view)
    if status is None:
        st.info("No runs yet. Pick the settings above and start one; it trains in the background.")
        return
    checkpoint, damage = _read_run(status.name)
    _run_header(status, checkpoint, damage)
    if checkpoint is None or not checkpoint.history:
        return
    # The live chart: as epochs arrive the same plot updates in place, without a remount or a blank frame.
    key = f"train.curves.{status.name}"
    live_chart.chart(chart_data.training_curves, checkpoint.history, testid="train-curves", key=key)
    st.caption(
        "Loss: train is the beta-weighted objective; validation is the negative ELBO at beta = 1 (nats per image)."
    )
    if checkpoint.model.kind != "classifier":  # a classifier has no codes or reconstructions to show
        _snapshot(status, checkpoint)
    if status.spec.kind in ("ae", "vae"):
        st.markdown("**How the latent space formed** (epoch by epoch; follows the run while it trains)")
        timeline_component.training_timeline(
            {status.spec.kind: checkpoint}, key=f"train.timeline.{status.name}", quiet=status.active
        )
    _metrics(status, checkpoint)


def _run_header(status: run_records.RunStatus, checkpoint: Checkpoint | None, damage: str = "") -> None:
    st.subheader(f"{status.spec.label()} · {STATE_TEXT.get(status.state, status.state)}")
    st.caption(f"Run `{status.name}` · in the folder `{status.name}/` of the runs folder")
    if status.active:
        shown = run_view.progress(status, checkpoint)
        st.progress(min(1.0, shown.epoch / shown.epochs), text=shown.text() if shown.epoch else "first epoch…")
    if status.active or status.evaluation == "running":
        what = "Stop training" if status.active else "Stop evaluation"
        if st.button(what, key="train.stop", icon=":material/stop:"):
            runs.stop()
            st.toast("Stopping: the last complete epoch is kept.")
    if damage and not status.active:
        st.warning(f"This run's checkpoint cannot be used: {damage}", icon=":material/warning:")
    hint = pick_hint(status.name) if checkpoint is not None and not status.active else ""
    if status.state == "failed":
        st.error(f"Training failed: {run_records.relative(status.reason)}")
        with st.expander("The end of the training log"):
            st.code(run_records.relative(run_records.log_tail(run_records.runs_root(), status.name, 20)) or "(empty)")
    elif status.state in ("stopped", "cancelled"):
        kept = f"The last complete epoch is kept. {hint}" if checkpoint else ""
        st.info(f"Stopped: {run_records.relative(status.reason)}. {kept}")
    elif status.state == "finished":
        st.success(f"Finished ({run_records.relative(status.reason)}). {hint}")


def pick_hint(name: str) -> str:
    """How the sidebar offers this run, from the very lists the sidebar draws (so the two always agree): as a
    user run, as part of a pair on your own images, or not at all (a classifier on its own, say)."""
    models = context.models()
    if any(run.name == name for run in models.user_runs):
        return "Pick it in the sidebar as a user run to use it on every page."
    for pair in models.own_pairs:
        if name in {c.name for c in (pair.ae, pair.vae, pair.classifier) if c is not None}:
            title = ui.escape_markdown(pair.title)
            return f'Pick "your images: {title}" in the sidebar at latent size {pair.latent_dim} to use it everywhere.'
    return "The sidebar does not offer it: it offers AEs and VAEs on MNIST and the newest pair on each of your sets."


def _snapshot(status: run_records.RunStatus, checkpoint: Checkpoint) -> None:
    path = run_records.runs_root() / status.name
    try:
        shot = resources.run_snapshot(str(path), len(checkpoint.history), resources.version(checkpoint))
    except CheckpointError:  # the trainer is swapping the folder right now: next refresh
        return
    best = checkpoint.progress.get("best_epoch", shot.epoch)
    warning = run_view.collapse_warning(status.spec.kind, shot)
    if warning:
        st.warning(warning, icon=":material/warning:")
    left, right = st.columns([2, 3])
    with left:
        values, title = _latent_bars(shot)
        live_chart.chart(chart_data.latent_bars, values, title, testid="latent-bars", key=f"train.bars.{status.name}")
    with right:
        st.markdown(f"**The weights of epoch {best}** (the best validation loss so far)")
        for title, images in (
            ("validation digits", shot.originals),
            ("reconstructions", shot.reconstructions),
            ("prior samples, z ~ N(0, I)", shot.samples),
        ):
            st.image(figures.inline_png(figures.strip_png(images, scale=3)), caption=title)


def _latent_bars(shot: run_view.Snapshot) -> tuple[list[float], str]:
    """The values and title of the latent bars: KL per dimension for a VAE, code variance for an AE."""
    values = shot.kl_per_dim if shot.kl_per_dim is not None else shot.code_variance
    what = "KL per dimension (nats)" if shot.kl_per_dim is not None else "code variance per dimension"
    return values, f"{what} · {shot.active_units}/{shot.latent_dim} active"


def _metrics(status: run_records.RunStatus, checkpoint: Checkpoint) -> None:
    if status.evaluation == "running":
        st.caption("Evaluating on the test set in the background…")
    elif status.evaluation.startswith("failed"):
        st.warning(f"Evaluation {run_records.relative(status.evaluation)}")
    rows = model_catalog.metric_rows(checkpoint)
    if status.evaluation == "done" and rows:
        images = checkpoint.metrics.get("test_images")
        st.markdown(f"**Test metrics** (first {images:,} test images, k = {checkpoint.metrics.get('iwae_k')})")
        st.table({"metric": list(rows), "value": [model_catalog.format_value(k, v) for k, v in rows.items()]})


def run_picker(statuses: list[run_records.RunStatus], busy: bool) -> None:
    """Which earlier run to show when none is in progress."""
    if busy or not statuses:
        return
    names = [s.name for s in statuses]
    labels = {s.name: f"{s.name} · {s.spec.label()} · {STATE_TEXT.get(s.state, s.state)}" for s in statuses}
    chosen = st.selectbox(
        "Show run", names, index=names.index(train_state.train_view(names) or names[0]), format_func=labels.get
    )
    train_state.set_train_view(chosen)


def sweep_results(statuses: list[run_records.RunStatus]) -> None:
    """The newest beta sweep's finished runs side by side: reconstructions, prior samples, latent maps."""
    sweep = next((s.sweep for s in statuses if s.sweep and not s.spec.dataset), "")  # a pair on your images is no sweep
    members = sorted((s for s in statuses if s.sweep == sweep), key=lambda s: s.spec.beta) if sweep else []
    ready = [(s, c) for s in members if not s.active and (c := _checkpoint(s.name)) is not None]
    if not ready:
        st.caption(
            "The sweep's results appear here as its runs finish."
            if members
            else "No sweep yet: the button above trains three 2-D VAEs one after another and compares them here."
        )
        return
    images, labels = resources.test_set()
    shown = np.random.default_rng(0).permutation(len(images))[:MAP_POINTS]
    for column, (status, checkpoint) in zip(st.columns(len(members)), ready, strict=False):
        with column:
            try:
                _sweep_column(status, checkpoint, images, labels, shown)
            except CheckpointError as error:  # damaged since it finished: this column says so, the rest stays
                st.warning(f"beta = {status.spec.beta:g}: this run's checkpoint cannot be used ({error}).")


def _sweep_column(status, checkpoint, images, labels, shown) -> None:
    model = resources.model(checkpoint)
    st.markdown(f"**beta = {status.spec.beta:g}** · {len(checkpoint.history)} epochs · {status.state}")
    st.image(figures.inline_png(figures.strip_png(images[:8], scale=2)), caption="test digits")
    st.image(
        figures.inline_png(figures.strip_png(core.reconstruct(model, images[:8]), scale=2)), caption="reconstructions"
    )
    st.image(figures.inline_png(figures.strip_png(core.prior_images(model, 8, 0), scale=2)), caption="prior samples")
    codes = resources.codes(checkpoint)[shown]
    points = codes[:, :2] if codes.shape[1] >= 2 else np.c_[codes, np.zeros(len(codes))]
    data = map_chart.payload(
        points,
        labels[shown],
        shown,
        title="test codes",
        axis_titles=("z0", "z1"),
        prior_origin=(0.0, 0.0),
        colors=figures.DIGIT_COLORS,
        height=360,
        testid=f"sweep-map-{status.name}",
    )
    scatter.latent_map_chart(data, f"train.sweep.{status.name}")


def root_note() -> str:
    return "Runs are saved in the server's runs folder (never over the shipped checkpoints)."


def damaged_note(view: runs.RunsView) -> None:
    """Name each run-state file that cannot be read, with its reason; everything else on the page stays whole.
    (Paths are relative to the runs folder; file names are escaped, as a file may be called anything.)"""
    if not view.damaged:
        return
    lines = [f"- {ui.escape_markdown(d.path)}: {ui.escape_markdown(d.reason)}" for d in view.damaged]
    st.warning(
        f"{len(view.damaged)} file(s) in the runs folder could not be read and are left as they are:\n"
        + "\n".join(lines),
        icon=":material/warning:",
    )
