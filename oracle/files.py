"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Keys, proofs, circuits and verifiers are public material.
PUBLIC_MODE = 0o644


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Writes ``data`` to ``path`` through a temporary file in the same folder (created if
    missing), then renames it into place; the file gets ``mode`` (private by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
