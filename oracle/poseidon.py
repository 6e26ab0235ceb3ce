"""Poseidon over BN254's scalar field, as circomlib's ``Poseidon(n)`` and circomlibjs's
``poseidon`` compute it.

The hash of ``n`` inputs (1 ≤ n ≤ 16) runs the Poseidon permutation of width ``t = n + 1`` on
the state ``[0, *inputs]`` and returns the first element. The permutation is the original
(non-"optimized") form of the paper (eprint 2019/458): x⁵ S-box, 8 full rounds split 4 + 4
around the partial rounds, and each round is *add constants → S-box(es) → MDS mix*. Partial
rounds per width are circomlib's: ``[56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60,
64, 68]`` for ``t = 2..17``.

The parameters are generated here, not pasted: this is the procedure of the reference script
``generate_parameters_grain.sage`` (hadeshash repository, which circomlib's constants came from,
invoked as ``sage generate_parameters_grain.sage 1 0 254 t 8 R_P 0x3064…0001``):

* an 80-bit Grain LFSR seeded with field type 1 (2 bits), S-box 0 (4 bits), field size 254
  (12 bits), ``t`` (12 bits), ``R_F`` (10 bits), ``R_P`` (10 bits) and 30 ones; 160 clocks are
  discarded; the feedback is ``s62 ⊕ s51 ⊕ s38 ⊕ s23 ⊕ s13 ⊕ s0``;
* self-shrinking output: bits are taken in pairs, the second is kept when the first is 1;
* round constants are 254-bit big-endian draws, a draw ≥ R is rejected and drawn again;
* the MDS matrix is the Cauchy matrix ``1 / (xᵢ + yⱼ)`` from ``2t`` further draws, reduced
  modulo R (``x`` then ``y``), drawn again if they collide or some ``xᵢ + yⱼ`` is 0.

The script also re-draws the MDS matrix when it fails the paper's subspace-trail checks
(its Algorithms 1-3). Those checks are not implemented here: for every width ``t = 2..17`` the
first draw is the matrix circomlib uses (``tests/test_poseidon.py`` compares all constants
and matrices with circomlibjs 0.1.7's), so that draw passed them. For any other width the
first draw could be one the script rejects, so :func:`poseidon_params` refuses widths outside
2..17.

Generation is lazy and cached per width; the in-circuit form is :func:`poseidon_gadget`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from oracle.errors import MalformedInput
from oracle.field import R, batch_inverse
from oracle.r1cs import Builder, Signal, Terms

__all__ = [
    "FULL_ROUNDS",
    "MAX_INPUTS",
    "PARTIAL_ROUNDS",
    "PoseidonParams",
    "poseidon",
    "poseidon_gadget",
    "poseidon_params",
    "poseidon_permutation",
]

#: Full rounds for every width (half before, half after the partial rounds).
FULL_ROUNDS = 8

#: Partial rounds for ``t = 2..17`` (index ``t - 2``), as circomlib fixes them.
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)

#: Inputs of the widest hash (``t = 17``).
MAX_INPUTS = len(PARTIAL_ROUNDS)

#: Bits per field element drawn from the LFSR (``ceil(log2 R)``).
_FIELD_BITS = R.bit_length()


@dataclass(frozen=True)
class PoseidonParams:
    """The constants of the width-``t`` permutation.

    ``round_constants`` is flat and round-major: round ``r`` adds
    ``round_constants[r * t : (r + 1) * t]``. ``mds[i][j]`` is the weight of state element
    ``j`` in the new element ``i``.
    """

    t: int
    full_rounds: int
    partial_rounds: int
    round_constants: tuple[int, ...]
    mds: tuple[tuple[int, ...], ...]

    @property
    def rounds(self) -> int:
        return self.full_rounds + self.partial_rounds

    def is_full_round(self, round_index: int) -> bool:
        half = self.full_rounds // 2
        return round_index < half or round_index >= half + self.partial_rounds


# -- parameter generation -------------------------------------------------------------------


def _shrink_table() -> tuple[tuple[int, int], ...]:
    """For each byte of raw LFSR output (earliest bit least significant): the self-shrinking
    output of its four pairs, earliest bit most significant, and how many bits that is."""
    table = []
    for byte in range(256):
        out = count = 0
        for pair in range(4):
            if byte >> (2 * pair) & 1:
                out = out << 1 | byte >> (2 * pair + 1) & 1
                count += 1
        table.append((out, count))
    return tuple(table)


_SHRINK = _shrink_table()


class _Grain:
    """The self-shrinking Grain LFSR of the reference script.

    ``_state`` holds the last 80 bits, the oldest (``s0``) least significant. The nearest tap
    is 18 bits behind the newest bit, so 18 clocks are computed at once from one state.
    """

    _WIDTH = 80
    _STEP = 18
    _STEP_MASK = (1 << _STEP) - 1

    def __init__(self, t: int, full_rounds: int, partial_rounds: int) -> None:
        seed = (
            f"{1:02b}{0:04b}{_FIELD_BITS:012b}{t:012b}{full_rounds:010b}{partial_rounds:010b}"
            + "1" * 30
        )
        # seed[0] is s0, the oldest bit.
        self._state = int(seed[::-1], 2)
        for _ in range(160 // self._STEP):
            self._clock()
        for _ in range(160 % self._STEP):
            self._clock_one()
        self._out = 0  # shrunk bits not yet used, earliest most significant
        self._out_count = 0

    def _clock(self) -> int:
        """Clocks 18 times; returns the 18 new bits, earliest least significant."""
        s = self._state
        new = (s ^ s >> 13 ^ s >> 23 ^ s >> 38 ^ s >> 51 ^ s >> 62) & self._STEP_MASK
        self._state = s >> self._STEP | new << (self._WIDTH - self._STEP)
        return new

    def _clock_one(self) -> None:
        s = self._state
        new = (s ^ s >> 13 ^ s >> 23 ^ s >> 38 ^ s >> 51 ^ s >> 62) & 1
        self._state = s >> 1 | new << (self._WIDTH - 1)

    def _refill(self) -> None:
        # 72 raw bits: four 18-clock steps, nine whole bytes, so pairs never straddle a refill.
        raw = 0
        for step in range(4):
            raw |= self._clock() << (self._STEP * step)
        out, count = self._out, self._out_count
        for _ in range(9):
            bits, n = _SHRINK[raw & 0xFF]
            out = out << n | bits
            count += n
            raw >>= 8
        self._out, self._out_count = out, count

    def bits(self, count: int) -> int:
        """The next ``count`` output bits as a big-endian integer."""
        while self._out_count < count:
            self._refill()
        self._out_count -= count
        value = self._out >> self._out_count
        self._out &= (1 << self._out_count) - 1
        return value

    def field_element(self) -> int:
        """A uniform element of F_R by rejection sampling (round constants)."""
        while True:
            value = self.bits(_FIELD_BITS)
            if value < R:
                return value


def _cauchy_mds(grain: _Grain, t: int) -> tuple[tuple[int, ...], ...]:
    while True:
        draws = [grain.bits(_FIELD_BITS) % R for _ in range(2 * t)]
        if len(set(draws)) != len(draws):
            continue
        xs, ys = draws[:t], draws[t:]
        sums = [(x + y) % R for x in xs for y in ys]
        if 0 in sums:
            continue
        inverses = batch_inverse(sums)
        return tuple(tuple(inverses[i * t : (i + 1) * t]) for i in range(t))


@cache
def poseidon_params(t: int) -> PoseidonParams:
    """The constants of the width-``t`` permutation (``2 ≤ t ≤ 17``), generated on first use."""
    if not 2 <= t <= MAX_INPUTS + 1:
        raise MalformedInput(
            f"Poseidon width t must be 2..{MAX_INPUTS + 1} (1..{MAX_INPUTS} inputs), got {t}"
        )
    partial_rounds = PARTIAL_ROUNDS[t - 2]
    grain = _Grain(t, FULL_ROUNDS, partial_rounds)
    constants = tuple(grain.field_element() for _ in range((FULL_ROUNDS + partial_rounds) * t))
    return PoseidonParams(
        t=t,
        full_rounds=FULL_ROUNDS,
        partial_rounds=partial_rounds,
        round_constants=constants,
        mds=_cauchy_mds(grain, t),
    )


# -- the hash -------------------------------------------------------------------------------


def _check_arity(count: int) -> None:
    if not 1 <= count <= MAX_INPUTS:
        raise MalformedInput(f"Poseidon takes 1..{MAX_INPUTS} inputs, got {count}")


def poseidon_permutation(state: Sequence[int]) -> list[int]:
    """The width-``len(state)`` permutation of field elements (``0 ≤ x < R``)."""
    _check_arity(len(state) - 1)
    for index, value in enumerate(state):
        if not isinstance(value, int) or not 0 <= value < R:
            raise MalformedInput(
                f"Poseidon state element {index} is not in the field [0, R): {value!r}"
            )
    params = poseidon_params(len(state))
    t, constants, mds = params.t, params.round_constants, params.mds
    words = list(state)
    for round_index in range(params.rounds):
        words = [
            w + c
            for w, c in zip(words, constants[round_index * t : (round_index + 1) * t], strict=True)
        ]
        if params.is_full_round(round_index):
            words = [pow(w, 5, R) for w in words]
        else:
            words[0] = pow(words[0], 5, R)
        words = [sum(m * w for m, w in zip(row, words, strict=True)) % R for row in mds]
    return words


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib's ``Poseidon(len(inputs))`` of 1..16 field elements (``0 ≤ x < R``)."""
    _check_arity(len(inputs))
    for index, value in enumerate(inputs):
        if not isinstance(value, int) or not 0 <= value < R:
            raise MalformedInput(f"Poseidon input {index} is not in the field [0, R): {value!r}")
    return poseidon_permutation([0, *inputs])[0]


