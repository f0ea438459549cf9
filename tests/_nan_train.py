"""`python -m vae.train` for the run tests: the same main(), with a non-finite loss forced at one step.

With TEST_NAN_AT_STEP=N the N-th training batch (counted over all epochs) reports a NaN loss, as a diverging
run would; the trainer must stop there, say why, and keep the last complete epoch.
"""

import dataclasses
import os
import sys

import vae.train as train
import vae.training as training  # the training loop (vae.train is only the CLI since the split)

nan_at = int(os.environ.get("TEST_NAN_AT_STEP", "0"))
real_batch_terms = training._batch_terms
steps = 0


def batch_terms(model, x, y, beta, step=None):
    global steps
    terms = real_batch_terms(model, x, y, beta, step)
    if model.training:
        steps += 1
        if steps == nan_at:
            return dataclasses.replace(terms, loss=terms.loss * float("nan"))
    return terms


training._batch_terms = batch_terms
if __name__ == "__main__":
    sys.exit(train.main(sys.argv[1:]))
