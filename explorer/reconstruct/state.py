"""Reconstruct's widget keys."""

from __future__ import annotations

TESTS, UPLOADS = "tests", "uploads"
SOURCES = {TESTS: "Test images", UPLOADS: "My uploads"}
SOURCE = "rec.source"
DIGITS = "rec.digits"
PER_DIGIT = "rec.per_digit"
SEED = "rec.seed"
UPLOADER = "rec.uploader"
DETAIL = "rec.detail"
ERRORS = "rec.errors"
HISTOGRAM = "rec.hist"
