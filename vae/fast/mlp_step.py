"""A training step for MLP VAEs with a Bernoulli decoder, its backward pass written out by hand.

The 784-200-200-50 and 784-400-20 VAEs are small enough that autograd's bookkeeping (a graph node, saved
tensors and fresh gradient buffers for every op) costs about as much CPU as their matrix multiplies. This
step runs the same forward pass with plain ``torch.addmm`` calls under ``torch.no_grad`` and then the chain
rule by hand, writing each gradient into a ``.grad`` buffer allocated once. It mirrors the learner's path
(``VAE.forward`` in vae/models.py, ``DiagonalGaussian.sample`` in vae/posterior.py and ``vae.losses.vae_terms``,
which ``vae.losses.loss_for("vae")`` picks): the same loss and the same gradients as ``model_loss`` +
``backward()`` (tests/test_mlp_step.py compares them), so any torch optimizer steps the model as before. Its
reparameterisation below is a written-out copy of ``DiagonalGaussian.sample``, kept for the backward pass.

The maths, for a batch of B images (all sums over the batch are means, as in ``model_loss``):
    h_i = relu(h_{i-1} W_i^T + b_i)                          encoder, h_0 = x
    mu, logvar = h W_mu^T + b_mu, h W_lv^T + b_lv
    z = mu + exp(logvar / 2) * eps,  eps ~ N(0, I)              the reparameterisation trick
    g_i = relu(g_{i-1} V_i^T + c_i),  logits = g V_out^T + c_out   decoder, g_0 = z
    loss = mean_b [ sum_pixels BCE(logits, x) + beta * KL(N(mu, exp(logvar)) || N(0, I)) ]
and backwards:
    d logits = (sigmoid(logits) - x) / B
    d mu = d z + beta * mu / B
    d logvar = d z * eps * exp(logvar / 2) / 2 + beta * (exp(logvar) - 1) / (2 B)
with a ReLU passing the gradient only where its output is positive.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vae.config import TrainConfig
from vae.losses import LossTerms, loss_for, vae_terms
from vae.models import PIXELS


def supports(model: nn.Module) -> bool:
    """True for the models this step handles: an MLP VAE with a Bernoulli likelihood, float32 weights on CPU."""
    config = getattr(model, "config", None)
    if config is None or loss_for(config.kind) is not vae_terms:  # the loss this step writes out
        return False
    if (config.arch, config.likelihood) != ("mlp", "bernoulli"):
        return False
    return all(p.dtype == torch.float32 and p.device.type == "cpu" for p in model.parameters())


def step_for(model: nn.Module, config: TrainConfig, distributed: bool = False) -> MLPVAEStep | None:
    """The step vae.training uses for ``model`` under ``config`` (its precision already resolved): one for a
    single-process fp32 run of a supported model with ``config.manual_backward`` on that trains on the ELBO
    (``iwae_k`` 1: this step writes out the ELBO's gradients only), else None (autograd)."""
    plain = config.manual_backward and not distributed and config.precision == "fp32" and config.iwae_k == 1
    if plain and supports(model):
        return MLPVAEStep(model)
    return None


def _linears(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


class MLPVAEStep:
    """``step(x)`` fills the ``.grad`` of every parameter of ``model`` with the gradient of the beta-weighted
    negative ELBO of the batch x (B, 1, 28, 28) and returns its loss terms (as ``model_loss``, without the
    per-dimension KL); the optimizer step is the caller's.

    Gradients are overwritten, not accumulated (the optimizer's ``zero_grad`` is not needed, and
    ``zero_grad(set_to_none=True)`` is harmless: the buffers come back on the next call).
    """

    def __init__(self, model: nn.Module) -> None:
        if not supports(model):
            raise ValueError("MLPVAEStep handles float32 CPU VAEs with arch='mlp' and likelihood='bernoulli'")
        self.model = model
        self.encoder = _linears(model.encoder)  # 784 -> hidden[0] -> ... -> hidden[-1], each followed by ReLU
        self.to_mu, self.to_logvar = model.to_mu, model.to_logvar
        decoder = _linears(model.decoder)  # latent -> ... -> hidden[0] with ReLU, then -> 784 without
        self.decoder, self.output = decoder[:-1], decoder[-1]

    def _grad(self, p: nn.Parameter) -> torch.Tensor:
        if p.grad is None or p.grad.shape != p.shape:
            p.grad = torch.empty_like(p)
        return p.grad

    def _linear_backward(self, layer: nn.Linear, d_out: torch.Tensor, inputs: torch.Tensor) -> None:
        """Weight and bias gradients of y = inputs W^T + b from dL/dy (B, out)."""
        torch.mm(d_out.t(), inputs, out=self._grad(layer.weight))  # (out, in)
        torch.sum(d_out, dim=0, out=self._grad(layer.bias))  # (out,)

    @staticmethod
    def _relu_stack(layers: list[nn.Linear], h: torch.Tensor) -> list[torch.Tensor]:
        """[input, relu(layer 1), relu(layer 2), ...]: every layer's input is kept for the backward pass."""
        outputs = [h]
        for layer in layers:
            outputs.append(torch.addmm(layer.bias, outputs[-1], layer.weight.t()).clamp_min_(0.0))
        return outputs

    def _relu_stack_backward(
        self, layers: list[nn.Linear], outputs: list[torch.Tensor], d: torch.Tensor, need_input: bool
    ) -> torch.Tensor | None:
        """Back through ``_relu_stack``: d is dL/d(last output); returns dL/d(input) when asked."""
        for index in range(len(layers) - 1, -1, -1):
            d = d * (outputs[index + 1] > 0)  # the ReLU passes gradient where its output is positive
            self._linear_backward(layers[index], d, outputs[index])
            if index > 0 or need_input:
                d = d @ layers[index].weight
        return d if need_input else None

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None) -> LossTerms:
        batch = x.shape[0]
        target = x.reshape(batch, PIXELS)  # (B, 784)
        hidden = self._relu_stack(self.encoder, target)
        h = hidden[-1]
        mu = torch.addmm(self.to_mu.bias, h, self.to_mu.weight.t())  # (B, D)
        logvar = torch.addmm(self.to_logvar.bias, h, self.to_logvar.weight.t())  # (B, D)
        std = torch.exp(0.5 * logvar)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        decoded = self._relu_stack(self.decoder, torch.addcmul(mu, std, eps))
        logits = torch.addmm(self.output.bias, decoded[-1], self.output.weight.t())  # (B, 784)

        reconstruction = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / batch
        variance = std * std
        kl = -0.5 * (1.0 + logvar - mu * mu - variance).sum() / batch

        d_logits = torch.sigmoid(logits).sub_(target).div_(batch)  # (B, 784)
        self._linear_backward(self.output, d_logits, decoded[-1])
        d_z = self._relu_stack_backward(self.decoder, decoded, d_logits @ self.output.weight, need_input=True)
        d_mu = mu.mul(beta / batch).add_(d_z)
        d_logvar = (variance - 1.0).mul_(0.5 * beta / batch).addcmul_(d_z, eps * std, value=0.5)
        self._linear_backward(self.to_mu, d_mu, h)
        self._linear_backward(self.to_logvar, d_logvar, h)
        d_h = torch.addmm(d_mu @ self.to_mu.weight, d_logvar, self.to_logvar.weight)
        self._relu_stack_backward(self.encoder, hidden, d_h, need_input=False)
        return LossTerms(reconstruction + beta * kl, reconstruction, kl, reconstruction + kl)
