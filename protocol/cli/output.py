"""Output helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from protocol.errors import ConfigError
from protocol.units import parse_swt

console = Console()
err_console = Console(stderr=True)


def parse_amount(text: str) -> int:
    """An SWT amount given on the command line, in wei; a ConfigError names a bad one."""
    try:
        return parse_swt(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def short(data: bytes | str, keep: int = 6) -> str:
    """``0x1234…abcd`` for long hex values."""
    text = "0x" + data.hex() if isinstance(data, bytes) else data
    return text if len(text) <= 2 * keep + 3 else f"{text[: keep + 2]}…{text[-keep:]}"


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def short_cid(cid: str, keep: int = 8) -> str:
    """``bafkreid…vy2ea``: a CID's start and end, for narrow tables."""
    return cid if len(cid) <= 2 * keep + 1 else f"{cid[: keep + 4]}…{cid[-keep:]}"
