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


#: The output byte of a worker that gave no answer (failed, or a score slot left empty).
#: Evaluation sets never use it as an answer, so it matches nothing.
NO_ANSWER = 0xFF


def score(hits: int, canaries: int) -> int:
    """``round(100 × hits / canaries)`` with halves rounded up, in integers:
    ``(200·hits + canaries) // (2·canaries)``. This is what the circuit proves."""
    if canaries <= 0 or not 0 <= hits <= canaries:
        raise ValueError(f"need 0 <= hits <= canaries, got {hits} of {canaries}")
    return (200 * hits + canaries) // (2 * canaries)


def canary_outputs(output: bytes | None, canaries: int) -> bytes:
    """A worker's answers to the canaries as the circuit takes them: its output when it has
    exactly one byte per canary, otherwise (a failure, a wrong length) 'no answer' for all."""
    if output is None or len(output) != canaries:
        return bytes([NO_ANSWER]) * canaries
    return output
