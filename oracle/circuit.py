"""The scoring circuit: k workers × m canaries.

Public signals, in order (the UtilityOracle builds the same vector on-chain)::

    round_id, request_commitment, evaluation_commitment, outputs_commitment, duplicates,
    score[0..k-1]

Private: the canary answers and the salt, every worker's canary outputs.

It proves that

1. the answers and salt hash to ``evaluation_commitment`` (:mod:`oracle.commitments`);
2. the k workers' outputs hash to ``outputs_commitment``;
3. each ``score[i] = round(100 × matches_i / m)``, rounding halves up, where ``matches_i``
   counts the canaries worker i answered exactly;
4. bit i of ``duplicates`` is set exactly when worker i's canary outputs equal, byte for
   byte, those of a worker listed before it and miss at least one canary
   (:func:`duplicate_mask`): the same mistakes. The contract lists a round's workers in
   registration order, so the set bits mark copies of an earlier registrant, which earn
   nothing for the round. Two good models that both answer every canary right prove nothing
   about each other (independent classifiers at 96 % both get 16 varied digits right in
   about half the rounds), so a perfect score never makes a duplicate; a copy of a model
   that errs repeats its errors.

The round id and request commitment appear in no constraint: Groth16's public-input rows
(see :mod:`oracle.groth16`) bind them, so a proof for one round closes no other.

Answers and outputs are bytes. Each is allocated as 8 boolean wires, which both range-checks
it (so the packing into field elements is injective) and packs it for free. The byte 0xFF
(:data:`oracle.scoring.NO_ANSWER`) is reserved: no answer may be 0xFF, and a worker that
failed, or a score slot no worker fills, has all its outputs 0xFF, so it matches nothing.

A score is checked without division: ``r = 200·matches + m - 2m·score`` must satisfy
``0 ≤ r < 2m`` (bit decompositions), and ``score < 128`` so nothing wraps around the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oracle.commitments import (
    BYTES_PER_ELEMENT,
    chain_hash,
    evaluation_commitment,
    outputs_commitment,
)
from oracle.errors import MalformedInput
from oracle.field import R
from oracle.poseidon import poseidon_gadget
from oracle.r1cs import Builder, Signal, linear_sum
from oracle.scoring import NO_ANSWER, matches, score

#: Upper bounds that keep the circuit (and the setup) a sensible size.
MAX_WORKERS = 32
MAX_CANARIES = 256
#: Bits of a score: scores are 0..100.
SCORE_BITS = 7
#: Public signals before the scores: round id, three commitments, the duplicates mask.
SIGNALS_BEFORE_SCORES = 5


@dataclass(frozen=True)
class CircuitShape:
    """The circuit's size: score slots (``workers``, k) and canaries per round (m)."""

    workers: int = 5
    canaries: int = 16

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= MAX_WORKERS:
            raise MalformedInput(f"workers must be 1..{MAX_WORKERS}, got {self.workers}")
        if not 1 <= self.canaries <= MAX_CANARIES:
            raise MalformedInput(f"canaries must be 1..{MAX_CANARIES}, got {self.canaries}")

    @property
    def n_public(self) -> int:
        return SIGNALS_BEFORE_SCORES + self.workers

    @property
    def name(self) -> str:
        return f"k{self.workers}-m{self.canaries}"


@dataclass(frozen=True)
class ScoringInputs:
    """Everything the prover knows about one round: public ids and the private data."""

    round_id: int
    request_commitment: int
    answers: bytes
    salt: int
    #: One entry per worker of the round, in round order, each ``len(answers)`` bytes.
    outputs: tuple[bytes, ...]

    def check(self, shape: CircuitShape) -> None:
        """Raises :class:`MalformedInput` unless these inputs fit ``shape``."""
        for name in ("round_id", "request_commitment", "salt"):
            if not 0 <= getattr(self, name) < R:
                raise MalformedInput(f"{name} must be in the scalar field")
        if len(self.answers) != shape.canaries:
            raise MalformedInput(f"expected {shape.canaries} answers, got {len(self.answers)}")
        if NO_ANSWER in self.answers:
            raise MalformedInput(f"answer byte {NO_ANSWER:#x} is reserved for 'no answer'")
        if not 1 <= len(self.outputs) <= shape.workers:
            raise MalformedInput(
                f"expected 1..{shape.workers} workers' outputs, got {len(self.outputs)}"
            )
        for index, out in enumerate(self.outputs):
            if len(out) != shape.canaries:
                raise MalformedInput(
                    f"worker {index} has {len(out)} outputs, expected {shape.canaries}"
                )

    def padded_outputs(self, shape: CircuitShape) -> tuple[bytes, ...]:
        """The outputs with empty score slots filled with 'no answer'."""
        filler = bytes([NO_ANSWER]) * shape.canaries
        return self.outputs + (filler,) * (shape.workers - len(self.outputs))

    def public_signals(self, shape: CircuitShape) -> list[int]:
        """The statement these inputs prove (computed directly, without the circuit)."""
        self.check(shape)
        outputs = self.padded_outputs(shape)
        return [
            self.round_id,
            self.request_commitment,
            evaluation_commitment(self.answers, self.salt),
            outputs_commitment(outputs),
            duplicate_mask(outputs, self.answers),
            *(score(matches(out, self.answers), shape.canaries) for out in outputs),
        ]


