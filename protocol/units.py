"""SWT amounts: wei (integers, 18 decimals) to and from human text."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

SWT_DECIMALS = 18
WEI_PER_SWT = 10**SWT_DECIMALS


def format_swt(amount_wei: int) -> str:
    """``12.5 SWT``: exact, no trailing zeros."""
    text = f"{Decimal(amount_wei) / Decimal(WEI_PER_SWT):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} SWT"


def parse_swt(text: str) -> int:
    """``"150"`` or ``"0.5"`` SWT → wei; raises ValueError for anything else."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not an SWT amount: {text!r}") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a positive SWT amount: {text!r}")
    wei = value * WEI_PER_SWT
    if wei != wei.to_integral_value():
        raise ValueError(f"SWT has 18 decimals at most: {text!r}")
    return int(wei)
