#!/usr/bin/env bash
# Retrain every shipped checkpoint, evaluate it, and score its prior samples.
# On 2 quiet CPU cores: about 1 h 42 min of training (checkpoints/README.md has each model's time) plus the
# evaluations. Usage: bash bench/train_all.sh [OUT_DIR [LATENT_SIZE...]]
# (default: checkpoints, latent sizes 16 and 2). Two invocations with different latent sizes can run side by
# side (e.g. with OMP_NUM_THREADS=1 each); the one that finds all four models scores their samples.
# Re-running continues an interrupted run (--resume) and skips models that are already finished; delete a
# folder to retrain it from scratch.
#
# Each AE/VAE pair shares architecture (MLP 784-512-256-z), data (the 50k MNIST training images, the 10k
# validation images held out for early stopping), optimiser (Adam, lr 1e-3, batch 128) and epoch budget, so
# the only difference between the twins is the objective: L2 reconstruction of the grey digits vs the negative ELBO
# of dynamically binarised ones (with the KL weighted by beta: 1.25 for the z=16 VAE, the trade-off chosen in
# checkpoints/README.md, 1 for z=2).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-checkpoints}"
shift || true
[ $# -gt 0 ] && sizes=("$@") || sizes=(16 2)
py=.venv/bin/python
pair=(--arch mlp --hidden 512 256 --patience 15 --batch-size 128 --lr 1e-3 --seed 0 --no-progress)
declare -A epochs=([16]=100 [2]=60)
declare -A beta=([16]=1.25 [2]=1)

train() {  # train FOLDER ARGS...: start a run, or resume an unfinished one, or leave a finished one alone
  local folder="$1"
  shift
  if [ -f "$folder/training_state.safetensors" ]; then
    $py -m vae.train "$@" --resume --out "$folder"  # configs come from the folder; an explicit --epochs wins
  elif [ -f "$folder/config.json" ]; then
    echo "$folder is finished; delete it to retrain"
  else
    $py -m vae.train "$@" --out "$folder"
  fi
}

evaluate() {  # evaluate FOLDER ARGS...: unless its metrics are already stored
  grep -q '"first_1000"' "$1/config.json" || $py -m vae.evaluate "$@"
}

train "$out/classifier" --kind classifier --arch conv --channels 16 32 --hidden 128 --epochs 8 --patience 3 \
  --batch-size 128 --lr 1e-3 --seed 0 --no-progress
evaluate "$out/classifier"

for z in "${sizes[@]}"; do
  for kind in vae ae; do
    weight=()
    [ "$kind" = vae ] && [ "${beta[$z]}" != 1 ] && weight=(--beta "${beta[$z]}")
    # The VAEs see a fresh binarisation of every batch, so their likelihoods are of binary images (vae/likelihood.py);
    # the autoencoders stay on grey levels, so their number is the squared error of the pictures shown.
    [ "$kind" = vae ] && weight+=(--binarize dynamic)
    train "$out/$kind-z$z" --kind "$kind" --latent-dim "$z" --epochs "${epochs[$z]}" "${weight[@]}" "${pair[@]}"
    evaluate "$out/$kind-z$z"  # the NLL with the CLI's default k = 5000 importance samples
  done
done

for name in vae-z16 ae-z16 vae-z2 ae-z2; do
  if ! grep -q '"first_1000"' "$out/$name/config.json" 2>/dev/null; then
    echo "$out/$name is not evaluated yet; sample metrics are left to the run that finishes last"
    exit 0
  fi
done
$py -m vae.metrics "$out/vae-z16" "$out/ae-z16" "$out/vae-z2" "$out/ae-z2" --classifier "$out/classifier" --test-ceiling
# Only the weights ship: the optimiser state for --resume would triple the size.
rm -f "$out"/*/training_state.safetensors
