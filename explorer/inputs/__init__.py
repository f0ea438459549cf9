"""Everything a visitor can hand the app as text or numbers, checked before any of it is used.

- ``share``: shareable links (query parameters) and latent-code files;
- ``drawing``: the pixels the Draw canvas sends.

Each parser returns a valid value or raises its own error with a message that does not repeat the input.
"""
