"""Latent arithmetic's widget keys, and where its attribute vector comes from."""

from __future__ import annotations

DIGITS, INK, GROUPS = "digits", "ink", "groups"
SOURCES = {DIGITS: "One digit to another", INK: "Thin to bold strokes", GROUPS: "Two groups of test images"}
SOURCE = "arith.source"
FROM, TO = "arith.from", "arith.to"
INK_DIGIT = "arith.ink_digit"
GROUP_A, GROUP_B = "arith.group_a", "arith.group_b"
IMAGE = "arith.image"  # the image picker's key prefix
STRENGTH = "arith.strength"
