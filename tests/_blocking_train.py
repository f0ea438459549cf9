"""`python -m vae.train` for the fault tests: the same main(), with one training step that can hold still.

With TEST_BLOCK_AT_STEP=N the N-th training batch (counted over all epochs; validation does not count) prints
``test-blocked-at-step N rank R pid P`` to stderr and waits until the file TEST_RELEASE_FILE exists (at most
60 s). A test can then signal the process at a known point in the middle of an epoch, deterministically.
Works under torchrun too (every rank blocks at the same step).

With TEST_BLOCK_SIGTERM_ON_RANK=R, rank R blocks SIGTERM for its whole life (the mask is set here, before
torch starts any thread, so no thread of the process can take the signal). That rank can then learn of a
stop only from the other ranks, through the per-batch all-reduce, even after torchrun, seeing another rank
exit, sends it SIGTERM; the signal stays pending and dies with the process.
"""

import os
import signal

if os.environ.get("TEST_BLOCK_SIGTERM_ON_RANK", "") == os.environ.get("RANK", "0"):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

import sys  # imported after the signal mask on purpose: it must come before torch's threads
import time
from pathlib import Path

import vae.train as train
import vae.training as training

block_at = int(os.environ.get("TEST_BLOCK_AT_STEP", "0"))
release = Path(os.environ.get("TEST_RELEASE_FILE", "release"))
real_batch_terms = training._batch_terms
steps = 0


def batch_terms(model, x, y, beta, step=None):
    global steps
    if model.training:
        steps += 1
        if steps == block_at:
            rank = os.environ.get("RANK", "0")
            # One write(2) per line: sys.stderr is write-through, so print() would write the text and its newline
            # separately and two ranks' lines could interleave on the shared pipe (the test would read a wrong pid).
            os.write(2, f"test-blocked-at-step {steps} rank {rank} pid {os.getpid()}\n".encode())
            deadline = time.monotonic() + 60
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
    return real_batch_terms(model, x, y, beta, step)


training._batch_terms = batch_terms
if __name__ == "__main__":
    sys.exit(train.main(sys.argv[1:]))
