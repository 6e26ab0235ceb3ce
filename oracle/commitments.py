"""Poseidon commitments to byte strings: what the round's public signals bind.

Bytes are packed 31 to a field element (little-endian, so every chunk is below R), and the
elements are hashed with circomlib's Poseidon: all at once when they fit its 16 inputs,
otherwise chained, ``h = Poseidon(h, next 15)``. The first elements are lengths, so byte
strings that pack alike (``b"a"`` and ``b"a\\0"``) never commit alike:

* evaluation commitment = H(salt, m, answers packed)
* outputs commitment = H(k, m, the k workers' canary outputs, concatenated, packed)

The salt is a uniformly random field element: without it the answers (16 digits, ~2⁵³
possibilities) could be found by trying them all against the commitment on-chain. The
outputs need no salt: anyone can recompute them by re-running the workers on the canaries.

The same functions build the circuit's constraints (:mod:`oracle.circuit`): one definition,
two interpretations, so the Python value and the proved value cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from oracle.poseidon import poseidon

BYTES_PER_ELEMENT = 31
#: circomlib's Poseidon takes at most 16 inputs.
MAX_HASH_INPUTS = 16

T = TypeVar("T")


def pack_bytes(data: bytes) -> list[int]:
    """``data`` as field elements of 31 bytes each, little-endian (the last may be shorter)."""
    return [
        int.from_bytes(data[i : i + BYTES_PER_ELEMENT], "little")
        for i in range(0, len(data), BYTES_PER_ELEMENT)
    ]


def chain_hash(elements: Sequence[T], hash_fn: Callable[[Sequence[T]], T]) -> T:
    """Hashes any number (≥ 1) of elements with a ≤16-input hash: the first 16, then the
    running hash with up to 15 more at a time."""
    if not elements:
        raise ValueError("nothing to hash")
    head, rest = list(elements[:MAX_HASH_INPUTS]), list(elements[MAX_HASH_INPUTS:])
    digest = hash_fn(head)
    step = MAX_HASH_INPUTS - 1
    for start in range(0, len(rest), step):
        digest = hash_fn([digest, *rest[start : start + step]])
    return digest


def hash_elements(elements: Sequence[int]) -> int:
    return chain_hash(elements, poseidon)


def evaluation_commitment(answers: bytes, salt: int) -> int:
    """The commitment the oracle publishes before a round: binds the hidden answers."""
    return hash_elements([salt, len(answers), *pack_bytes(answers)])


def outputs_commitment(outputs: Sequence[bytes]) -> int:
    """Binds every worker's canary outputs (all of the same length), in round order."""
    if not outputs:
        raise ValueError("no outputs to commit")
    length = len(outputs[0])
    if any(len(o) != length for o in outputs):
        raise ValueError("every worker's outputs must have the same length")
    return hash_elements([len(outputs), length, *pack_bytes(b"".join(outputs))])
