"""The torchvision shim makes the pure-Python parts importable, and stays out of the way when not needed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import REPO


def _run(code: str) -> str:
    prelude = f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_datasets_transforms_and_utils_import_and_work():
    out = _run(
        """
        import torch
        from vae._torchvision import import_torchvision
        tv = import_torchvision()
        from torchvision import datasets, utils
        from torchvision.transforms import v2
        grid = utils.make_grid(torch.rand(4, 1, 28, 28), nrow=2, padding=2)
        x = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])(torch.zeros(1, 28, 28, dtype=torch.uint8))
        print(tuple(grid.shape), float(x.max()), hasattr(datasets, "MNIST"), import_torchvision() is tv)
        """
    )
    assert out.split() == ["(3,", "62,", "62)", "0.0", "True", "True"]


def test_does_nothing_when_the_plain_import_succeeds(tmp_path):
    # A torchvision whose plain import works (here a stand-in package): the shim must not define any schema.
    fake = tmp_path / "torchvision"
    fake.mkdir()
    (fake / "__init__.py").write_text("__version__ = 'stand-in'\n")
    code = f"""
        import sys; sys.path.insert(0, {str(tmp_path)!r})
        import torch
        import vae._torchvision as shim
        tv = shim.import_torchvision()
        try:
            torch.ops.torchvision.nms
            defined = True
        except (AttributeError, RuntimeError):
            defined = False
        print(tv.__version__, shim.shim_applied, defined, len(shim._library_handles))
        """
    out = _run(code)
    assert out.split() == ["stand-in", "False", "False", "0"]
