"""Child processes MemJit starts (anvil, a js-ipfs node, solc-js) and where their tools live."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def search_folders(start: Path | None = None) -> list[Path]:
    """Where to look for the source checkout (its node_modules and tools/): ``start`` and its
    parents, then the folders above this package."""
    here = Path(__file__).resolve().parent
    started = [] if start is None else [start, *start.parents]
    return [*started, here, *here.parents]


def terminate(process: subprocess.Popen[Any], timeout_s: float = 10.0) -> None:
    """Stop ``process``: SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
