"""Output helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from protocol.units import format_swt, parse_swt

console = Console()
err_console = Console(stderr=True)

swt = format_swt
__all__ = ["console", "err_console", "parse_swt", "print_json", "short", "swt"]


def short(data: bytes | str, keep: int = 6) -> str:
    """``0x1234…abcd`` for long hex values."""
    text = "0x" + data.hex() if isinstance(data, bytes) else data
    return text if len(text) <= 2 * keep + 3 else f"{text[: keep + 2]}…{text[-keep:]}"


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
