"""The app caches one model per checkpoint for all sessions: concurrent decodes and embeds must not interfere.

Streamlit runs each session's script in its own thread, so several threads call the same loaded module at
once. Inference reads the weights and keeps nothing between calls, so every thread must get exactly the
numbers a lone caller gets.
"""

from __future__ import annotations

import threading

import pytest
import torch

from vae.checkpoint import load, save_checkpoint
from vae.config import ModelConfig
from vae.latent import decode_batched, embed_batched
from vae.models import build_model

THREADS, CALLS = 8, 50


@pytest.fixture(params=["vae", "ae"])
def shared_model(request, tmp_path):
    torch.manual_seed(0)
    config = ModelConfig(kind=request.param, latent_dim=2, hidden=(32,))
    save_checkpoint(tmp_path / request.param, build_model(config))
    return load(tmp_path / request.param)


def test_concurrent_decodes_and_embeds_match_a_single_thread(shared_model):
    generator = torch.Generator().manual_seed(1)
    # Each thread works on its own inputs, of a few different batch sizes, as different sessions would.
    codes = [torch.randn(1 + 7 * t, 2, generator=generator) for t in range(THREADS)]
    images = [torch.rand(1 + 5 * t, 1, 28, 28, generator=generator) for t in range(THREADS)]
    with torch.inference_mode():
        expected = [(shared_model.decode(z), shared_model.embed(x)) for z, x in zip(codes, images, strict=True)]
    expected_batched = decode_batched(shared_model, codes[-1], batch_size=16)

    start = threading.Barrier(THREADS)
    failures: list[str] = []
    # torch's intra-op thread count is per OS thread, and a different count may sum in a different order.
    # The app sets it at the top of every script run (frame.configure_threads); the sessions here do too.
    intra_op_threads = torch.get_num_threads()

    def session(t: int) -> None:
        try:
            torch.set_num_threads(intra_op_threads)
            start.wait()  # all threads hit the model at the same moment
            for call in range(CALLS):
                with torch.inference_mode():  # thread-local, as each Streamlit script run enters its own
                    decoded, embedded = shared_model.decode(codes[t]), shared_model.embed(images[t])
                if not torch.equal(decoded, expected[t][0]) or not torch.equal(embedded, expected[t][1]):
                    failures.append(f"thread {t}, call {call}: result differs from the single-threaded one")
                if call % 10 == 0:
                    if not torch.equal(decode_batched(shared_model, codes[-1], batch_size=16), expected_batched):
                        failures.append(f"thread {t}, call {call}: decode_batched differs")
                    if not torch.equal(embed_batched(shared_model, images[t]), expected[t][1]):
                        failures.append(f"thread {t}, call {call}: embed_batched differs")
        except Exception as error:  # pragma: no cover - reported below
            failures.append(f"thread {t}: {error!r}")

    workers = [threading.Thread(target=session, args=(t,)) for t in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
    assert not failures, failures[:5]
    assert not shared_model.training  # nobody switched the shared model to training mode