def duplicate_mask(outputs: Sequence[bytes], answers: bytes) -> int:
    """Bit i set when ``outputs[i]`` equals an earlier entry and misses at least one of the
    ``answers`` (empty score slots included: they are all 'no answer', so a padding slot is a
    duplicate of any failed worker or of the slot before it, which the contract ignores)."""
    mask = 0
    for i, out in enumerate(outputs):
        if out in outputs[:i] and matches(out, answers) < len(answers):
            mask |= 1 << i
    return mask


def _byte_wires(
    builder: Builder, count: int, values: bytes | None, label: str
) -> list[list[Signal]]:
    return [
        builder.bool_bits(8, None if values is None else values[j], f"{label}[{j}]")
        for j in range(count)
    ]


def _packed(byte_bits: Sequence[list[Signal]]) -> list[Signal]:
    """The bytes' bits packed 31 bytes to an element, as :func:`commitments.pack_bytes`."""
    elements = []
    for start in range(0, len(byte_bits), BYTES_PER_ELEMENT):
        chunk = byte_bits[start : start + BYTES_PER_ELEMENT]
        bits = [bit for byte in chunk for bit in byte]
        elements.append(linear_sum(bits, [1 << i for i in range(len(bits))]))
    return elements


def _duplicate_flags(
    b: Builder, packed: Sequence[Sequence[Signal]], perfect: Sequence[Signal]
) -> Signal:
    """``Σ 2^i · dup_i`` where ``dup_i = (1 − Π_{j<i} (1 − equal(i, j))) · (1 − perfect_i)``:
    a worker's outputs equal another's when every packed element does (one element holds 31
    canaries, so for m ≤ 31 a pair costs one equality check)."""
    mask = Signal.constant(0)
    for i in range(1, len(packed)):
        distinct = Signal.constant(1)
        for j in range(i):
            same = Signal.constant(1)
            for e, (mine, theirs) in enumerate(zip(packed[i], packed[j], strict=True)):
                equal = b.is_equal(mine, theirs, f"same[{i}][{j}][{e}]")
                same = equal if e == 0 else b.mul(same, equal, f"same[{i}][{j}]")
            distinct = (1 - same) if j == 0 else b.mul(distinct, 1 - same, f"distinct[{i}]")
        duplicate = b.mul(1 - distinct, 1 - perfect[i], f"duplicate[{i}]")
        mask = mask + duplicate * (1 << i)
    return mask


def scoring_circuit(shape: CircuitShape, inputs: ScoringInputs | None = None) -> Builder:
    """The circuit for ``shape``; with ``inputs`` the builder also holds the witness.

    The constraints never depend on the inputs' values, so the system built without inputs
    (for the setup) is the one every proof is made against.
    """
    k, m = shape.workers, shape.canaries
    signals = inputs.public_signals(shape) if inputs else None
    b = Builder(witness=inputs is not None)

    def public(name: str, index: int) -> Signal:
        return b.public(name, None if signals is None else signals[index])

    public("round_id", 0)
    public("request_commitment", 1)
    eval_commitment = public("evaluation_commitment", 2)
    out_commitment = public("outputs_commitment", 3)
    duplicates = public("duplicates", 4)
    scores = [public(f"score[{i}]", SIGNALS_BEFORE_SCORES + i) for i in range(k)]

    def hash_fn(elements: Sequence[Signal]) -> Signal:
        return poseidon_gadget(b, elements)

    salt = b.private("salt", inputs.salt if inputs else None)
    answer_bits = _byte_wires(b, m, inputs.answers if inputs else None, "answer")
    b.assert_equal(
        chain_hash([salt, Signal.constant(m), *_packed(answer_bits)], hash_fn), eval_commitment
    )

    outputs = inputs.padded_outputs(shape) if inputs else [None] * k
    output_bits = [_byte_wires(b, m, outputs[i], f"output[{i}]") for i in range(k)]
    flat = [byte for worker in output_bits for byte in worker]
    b.assert_equal(
        chain_hash([Signal.constant(k), Signal.constant(m), *_packed(flat)], hash_fn),
        out_commitment,
    )
    byte_weights = [1 << i for i in range(8)]
    answers = [linear_sum(bits, byte_weights) for bits in answer_bits]
    remainder_bits = (2 * m - 1).bit_length()
    perfect: list[Signal] = []
    for i in range(k):
        hits = [
            b.is_equal(linear_sum(output_bits[i][j], byte_weights), answers[j], f"match[{i}][{j}]")
            for j in range(m)
        ]
        perfect.append(b.is_equal(linear_sum(hits), Signal.constant(m), f"perfect[{i}]"))
        remainder = linear_sum(hits) * 200 + m - scores[i] * (2 * m)
        b.bits(remainder, remainder_bits, f"remainder[{i}]")
        if (2 * m) & (2 * m - 1):  # 2m is not a power of two: also bound r from above
            b.bits(Signal.constant(2 * m - 1) - remainder, remainder_bits, f"slack[{i}]")
        b.bits(scores[i], SCORE_BITS, f"score_bits[{i}]")
    packed = [_packed(bits) for bits in output_bits]
    b.assert_equal(_duplicate_flags(b, packed, perfect), duplicates)
    return b
