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


def _non_negative(text: str, complaint: str) -> Decimal:
    """``text`` as a finite, non-negative Decimal; ValueError(complaint) otherwise."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(complaint) from exc
    if not value.is_finite() or value < 0:
        raise ValueError(complaint)
    return value


def parse_swt(text: str) -> int:
    """``"150"`` or ``"0.5"`` SWT → wei; raises ValueError for anything else."""
    value = _non_negative(text, f"not an SWT amount: {text!r}")
    wei = value * WEI_PER_SWT
    if wei != wei.to_integral_value():
        raise ValueError(f"SWT has 18 decimals at most: {text!r}")
    return int(wei)


_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_size(text: str | int) -> int:
    """``"1GB"``, ``"64MiB"``, ``"512kb"`` or ``4096`` → bytes; ValueError for anything else."""
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"not a size: {text}")
        return text
    cleaned = text.strip().lower().replace(" ", "").replace("_", "")
    number = cleaned.rstrip("kmgib")
    unit = cleaned[len(number) :]
    complaint = f"not a size: {text!r} (try 64MiB or 1GB)"
    if unit not in _SIZE_UNITS:
        raise ValueError(complaint)
    return int(_non_negative(number, complaint) * _SIZE_UNITS[unit])


def format_size(size_bytes: int) -> str:
    """``1.5 MiB``: binary units, one decimal."""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    value = size_bytes / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
