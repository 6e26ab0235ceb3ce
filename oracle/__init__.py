"""MemJit's utility and proofs library: scoring economics, evaluation sets, Groth16.

A pure library: no chain or network I/O, and it never imports ``protocol``.
"""

from oracle.economics import (
    MIN_POPULATION_FLOOR,
    SECONDS_PER_DAY,
    is_outlier,
    reward,
    usefulness_after,
)

__all__ = [
    "MIN_POPULATION_FLOOR",
    "SECONDS_PER_DAY",
    "is_outlier",
    "reward",
    "usefulness_after",
]
