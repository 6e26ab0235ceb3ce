"""Formatting helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)

SWT_DECIMALS = 18


def swt(amount_wei: int) -> str:
    """An SWT amount for people: ``12.5 SWT``."""
    value = Decimal(amount_wei) / Decimal(10**SWT_DECIMALS)
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    return f"{text} SWT"


def parse_swt(text: str) -> int:
    """``"150"`` or ``"0.5"`` SWT → wei."""
    try:
        value = Decimal(text)
    except ArithmeticError as exc:
        raise ValueError(f"not an SWT amount: {text!r}") from exc
    if value < 0:
        raise ValueError(f"amount must be positive: {text!r}")
    return int(value * 10**SWT_DECIMALS)


def short(data: bytes | str, keep: int = 6) -> str:
    """``0x1234…abcd`` for long hex values."""
    text = "0x" + data.hex() if isinstance(data, bytes) else data
    return text if len(text) <= 2 * keep + 3 else f"{text[: keep + 2]}…{text[-keep:]}"


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
