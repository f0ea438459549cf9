"""The Python-browser contracts (explorer/*/contract.py): the committed contract.d.ts files are what the contracts
say now, every component's data as its real builder makes it from the shipped models matches its declaration, the
JS type-checks against them (tsc), and a field renamed on one side only fails the check, naming the field."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.shared.browser import check as contract_check
from explorer.shared.browser import contracts, packing, weights
from explorer.shared.browser.check import ContractError, check
from explorer.shared.browser.contract import ModelEntry, PackedFloat32

REPO = Path(__file__).resolve().parent.parent
TSC = REPO / "node_modules" / "typescript" / "bin" / "tsc"
KINDS = ("ae", "vae")
LABELS = {"ae": "Autoencoder", "vae": "VAE"}
COLORS = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]
POINTS = 500
needs_tsc = pytest.mark.skipif(not TSC.is_file(), reason="node_modules is missing: scripts/test.sh runs npm ci")


# --------------------------------------------------------------------------------------------------------
# (a) the declarations are current


def test_every_committed_declaration_is_what_its_contract_says_now() -> None:
    for path, text in contracts.generated().items():
        assert path.is_file(), f"{path} is missing: run python -m explorer.shared.browser.contracts --write"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run ... contracts --write"


def test_the_declarations_spell_the_contracts_types_in_typescript() -> None:
    from explorer.latent_map import contract

    text = contracts.declarations(contract)
    assert "import type { Digits, Kind" not in text  # a Literal alias is spelled out, not imported
    assert "  points: PackedFloat16;" in text and "  prior: [number, number] | null;" in text
    assert '  pads: Partial<Record<"ae" | "vae", PadScatter>>;' in text
    assert '  mode: "digits" | "dots";' in text and "  path: [number, number][] | null;" in text
    assert "  /** each point's test-set index */\n  indices: PackedInt32;" in text
    assert 'from "../shared/browser/contract";' in text


# --------------------------------------------------------------------------------------------------------
# (b) the real builders' payloads match their contracts


@pytest.fixture(scope="module")
def shipped() -> dict:
    import vae
    from vae.data import load_mnist

    folders = {kind: REPO / "checkpoints" / f"{kind}-z2" for kind in KINDS}
    if not all((folder / "model.safetensors").is_file() for folder in folders.values()):
        pytest.skip("the shipped z=2 checkpoints are missing")
    images, labels = load_mnist("test")
    images, labels = images[:POINTS].reshape(-1, 1, 28, 28), labels[:POINTS].numpy()
    models, entries, codes = {}, {}, {}
    for kind, folder in folders.items():
        models[kind] = vae.load(folder).eval()
        exported = weights.export(models[kind])
        entries[kind] = {"hash": exported.hash, "url": exported.url, "spec": exported.spec}
        with torch.inference_mode():
            codes[kind] = models[kind].embed(images).numpy()
    return {"folders": folders, "models": models, "entries": entries, "codes": codes, "images": images.numpy(),
            "labels": labels}  # fmt: skip


def _pads(shipped: dict) -> dict:
    from explorer.latent_map import latent_pad

    planes = {kind: latent_pad.pad_plane(shipped["codes"][kind], kind) for kind in KINDS}
    return {kind: latent_pad.scatter_payload(planes[kind], shipped["codes"][kind], shipped["labels"]) for kind in KINDS}


def test_the_sliders_data_matches_its_contract(shipped) -> None:
    from explorer.shared.latent_space import TRAVERSAL_STEPS, slider_specs
    from explorer.sliders.component import sliders_data, start_entries
    from explorer.sliders.contract import SlidersData

    specs = slider_specs("vae", 2, {"kl_per_dim": [2.5, 0.001]})
    image = shipped["images"][0, 0]
    starts = start_entries(shipped["models"]["vae"], specs, [(image, "test image #0")])
    data = sliders_data(shipped["entries"]["vae"], specs, np.zeros(2), 3, image, starts)
    check(data, SlidersData)
    assert data["strip_steps"] == TRAVERSAL_STEPS and len(data["starts"]) == 1
    assert np.array_equal(packing.unpack(data["preview"], "u1").reshape(28, 28), np.round(255 * image))


def test_the_draw_data_carries_vae_images_preparation(shipped) -> None:
    from explorer.draw.component import draw_data
    from explorer.draw.contract import DrawData
    from vae import images

    data = draw_data(shipped["entries"], LABELS)
    check(data, DrawData)
    preparation = data["canvas"]["preparation"]
    assert preparation["ink_threshold"] == images.INK_THRESHOLD and preparation["box_size"] == images.BOX_SIZE


def test_the_pad_data_matches_its_contract(shipped) -> None:
    from explorer.latent_map.contract import PadData
    from explorer.latent_map.latent_pad import PRIOR_SIGMAS
    from explorer.latent_map.pad import pad_data

    pads = _pads(shipped)
    check(pad_data(shipped["entries"], LABELS, pads, COLORS), PadData)
    data = pad_data(shipped["entries"], LABELS, pads, COLORS, ["cat", "dog"], (0.25, -0.5))
    check(data, PadData)
    assert data["pinned"] == {"u": 0.25, "v": -0.5} and data["sigmas"] == list(PRIOR_SIGMAS)


def test_the_map_data_matches_its_contract(shipped) -> None:
    from explorer.latent_map import map_chart, sprites
    from explorer.latent_map.contract import MapData

    codes, labels = shipped["codes"]["vae"], shipped["labels"]
    plain = map_chart.payload(codes, labels, np.arange(POINTS), title="VAE", axis_titles=("z0", "z1"),
                              prior_origin=(0.0, 0.0), colors=COLORS)  # fmt: skip
    check(plain, MapData)
    atlas = sprites.inline_entry(shipped["images"][:20, 0])
    path = np.linspace([-1.0, -1.0], [1.0, 2.0], 7)
    digits = map_chart.payload(codes[:20], labels[:20], np.arange(20), title="AE", axis_titles=("PC 1", "PC 2"),
                               prior_origin=None, colors=COLORS, picked=3, path=path, names=[str(d) for d in range(10)],
                               sprites=atlas, pickable=False)  # fmt: skip
    check(digits, MapData)


def test_the_timeline_data_matches_its_contract(shipped, tmp_path) -> None:
    from explorer.latent_map import timeline_chart
    from explorer.latent_map.contract import TimelineData, TimelineSource
    from vae.timeline import read_timeline

    timelines = {kind: read_timeline(folder) for kind, folder in shipped["folders"].items()}
    data = timeline_chart.payload(timelines, LABELS, COLORS, testid="timeline")
    check(data, TimelineData)
    check(timeline_chart.write_payload(data, tmp_path), TimelineSource)


def test_the_inside_data_matches_its_contract(shipped) -> None:
    from explorer.inside import data as inside
    from explorer.inside.contract import InsideData

    pads = _pads(shipped)
    image = shipped["images"][0, 0]
    check(inside.component_data(shipped["entries"], pads, [1, 0], image, "test image #0", "image", COLORS), InsideData)
    check(inside.component_data({"vae": shipped["entries"]["vae"]}, pads, [0, 1], None, "", "draw"), InsideData)


def test_the_live_chart_data_matches_its_contract(shipped) -> None:
    from explorer.charts import chart_data, plots
    from explorer.charts.contract import LiveChartData
    from explorer.charts.live_chart import chart_data as live_chart_data
    from vae.checkpoint import read_checkpoint

    history = read_checkpoint(shipped["folders"]["vae"]).history
    figure = plots.figure(chart_data.training_curves(history, testid="curves"))
    data = live_chart_data(figure, "app/static/plotly.js")
    check(data, LiveChartData)
    assert data["testid"] == "curves"


# --------------------------------------------------------------------------------------------------------
# the checker itself


def test_the_checker_names_a_renamed_missing_or_extra_key(shipped) -> None:
    entry = shipped["entries"]["vae"]
    renamed = {"hash": entry["hash"], "address": entry["url"], "spec": entry["spec"]}
    with pytest.raises(ContractError, match=r"data \(ModelEntry\) lacks \['url'\] .* \['address'\]"):
        check(renamed, ModelEntry)
    layer = dict(entry["spec"]["decoder"][0], kernel=3)  # a linear layer with a convolution's field
    spec = {**entry["spec"], "decoder": [layer]}
    with pytest.raises(ContractError, match=r"data\.spec\.decoder\[0\]"):
        check({**entry, "spec": spec}, ModelEntry)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "not int"),  # JSON would say true, not 1
        (np.int64(3), "not int"),  # JSON cannot carry it
        (float("nan"), "not float"),
        ("abc=", "not a PackedFloat32"),
        (packing.pack(np.zeros(3), "<f2"), "not a whole number of <f4"),  # 6 bytes: float16s, not float32s
    ],
)
def test_the_checker_refuses_what_json_or_the_page_cannot_read(value, problem) -> None:
    contract = PackedFloat32 if isinstance(value, str) else (float if isinstance(value, float) else int)
    with pytest.raises(ContractError, match=problem):
        check(value, contract)


def test_packing_round_trips_each_dtype() -> None:
    for dtype in ("<f4", "<f2", "<i4", "u1"):
        assert np.array_equal(packing.unpack(packing.pack([0, 2, 200, 3], dtype), dtype), [0, 2, 200, 3])
    halves = packing.unpack(packing.pack(np.array([-1.5, 65504.0, 3.25], dtype=np.float32), "<f2"), "<f2")
    assert halves.tolist() == [-1.5, 65504.0, 3.25] and packing.pack([1.0], "<f2") == "ADw="  # 0x3c00, little-endian
    with pytest.raises(ValueError, match="unpacks"):
        packing.pack([1.0], "<f8")
    assert contract_check.PACKED[PackedFloat32] == "<f4"


# --------------------------------------------------------------------------------------------------------
# (c) and (d): tsc on the JS, and a field renamed on one side only


def _tsc(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", str(TSC), "-p", str(root / "tsconfig.json"), "--pretty", "false"],
        capture_output=True, text=True, timeout=300, cwd=root,
    )  # fmt: skip


def _copy(tmp_path: Path) -> Path:
    """The JS, the declarations and the tsconfig in a temp tree (Python files, CSS and HTML left out)."""
    root = tmp_path / "tree"
    root.mkdir()
    shutil.copy(REPO / "tsconfig.json", root / "tsconfig.json")
    for path in (REPO / "explorer").rglob("*"):
        if path.suffix in (".js", ".ts") and path.is_file():
            target = root / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return root


@needs_tsc
def test_the_browser_code_type_checks_against_the_contracts() -> None:
    result = _tsc(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_tsc
def test_a_field_renamed_in_a_python_contract_only_fails_tsc_naming_it(tmp_path, monkeypatch) -> None:
    root = _copy(tmp_path)
    source = (REPO / "explorer" / "sliders" / "contract.py").read_text()
    assert "    revision: int\n" in source
    renamed = tmp_path / "renamed_contract.py"
    renamed.write_text(source.replace("    revision: int\n", "    generation: int\n"))
    spec = importlib.util.spec_from_file_location("renamed_contract", renamed)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "renamed_contract", module)  # where typing looks its annotations up
    spec.loader.exec_module(module)
    target = root / "explorer" / "sliders" / "contract.d.ts"
    target.write_text(contracts.declarations(module, REPO / "explorer" / "sliders" / "contract.d.ts"))
    result = _tsc(root)
    assert result.returncode != 0
    assert "Property 'revision' does not exist on type 'SlidersData'" in result.stdout, result.stdout


@needs_tsc
def test_a_field_renamed_in_the_js_only_fails_tsc_naming_it(tmp_path) -> None:
    root = _copy(tmp_path)
    module = root / "explorer" / "latent_map" / "pad.js"
    text = module.read_text()
    assert text.count("half_width") >= 2
    module.write_text(text.replace("half_width", "halfWidth"))
    result = _tsc(root)
    assert result.returncode != 0
    assert "Property 'halfWidth' does not exist on type" in result.stdout, result.stdout


# --------------------------------------------------------------------------------------------------------
# the libraries: what each module uses is in front of it, in an order that works, and eslint knows them


def _namespaces() -> dict[str, str]:
    """Each library script (a file LIBRARIES puts in front of a module) and the one global it defines."""
    from explorer.shared.browser.components import LIBRARIES, web_path

    found = {}
    for name in sorted({lib for libs in LIBRARIES.values() for lib in libs}):
        text = web_path(name).read_text()
        (defined,) = re.findall(r"^(?:const|class) (\w+)\b", text, flags=re.MULTILINE)[:1]
        assert f"(globalThis).{defined} = {defined};" in text, name
        found[name] = defined
    return found


def _code(text: str) -> str:
    """JavaScript without its comments (they name other files' namespaces freely)."""
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL))


def test_each_module_has_the_libraries_it_uses_in_front_in_a_working_order() -> None:
    from explorer.shared.browser.components import LIBRARIES, web_path

    namespaces = _namespaces()
    for module, libraries in LIBRARIES.items():
        for at, name in enumerate([*libraries, module]):
            text = _code(web_path(name).read_text())
            used = {ns for lib, ns in namespaces.items() if lib != name and re.search(rf"\b{ns}\b", text)}
            before = {namespaces[lib] for lib in libraries[:at]}
            assert used <= before, f"{module}: {name} uses {sorted(used - before)}, not in front of it"


def test_eslint_knows_every_library_and_its_namespace() -> None:
    from explorer.shared.browser.components import web_path

    config = (REPO / "eslint.config.mjs").read_text()
    for name, namespace in _namespaces().items():
        assert f'"{web_path(name).relative_to(REPO).as_posix()}": "{namespace}",' in config, name
