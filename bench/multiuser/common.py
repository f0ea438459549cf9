"""The load benchmark's constants, shared by its parts."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

OUTPUT = REPO / "test-output" / "load"
MEDIA_PATH = re.compile(r"/media/[0-9a-f]+\.\w+")
HEALTH_TIMEOUT_S = 90.0
FIRST_LOAD_TIMEOUT_MS = 180_000  # the first visit loads models and scores the test set on two busy cores
MAX_ACTIONS_PER_SESSION = 5_000  # a second bound beside the clock, so no loop can run away
MAX_SCREENSHOTS = 6
SLIDER_MOVES_PER_CYCLE = 6
SLIDERS_USED = 3  # the most important dimensions: moving them always changes the decoded digit
