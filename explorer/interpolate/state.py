"""Interpolate's widget keys: the two pickers (explorer.shared.state.PickerKeys prefixes) and the path's controls."""

from __future__ import annotations

START = "interp.start"
END = "interp.end"
STEPS = "interp.steps"
METHOD = "interp.method"
GIF = "interp.gif"
PNG = "interp.png"
