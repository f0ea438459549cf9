"""Write a benchmark's section into BENCHMARKS.md between its own markers, leaving the rest alone."""

from __future__ import annotations

import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"


def command_line() -> str:
    """The command that produced the numbers, as a reader would type it (the script relative to the repository)."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
    return "python " + " ".join([shown.as_posix(), *sys.argv[1:]])


def write_section(name: str, body: str, path: Path = BENCHMARKS) -> None:
    """Replace the text between <!-- name:begin --> and <!-- name:end --> (appended if absent)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    header = (
        "# Benchmarks\n\nEvery number below comes from a run on a 2-core CPU machine; each section names its command.\n"
    )
    text = path.read_text() if path.exists() else header
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def publish(name: str, body: str, write: bool = True) -> None:
    """Print a benchmark's report and, when `write`, put it into BENCHMARKS.md as section `name`."""
    print(body)
    if write:
        write_section(name, body)
        print(f"\nwritten to BENCHMARKS.md (section {name})")


def cpu_line() -> str:
    """The CPU's model and its widest vector and matrix units, which decide how fast both sides run."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
    flags = set(next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), []))
    units = [name for name in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if name in flags]
    return f"{model or platform.processor() or 'unknown CPU'} ({', '.join(units) or 'no AVX2'})"
