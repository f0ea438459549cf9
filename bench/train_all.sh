#!/usr/bin/env bash
# Retrain every shipped checkpoint from scratch, evaluate it, and score its prior samples.
# About an hour on 2 CPU cores. Usage: bash bench/train_all.sh [OUT_DIR]   (default: checkpoints)
#
# Each AE/VAE pair shares architecture (MLP 784-512-256-z), data (the 50k MNIST training images, the 10k
# validation images held out for early stopping), optimiser (Adam, lr 1e-3, batch 128) and epoch budget, so
# the only difference between the twins is the objective: L2 reconstruction vs the negative ELBO.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-checkpoints}"
py=.venv/bin/python
pair=(--arch mlp --hidden 512 256 --epochs 100 --patience 15 --batch-size 128 --lr 1e-3 --seed 0 --no-progress)

$py -m vae.train --kind classifier --arch conv --channels 32 64 --hidden 128 --epochs 12 --patience 4 \
    --batch-size 128 --lr 1e-3 --seed 0 --no-progress --out "$out/classifier"
$py -m vae.evaluate "$out/classifier"

for z in 16 2; do
  for kind in vae ae; do
    $py -m vae.train --kind "$kind" --latent-dim "$z" "${pair[@]}" --out "$out/$kind-z$z"
    $py -m vae.evaluate "$out/$kind-z$z" --k 5000
  done
done

$py -m vae.metrics "$out/vae-z16" "$out/ae-z16" "$out/vae-z2" "$out/ae-z2" --classifier "$out/classifier" --test-ceiling
# Only the weights ship: the optimiser state for --resume would triple the size.
rm -f "$out"/*/training_state.safetensors