# -- the circuit ----------------------------------------------------------------------------


def _weighted_sum(weights: Sequence[int], signals: Sequence[Signal]) -> Signal:
    """``Σ weightⱼ · signalⱼ`` in one pass (free; :func:`oracle.r1cs.linear_sum` copies its
    running total on every term, which the wide MDS mix would feel)."""
    terms: Terms = {}
    value: int | None = 0
    for weight, signal in zip(weights, signals, strict=True):
        for wire, coeff in signal.terms.items():
            terms[wire] = terms.get(wire, 0) + weight * coeff
        if value is not None:
            value = None if signal.value is None else value + weight * signal.value
    reduced = {wire: coeff % R for wire, coeff in terms.items() if coeff % R}
    return Signal(reduced, None if value is None else value % R)


def _pow5(builder: Builder, x: Signal, label: str) -> Signal:
    x2 = builder.mul(x, x, f"{label}.x2")
    x4 = builder.mul(x2, x2, f"{label}.x4")
    return builder.mul(x4, x, f"{label}.x5")


def poseidon_gadget(
    builder: Builder, inputs: Sequence[Signal], *, label: str = "poseidon"
) -> Signal:
    """:func:`poseidon` of ``inputs`` as constraints: ``3 · (8t + R_P)`` of them, three per
    S-box; constants and the MDS mix are free. The result is a linear combination (no wire of
    its own) and carries the hash as its value when ``builder`` computes a witness."""
    _check_arity(len(inputs))
    params = poseidon_params(len(inputs) + 1)
    t, constants, mds = params.t, params.round_constants, params.mds
    words = [Signal.constant(0), *inputs]
    for round_index in range(params.rounds):
        words = [w + constants[round_index * t + i] for i, w in enumerate(words)]
        where = f"{label}.r{round_index}"
        if params.is_full_round(round_index):
            words = [_pow5(builder, w, f"{where}.s{i}") for i, w in enumerate(words)]
        else:
            words[0] = _pow5(builder, words[0], f"{where}.s0")
        words = [_weighted_sum(row, words) for row in mds]
    return words[0]
