"""Writing result files without ever leaving half of one: each output is written under a hidden
temporary name beside its target (`partial`) and renamed over it only when it is complete.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def partial(path: Path) -> Path:
    """The temporary name an output is written under until it is complete."""
    return path.with_name(f".{path.name}.partial")


def write_json(path: Path, data: Any) -> None:
    """Write `data` as JSON to `path` all at once: under a temporary name, then renamed, so an
    earlier file is never replaced by half a new one. Raises OSError."""
    temporary = partial(path)
    try:
        with temporary.open("w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
