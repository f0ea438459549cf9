"""Inside the VAE: one digit through encoder, q(z|x), z = mu + sigma * eps, decoder and the ELBO, in the page.

- ``component`` / ``data``: the component's data (inside.js; its DOM and painters in inside_view.js, the
  objective's arithmetic in elbo.js, styles in inside.css);
- ``state``: the page's widget keys and the settings the lesson may open it with.
"""
