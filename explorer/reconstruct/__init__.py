"""Reconstruct: test digits or uploads through both models (``panels``: one result row; ``state``: its keys)."""
