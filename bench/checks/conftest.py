"""The benchmarks' own bookkeeping checks (``python -m pytest bench/checks``): they test bench code, so they stay out
of the product's test suite under tests/. The repository root goes on sys.path for ``from bench import ...``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
