"""AE vs VAE sampling: the samplers and "draw me a digit" (``generation``), their cached scores (``cache``), the
score card (``panels``) and the page's keys (``state``)."""
