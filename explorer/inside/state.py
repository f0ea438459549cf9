"""Inside the VAE's widget keys, and the settings another feature (the lesson) may ask the page to start with."""

from __future__ import annotations

SOURCE = "inside.source"  # the digit source radio
PICKER = "inside.picker"  # the image picker's key prefix (explorer.shared.state.PickerKeys)
PICK, DRAW = "pick", "draw"
SOURCES = {PICK: "A test digit, an upload or a kept drawing", DRAW: "Draw one here"}


def source_settings(source: str) -> dict[str, str]:
    """The widget values that open the page on ``source`` (PICK or DRAW)."""
    if source not in SOURCES:
        raise ValueError(f"Inside the VAE has no digit source {source!r}")
    return {SOURCE: source}
