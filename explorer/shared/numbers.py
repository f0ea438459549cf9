"""The one check for numbers read from files people can edit (checkpoint metrics, histories, chart data)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def finite_number(value: Any) -> float | None:
    """A finite float, or None for anything else (missing, text, NaN, infinite, a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
