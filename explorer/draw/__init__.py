"""Draw a digit: a canvas whose drawing is prepared like MNIST in the page (prepare.js) and reconstructed by both
models while you draw (``component``, draw.js, draw.css); ``drawing`` checks what "Use this drawing" sends."""
