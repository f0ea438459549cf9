"""`python -m vae` lists the package's command-line tools."""

print("python -m vae.train --help      train a VAE, an autoencoder or the classifier")
print("python -m vae.evaluate --help   evaluate a checkpoint on the test set")
print("python -m vae.metrics --help    sample-quality metrics of prior samples")
