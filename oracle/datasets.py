"""Labelled evaluation sets shipped with the package (read-only package data, no I/O beyond
that).

``digits-8x8``: the 450 held-out items of scikit-learn's 8×8 digits that
``workers/digits/train.py`` kept out of training. The file holds 65 bytes per item: 64 pixel
values (0–16, row-major) then the label (0–9). Regenerate with that script.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

DIGITS_TASK = "digits-8x8"
DIGITS_PIXELS = 64


@dataclass(frozen=True)
class LabelledSet:
    """Items of one task and their answers: a worker maps ``batch()`` to ``labels``."""

    task: str
    item_size: int
    inputs: tuple[bytes, ...]
    labels: bytes

    def __len__(self) -> int:
        return len(self.inputs)

    def batch(self) -> bytes:
        """Every item, concatenated: one worker input."""
        return b"".join(self.inputs)


@cache
def load_digits_test() -> LabelledSet:
    """The ``digits-8x8`` held-out set (450 items), read once per process (it is immutable)."""
    blob = resources.files("oracle").joinpath("data/digits-8x8-test.bin").read_bytes()
    stride = DIGITS_PIXELS + 1
    if len(blob) % stride:
        raise ValueError(f"digits test set is {len(blob)} bytes, not a multiple of {stride}")
    items = [blob[i : i + stride] for i in range(0, len(blob), stride)]
    return LabelledSet(
        task=DIGITS_TASK,
        item_size=DIGITS_PIXELS,
        inputs=tuple(item[:DIGITS_PIXELS] for item in items),
        labels=bytes(item[DIGITS_PIXELS] for item in items),
    )
