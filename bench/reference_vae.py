"""The yardstick for bench/train_throughput.py: a VAE trained the way pytorch/examples' ``vae/main.py`` sets it up.

Our own code, mirroring that example's setup so the comparison is like for like: the 784-400-20(x2)-400-784 MLP
with ReLU and a sigmoid output, binary cross-entropy summed over pixels plus the closed-form KL, Adam at 1e-3,
batch 128, ``DataLoader(datasets.MNIST(train=True, transform=ToTensor()), shuffle=True)`` over the 60k training
images, and a pass over the 10k test images after every epoch. It prints one JSON line at the end: the
final test loss (nats per image, one posterior sample per image, as the example reports it) and its timers.

    python bench/reference_vae.py --epochs 3 --data data
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class ReferenceVAE(nn.Module):
    def __init__(self, latent_dim: int = 20) -> None:
        super().__init__()
        self.hidden_in = nn.Linear(784, 400)
        self.mean = nn.Linear(400, latent_dim)
        self.log_variance = nn.Linear(400, latent_dim)
        self.hidden_out = nn.Linear(latent_dim, 400)
        self.pixels = nn.Linear(400, 784)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = F.relu(self.hidden_in(x.view(-1, 784)))
        mu, logvar = self.mean(h), self.log_variance(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)  # sampled in training and testing alike
        return torch.sigmoid(self.pixels(F.relu(self.hidden_out(z)))), mu, logvar


def summed_loss(recon: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """BCE summed over the batch's pixels + KL(q || N(0, I)) summed over the batch (Kingma & Welling, app. B)."""
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--latent-dim", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", default="data", help="folder holding MNIST/raw (torchvision's layout)")
    args = parser.parse_args()

    from vae._torchvision import import_torchvision  # torchvision's pure-Python parts on a CPU-only torch

    tv = import_torchvision()
    torch.manual_seed(args.seed)
    to_tensor = tv.transforms.ToTensor()
    train_set = tv.datasets.MNIST(args.data, train=True, download=False, transform=to_tensor)
    test_set = tv.datasets.MNIST(args.data, train=False, download=False, transform=to_tensor)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=128, shuffle=False)
    model = ReferenceVAE(args.latent_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    train_seconds, test_loss = 0.0, float("nan")
    for _ in range(args.epochs):
        started = time.perf_counter()
        model.train()
        train_loss = 0.0
        for x, _ in train_loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(x)
            loss = summed_loss(recon, x, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        train_seconds += time.perf_counter() - started
        model.eval()
        test_total = 0.0
        with torch.no_grad():
            for x, _ in test_loader:
                recon, mu, logvar = model(x)
                test_total += summed_loss(recon, x, mu, logvar).item()
        test_loss = test_total / len(test_set)
    print(
        json.dumps(
            {
                "test_loss": test_loss,
                "train_seconds": train_seconds,
                "train_images": args.epochs * len(train_set),
                "train_loss": train_loss / len(train_set),
            }
        )
    )


if __name__ == "__main__":
    main()
