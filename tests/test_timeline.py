"""The training timeline: one snapshot per epoch, the last equal to the final weights' codes, resumed runs equal
to uninterrupted ones, and damaged files refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from vae.checkpoint import read_checkpoint
from vae.config import TrainConfig
from vae.models import build_model
from vae.stopping import StopFlag, TrainingInterrupted
from vae.timeline import BUDGET_BYTES, TIMELINE_FILE, TimelineError, read_timeline, subset_size
from vae.training import fit


def _final_model(folder, config):
    """The model with the run's latest weights (the training state; model.safetensors holds the best ones)."""
    state = load_file(folder / "training_state.safetensors")
    model = build_model(config)
    model.load_state_dict({k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")})
    return model.eval()


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_a_three_epoch_run_has_three_snapshots_ending_at_the_final_codes(
    tmp_path, tiny_vae_config, tiny_ae_config, mnist_small, kind
):
    config = tiny_vae_config if kind == "vae" else tiny_ae_config
    fit(config, TrainConfig(epochs=3, batch_size=64), tmp_path / "run", data=mnist_small, progress=False)
    timeline = read_timeline(tmp_path / "run")
    assert timeline.epochs == [1, 2, 3]
    assert len(timeline.mu) == 3 and len(timeline.samples) == 3
    assert len(timeline.indices) == 256  # the whole (small) validation set fits in the budget
    assert torch.equal(timeline.labels, mnist_small[3][timeline.indices].long())
    model = _final_model(tmp_path / "run", config)
    with torch.no_grad():
        posterior = model.encode(mnist_small[2][timeline.indices])
    assert torch.allclose(timeline.mu[-1].float(), posterior.mean, rtol=1e-3, atol=1e-3)
    assert not torch.equal(timeline.mu[0], timeline.mu[-1])  # the codes moved during training
    if kind == "vae":
        assert torch.allclose(timeline.logvar[-1].float(), posterior.logvar, rtol=1e-3, atol=1e-3)
        assert timeline.kl_per_dim[-1].shape == (4,) and float(timeline.kl_per_dim[-1].sum()) > 0
    expected = (model.decode(timeline.prior_z).detach().reshape(-1, 28, 28) * 255).round()
    assert (timeline.samples[-1].float() - expected).abs().max() <= 1
    last = read_checkpoint(tmp_path / "run").history[-1]
    assert float(timeline.losses[-1][3]) == pytest.approx(last["valid_loss"], rel=1e-6)


def test_a_resumed_runs_timeline_equals_an_uninterrupted_one(tmp_path, tiny_vae_config, mnist_small):
    config = TrainConfig(epochs=3, batch_size=64, seed=3)
    fit(tiny_vae_config, config, tmp_path / "straight", data=mnist_small, progress=False)
    stop = StopFlag()

    def interrupt_after_epoch_2(entry):
        if entry["epoch"] == 2:
            stop.set("test")

    with pytest.raises(TrainingInterrupted):
        fit(
            tiny_vae_config,
            config,
            tmp_path / "split",
            data=mnist_small,
            progress=False,
            on_epoch=interrupt_after_epoch_2,
            stop=stop,
        )
    assert read_timeline(tmp_path / "split").epochs == [1, 2]
    fit(tiny_vae_config, config, tmp_path / "split", data=mnist_small, progress=False, resume=True)
    straight, split = read_timeline(tmp_path / "straight").tensors(), read_timeline(tmp_path / "split").tensors()
    assert straight.keys() == split.keys()
    for key in straight:
        assert torch.equal(straight[key], split[key]), key


@pytest.mark.parametrize("held_out", [1, 6, 8])
def test_a_held_out_split_smaller_than_the_strips_gives_a_timeline_its_reader_accepts(
    tmp_path, tiny_ae_config, mnist_small, held_out
):
    # Issue 36: a pair on 60 of a person's images (validation split of 6) wrote recon (1, 6, 28, 28), which its
    # own reader refused as "expected (1, 8, 28, 28)". Every strip now holds min(SHOWN, held-out) images.
    train_x, train_y, valid_x, valid_y = mnist_small
    data = (train_x[:48], train_y[:48], valid_x[:held_out], valid_y[:held_out])
    fit(tiny_ae_config, TrainConfig(epochs=2, batch_size=16), tmp_path / "run", data=data, progress=False)
    timeline = read_timeline(tmp_path / "run")
    shown = min(8, held_out)
    assert timeline.epochs == [1, 2] and len(timeline.indices) == held_out
    assert timeline.originals.shape == (shown, 28, 28) and timeline.prior_z.shape == (8, 4)
    assert [tuple(r.shape) for r in timeline.recon] == [(shown, 28, 28)] * 2
    assert [tuple(s.shape) for s in timeline.samples] == [(shown, 28, 28)] * 2
    model = _final_model(tmp_path / "run", tiny_ae_config)
    with torch.no_grad():
        expected = (model.decode(timeline.prior_z[:shown]).reshape(-1, 28, 28) * 255).round()
    assert (timeline.samples[-1].float() - expected).abs().max() <= 1


def test_a_timeline_claiming_other_strip_sizes_is_refused(saved):
    from safetensors.torch import save_file

    timeline = read_timeline(saved.parent)
    tensors = timeline.tensors()
    tensors["originals"] = tensors["originals"][:5].contiguous()  # 256 held-out images: the strips need 8
    meta = {"format": "1", "kind": "vae", "latent_dim": "4", "loss_keys": "x"}
    from vae.timeline import _checksum

    save_file(tensors, str(saved), metadata={**meta, "sha256": _checksum(tensors)})
    with pytest.raises(TimelineError, match=r"inconsistent shapes: originals \(5, 28, 28\) \(expected \(8, 28, 28\)\)"):
        read_timeline(saved.parent)


def test_no_timeline_when_turned_off(tmp_path, tiny_vae_config, mnist_small):
    fit(tiny_vae_config, TrainConfig(epochs=1), tmp_path / "run", data=mnist_small, progress=False, timeline=False)
    assert not (tmp_path / "run" / TIMELINE_FILE).exists()
    with pytest.raises(TimelineError, match="missing"):
        read_timeline(tmp_path / "run")


def test_the_cli_records_by_default_and_the_flag_turns_it_off(tmp_path):
    from vae.train import main

    common = ["--kind", "ae", "--latent-dim", "2", "--hidden", "16", "--epochs", "1", "--train-limit", "256"]
    assert main([*common, "--no-progress", "--out", str(tmp_path / "on")]) == 0
    assert main([*common, "--no-progress", "--no-timeline", "--out", str(tmp_path / "off")]) == 0
    assert read_timeline(tmp_path / "on").epochs == [1]
    assert not (tmp_path / "off" / TIMELINE_FILE).exists()


@pytest.fixture
def saved(tmp_path, tiny_vae_config, mnist_small):
    fit(tiny_vae_config, TrainConfig(epochs=2), tmp_path / "run", data=mnist_small, progress=False)
    return tmp_path / "run" / TIMELINE_FILE


def test_a_truncated_timeline_is_refused(saved):
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(TimelineError, match="truncated or corrupt"):
        read_timeline(saved.parent)


def test_a_tampered_timeline_is_refused(saved):
    data = bytearray(saved.read_bytes())
    data[-100] ^= 0x55  # one byte of the tensors changed, the header intact
    saved.write_bytes(bytes(data))
    with pytest.raises(TimelineError, match="checksum"):
        read_timeline(saved.parent)


def test_garbage_is_refused(saved):
    saved.write_bytes(b"\x00" * 5)
    with pytest.raises(TimelineError, match=str(saved.name)):
        read_timeline(saved.parent)


@pytest.mark.parametrize(("epochs", "dim", "kind"), [(60, 2, "vae"), (60, 2, "ae"), (100, 16, "vae"), (100, 16, "ae")])
def test_the_shipped_recipes_fit_the_budget(epochs, dim, kind):
    n = subset_size(epochs, dim, kind, 10_000)
    per_epoch = n * dim * 2 * (2 if kind == "vae" else 1) + 2 * 8 * 784 + 4 * (6 + dim + 1)
    assert epochs * per_epoch + n * 8 + 8 * 784 + 32 * dim < BUDGET_BYTES
    if dim == 2:
        assert n == 1000


SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"


@pytest.mark.parametrize("name", ["ae-z2", "vae-z2"])
def test_the_shipped_timelines_are_small_and_belong_to_their_models(name):
    from vae.checkpoint import load
    from vae.data import load_mnist

    folder = SHIPPED / name
    if not (folder / TIMELINE_FILE).exists():
        pytest.skip(f"{name} ships without a timeline (retrain it with bench/train_all.sh to record one)")
    assert (folder / TIMELINE_FILE).stat().st_size <= BUDGET_BYTES
    timeline = read_timeline(folder)
    model = load(folder)
    history = model.checkpoint.history
    assert timeline.epochs == [h["epoch"] for h in history]
    assert len(timeline.indices) == 1000
    # The snapshot of the best epoch (whose weights model.safetensors holds) is the model's own encoding.
    best = timeline.epochs.index(model.checkpoint.progress["best_epoch"])
    valid_x, valid_y = load_mnist("valid")
    assert torch.equal(timeline.labels, valid_y[timeline.indices].long())
    with torch.no_grad():
        mu = model.encode(valid_x[timeline.indices]).mean
    assert torch.allclose(timeline.mu[best].float(), mu, rtol=2e-3, atol=2e-3)
    assert [float(t[3]) for t in timeline.losses] == pytest.approx([h["valid_loss"] for h in history], rel=1e-6)


def test_a_pair_on_sixty_own_images_records_timelines_its_reader_accepts(tmp_path):
    # Issue 36, case 4 as reported: 60 images in 4 folders, split 48/6/6, trained through the CLI as the Train
    # page's worker does; the timeline of each model of the pair reads back with 6 held-out images in its strips.
    from _shapes import shapes_zip

    from vae import image_sets, prepared_sets
    from vae.train import main

    folders = ("circles", "squares", "triangles", "circles-too")
    prepared = image_sets.read_zip(shapes_zip(per_folder=15, folders=folders), "picture")
    folder = prepared_sets.save(prepared, tmp_path / "runs", "four shapes")
    assert prepared_sets.read_meta(folder).sizes == {"train": 48, "valid": 6, "test": 6}
    for kind in ("ae", "vae"):
        common = ["--kind", kind, "--latent-dim", "2", "--hidden", "16", "--epochs", "2", "--dataset", str(folder)]
        assert main([*common, "--no-progress", "--out", str(tmp_path / kind)]) == 0
        timeline = read_timeline(tmp_path / kind)
        assert timeline.epochs == [1, 2] and len(timeline.indices) == 6
        assert timeline.originals.shape == (6, 28, 28) and [tuple(r.shape) for r in timeline.recon] == [(6, 28, 28)] * 2
