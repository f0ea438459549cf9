"""Lesson: the autoencoder -> VAE argument in steps, each opening the page it is about, already set up.

- ``steps``: the steps as data (text, formula, task, the page and the ``Setup`` its "Show me" applies);
- ``link``: the ``?lesson=N`` parameter's parser;
- ``state``: the step being taught, the pending setup, and the snapshot that leaving puts back; it sets another
  page's widgets only with what that feature's own function returns;
- ``ui``: the Lesson page's step card, "Show me", and the banner every page carries during the lesson.
"""
