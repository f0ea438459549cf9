"""Run a script as it is (pytorch/examples' ``vae/main.py``, say) with this project's torch, which is CPU-only.

PyPI's torchvision does not import beside the CPU torch wheel (see vae/_torchvision.py); this makes it
importable first, then runs the script unchanged as ``__main__`` with the remaining arguments, in the current
folder. bench/train_throughput.py uses it for ``--example``.

    python bench/run_example.py path/to/main.py --epochs 3
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if __name__ == "__main__":
    from vae._torchvision import import_torchvision

    import_torchvision()
    script, *arguments = sys.argv[1:]
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name="__main__")
