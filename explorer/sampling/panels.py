"""The sampling page's score card of a model's samples."""

from __future__ import annotations

from typing import Any

from explorer.shared import resources


def sample_scores(column: Any, quality: dict[str, Any], stored: dict[str, Any] | None) -> None:
    """The live sample-quality metrics as three metric cards, and the stored 10k-sample ones beneath."""
    share, coverage, frechet = column.columns(3)
    share.metric("Recognisable", f"{quality['recognisable_share']:.1%}", help="Classifier at least 90% sure.")
    coverage.metric(
        "Class coverage",
        f"{quality['class_coverage']:.2f} nats",
        help="Entropy of the guessed digits; log 10 = 2.30 means all ten digits equally often.",
    )
    if "frechet_distance" in quality:
        frechet.metric(
            "Frechet distance",
            f"{quality['frechet_distance']:.1f}",
            help=f"To {resources.FRECHET_REFERENCE:,} test images in the classifier's feature space; lower is closer.",
        )
    if stored:
        samples = stored.get("samples")
        text = f"Stored for {samples:,} samples" if isinstance(samples, int) else "Stored with the checkpoint"
        text += f": recognisable {stored['recognisable_share']:.1%}"
        if isinstance(stored.get("frechet_distance"), (int, float)):
            text += f", Frechet distance {stored['frechet_distance']:.1f}"
        column.caption(text)
