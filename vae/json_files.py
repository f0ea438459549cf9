"""Reading a JSON file that this project wrote, whatever it holds by now: the parsed value, or the caller's own
error naming the file and what is wrong with it. Never another exception.

A file on disk can be truncated, hand-edited, nested 100,000 deep (``json.loads`` raises RecursionError), hold a
number of 5,000 digits (ValueError), be gigabytes long or not be text at all. Each reader of a run's status, the
runs lock, a checkpoint's config.json or a prepared set's dataset.json goes through here once, then checks the
shape of the value field by field. The reasons never repeat the file's content, which may be anything.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 64 * 2**20


def parse_json_bytes(data: bytes, where: str | Path, error: type[Exception]) -> Any:
    """``data`` parsed as JSON (UTF-8, -16 or -32, as json.loads detects), or ``error("<where>: <reason>")``."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as problem:
        reason = f"not valid JSON (line {problem.lineno}, column {problem.colno}: {problem.msg})"
    except UnicodeDecodeError:
        reason = "not valid JSON (not UTF-8 text)"
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        reason = "not valid JSON (a number with too many digits)"
    except RecursionError:
        reason = "not valid JSON (nested too deeply)"
    except MemoryError:
        reason = "too large to read"
    raise error(f"{where}: {reason}") from None


def read_json_file(path: str | Path, error: type[Exception], max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The JSON value in ``path``, or ``error`` naming the file (unreadable, over ``max_bytes``, not JSON).

    FileNotFoundError passes through untouched: what a missing file means is the caller's to say."""
    path = Path(path)
    try:
        # O_NONBLOCK: a FIFO planted under the name must not hang the reader; only regular files are read.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise error(f"{path}: not a regular file")
            data = file.read(max_bytes + 1)
    except FileNotFoundError:
        raise
    except OSError as problem:
        raise error(f"{path}: cannot be read ({problem.strerror or type(problem).__name__})") from None
    if len(data) > max_bytes:
        raise error(f"{path}: larger than {max_bytes:,} bytes, more than this file ever holds")
    return parse_json_bytes(data, path, error)
