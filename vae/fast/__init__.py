"""The speed paths of training, kept apart from the learner's path (vae/models.py, vae/posterior.py,
vae/losses.py). Each computes what a plain piece computes, faster, and a test proves they agree:

- ``mlp_step``: the hand-written backward pass of an MLP VAE with a Bernoulli decoder. Mirrors
  ``VAE.forward`` + ``DiagonalGaussian.sample`` + ``vae.losses.vae_terms`` followed by autograd's
  ``backward()``; tests/test_mlp_step.py checks the same loss and gradients, and that training uses it.
- ``fused_adam``: Adam as one call of torch's private ``torch._fused_adam_`` kernel per step. Mirrors
  ``torch.optim.Adam(fused=True)``; tests/test_fast_path.py checks the same weights bit for bit.
  vae.optim falls back to ``torch.optim.Adam`` when the kernel is missing or raises on a trial step
  (tests/test_fused_adam_fallback.py).
- ``precision``: a bf16 forward pass under autocast, with the loss of ``vae.losses.loss_for`` in fp32.
  Mirrors the fp32 step; tests/test_fast_path.py checks loss and gradients within bf16's rounding.

Each is behind a flag recorded in the checkpoint (``TrainConfig.manual_backward``, ``fused_optimizer``,
``precision``); with ``--precision fp32 --no-fused-optimizer --no-manual-backward`` training is the plain loop
bit for bit (tests/test_fast_path.py).
"""
