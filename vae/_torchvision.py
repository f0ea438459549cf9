"""Import torchvision's pure-Python parts on a CPU-only torch.

PyPI's Linux torchvision wheel is a CUDA build. Beside the CPU torch wheel its compiled extension does not
load, and ``import torchvision`` then dies registering fake kernels for ``torchvision::nms`` and
``torchvision::qnms`` because those operator schemas were never defined. The parts this project uses
(``datasets``, ``transforms.v2``, ``utils``) never call the compiled ops, so defining the two schemas first
is enough for the import to succeed. The shim is applied only when the plain import fails; nothing here
makes ``torchvision.ops`` or ``torchvision.io`` usable, and the project never calls them.
"""

from __future__ import annotations

import sys
from types import ModuleType

# Schemas as torchvision's own C++ registers them (torchvision/csrc/ops/nms.cpp and quantized/qnms).
_MISSING_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}
_library_handles: list = []  # keeps the torch.library.Library objects (and their definitions) alive
shim_applied = False


def _forget_partial_import() -> None:
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def _define_missing_schemas() -> None:
    import torch

    library = torch.library.Library("torchvision", "FRAGMENT")  # schemas only, no kernels
    for schema in _MISSING_SCHEMAS.values():
        try:
            library.define(schema)
        except RuntimeError as error:  # defined already (e.g. by a second shim in the same process)
            if "already" not in str(error).lower() and "multiple times" not in str(error).lower():
                raise
    _library_handles.append(library)


def import_torchvision() -> ModuleType:
    """Return the ``torchvision`` module, applying the schema shim only if the plain import fails."""
    global shim_applied
    try:
        import torchvision
    except RuntimeError as error:
        if "torchvision::nms" not in str(error) and "torchvision::qnms" not in str(error):
            raise
        _forget_partial_import()
        _define_missing_schemas()
        import torchvision

        shim_applied = True
    return torchvision
