"""Scoring worker outputs against answers (pure functions)."""

from __future__ import annotations


def matches(outputs: bytes, answers: bytes) -> int:
    """How many one-byte answers a worker got right. An output of the wrong length (a worker
    that drops or adds items) scores no match at all: positions would be meaningless."""
    if len(outputs) != len(answers):
        return 0
    return sum(1 for out, want in zip(outputs, answers, strict=True) if out == want)


def accuracy(outputs: bytes, answers: bytes) -> float:
    """Fraction of answers matched (0.0 for an empty set)."""
    return matches(outputs, answers) / len(answers) if answers else 0.0
