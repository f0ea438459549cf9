#!/usr/bin/env bash
# Install the app's requirements into .venv and start the explorer on the shipped checkpoints and MNIST.
# Extra arguments go to `streamlit run`, e.g. ./scripts/run.sh --server.port 8502 --server.headless true.
# explorer.serve is `streamlit run app.py` that first loads the models, so the first visitor does not wait.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh requirements.txt
exec .venv/bin/python -m explorer.serve "$@"
