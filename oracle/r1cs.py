"""A small rank-1 constraint system builder.

A circuit is written as Python that manipulates :class:`Signal` values: linear combinations
of wires, with the wire values alongside when a witness is being computed. Additions and
multiplications by constants are free (they only grow a linear combination); every
:meth:`Builder.mul` and every assertion adds one constraint ``A · B = C``.

Wire 0 is the constant 1; wires ``1..n_public`` are the public inputs, in declaration order
(the order of snarkjs's public signals); the private wires follow. This is the layout of
circom and snarkjs, so :mod:`oracle.snarkjs` can write the system as an ``.r1cs`` file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from oracle.errors import UnsatisfiedCircuit
from oracle.field import R

#: A linear combination: wire index → coefficient (non-zero, reduced mod R).
Terms = dict[int, int]


def _combine(left: Terms, right: Terms, factor: int = 1) -> Terms:
    out = dict(left)
    for wire, coeff in right.items():
        value = (out.get(wire, 0) + factor * coeff) % R
        if value:
            out[wire] = value
        else:
            out.pop(wire, None)
    return out


class Signal:
    """A linear combination of wires and, when the builder computes a witness, its value."""

    __slots__ = ("terms", "value")

    def __init__(self, terms: Terms, value: int | None) -> None:
        self.terms = terms
        self.value = value

    @staticmethod
    def constant(value: int) -> Signal:
        value %= R
        return Signal({0: value} if value else {}, value)

    def __add__(self, other: Signal | int) -> Signal:
        other = _lift(other)
        return Signal(_combine(self.terms, other.terms), _value_op(self, other, 1))

    __radd__ = __add__

    def __sub__(self, other: Signal | int) -> Signal:
        other = _lift(other)
        return Signal(_combine(self.terms, other.terms, -1), _value_op(self, other, -1))

    def __rsub__(self, other: int) -> Signal:
        return _lift(other) - self

    def __neg__(self) -> Signal:
        return self * -1

    def __mul__(self, factor: int) -> Signal:
        """Scales by a constant; multiplying two signals is :meth:`Builder.mul`."""
        if not isinstance(factor, int):
            return NotImplemented
        factor %= R
        if factor == 0:
            return Signal({}, None if self.value is None else 0)
        terms = {wire: coeff * factor % R for wire, coeff in self.terms.items()}
        return Signal(terms, None if self.value is None else self.value * factor % R)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Signal({self.terms}, value={self.value})"


def _lift(value: Signal | int) -> Signal:
    return value if isinstance(value, Signal) else Signal.constant(value)


def _value_op(left: Signal, right: Signal, sign: int) -> int | None:
    if left.value is None or right.value is None:
        return None
    return (left.value + sign * right.value) % R


def linear_sum(signals: Iterable[Signal | int], weights: Iterable[int] | None = None) -> Signal:
    """``Σ weightᵢ · signalᵢ`` as one linear combination (no constraint)."""
    total = Signal.constant(0)
    items = list(signals)
    for signal, weight in zip(
        items, weights if weights is not None else [1] * len(items), strict=True
    ):
        total = total + _lift(signal) * weight
    return total


@dataclass(frozen=True)
class Constraint:
    """``⟨a, w⟩ · ⟨b, w⟩ = ⟨c, w⟩`` for the witness ``w``."""

    a: Terms
    b: Terms
    c: Terms


@dataclass(frozen=True)
class ConstraintSystem:
    """A finished circuit: what setup, proving and the ``.r1cs`` export need."""

    n_wires: int
    n_public: int
    constraints: tuple[Constraint, ...]
    labels: tuple[str, ...]

    @property
    def n_private(self) -> int:
        return self.n_wires - 1 - self.n_public

    def digest(self) -> bytes:
        """SHA-256 of the constraints and layout: keys carry it, so a proving key is never
        used with a circuit it was not made for."""
        h = hashlib.sha256(f"r1cs:{self.n_wires}:{self.n_public}:{len(self.constraints)}".encode())
        for constraint in self.constraints:
            for terms in (constraint.a, constraint.b, constraint.c):
                h.update(len(terms).to_bytes(4, "little"))
                for wire in sorted(terms):
                    h.update(wire.to_bytes(4, "little") + terms[wire].to_bytes(32, "little"))
        return h.digest()

    def check(self, witness: Sequence[int]) -> None:
        """Raises :class:`UnsatisfiedCircuit` naming the first constraint ``witness`` breaks."""
        if len(witness) != self.n_wires:
            raise UnsatisfiedCircuit(
                f"witness has {len(witness)} values, the circuit {self.n_wires} wires"
            )
        if witness[0] != 1:
            raise UnsatisfiedCircuit("witness wire 0 must be 1")
        for index, constraint in enumerate(self.constraints):
            a = evaluate(constraint.a, witness)
            b = evaluate(constraint.b, witness)
            c = evaluate(constraint.c, witness)
            if a * b % R != c:
                wires = sorted(set(constraint.a) | set(constraint.b) | set(constraint.c))
                names = ", ".join(self.labels[w] for w in wires[:4] if w)
                raise UnsatisfiedCircuit(
                    f"constraint {index} is not satisfied (wires {names or '1'})"
                )


def evaluate(terms: Terms, witness: Sequence[int]) -> int:
    return sum(coeff * witness[wire] for wire, coeff in terms.items()) % R


class Builder:
    """Builds a :class:`ConstraintSystem` and, when ``witness`` is true, its witness.

    Without a witness (for the setup) every value is ``None`` and the value callbacks of
    :meth:`private` are never called.
    """

    def __init__(self, witness: bool = True) -> None:
        self.computes_witness = witness
        self._values: list[int | None] = [1]
        self._labels: list[str] = ["one"]
        self._constraints: list[Constraint] = []
        self._n_public = 0
        self._sealed_public = False

    # -- wires ------------------------------------------------------------------------------

    def public(self, label: str, value: int | None = None) -> Signal:
        """A public input. All public inputs come before any private wire."""
        if self._sealed_public:
            raise RuntimeError(f"public input {label!r} declared after a private wire")
        self._n_public += 1
        return self._wire(label, value)

    def private(self, label: str, value: int | None = None) -> Signal:
        """A private input or intermediate value."""
        self._sealed_public = True
        return self._wire(label, value)

    def _wire(self, label: str, value: int | None) -> Signal:
        if self.computes_witness:
            if value is None:
                raise ValueError(f"wire {label!r} needs a value to compute the witness")
            value %= R
        else:
            value = None
        index = len(self._values)
        self._values.append(value)
        self._labels.append(label)
        return Signal({index: 1}, value)

    # -- constraints ------------------------------------------------------------------------

    def constrain(self, a: Signal | int, b: Signal | int, c: Signal | int) -> None:
        """Adds ``a · b = c``."""
        self._constraints.append(Constraint(_lift(a).terms, _lift(b).terms, _lift(c).terms))

    def mul(self, a: Signal, b: Signal, label: str = "product") -> Signal:
        """A new wire holding ``a · b`` (one constraint)."""
        value = None if a.value is None or b.value is None else a.value * b.value
        out = self.private(label, value)
        self.constrain(a, b, out)
        return out

    def assert_equal(self, a: Signal | int, b: Signal | int) -> None:
        """``a = b`` (one constraint)."""
        self.constrain(_lift(a) - _lift(b), 1, 0)

    def assert_bool(self, bit: Signal) -> None:
        """``bit ∈ {0, 1}``: ``bit · (bit - 1) = 0``."""
        self.constrain(bit, bit - 1, 0)

    def bits(self, value: Signal, count: int, label: str = "bit") -> list[Signal]:
        """``count`` new boolean wires, least significant first, that sum to ``value``: proves
        ``0 ≤ value < 2^count`` (``count`` + 1 constraints)."""
        if count >= R.bit_length() - 1:
            raise ValueError("bit decomposition must be shorter than the field")
        bits = self.bool_bits(count, value.value, label)
        self.assert_equal(linear_sum(bits, [1 << i for i in range(count)]), value)
        return bits

    def bool_bits(self, count: int, value: int | None, label: str) -> list[Signal]:
        """``count`` new boolean private inputs holding the bits of ``value`` (least
        significant first), ``count`` constraints; their weighted sum is the value."""
        bits = [
            self.private(f"{label}[{i}]", None if value is None else value >> i & 1)
            for i in range(count)
        ]
        for bit in bits:
            self.assert_bool(bit)
        return bits

    def is_zero(self, value: Signal, label: str = "is_zero") -> Signal:
        """A new wire that is 1 if ``value`` is 0 and 0 otherwise (two constraints)."""
        raw = value.value
        inv = self.private(f"{label}.inv", None if raw is None else (pow(raw, -1, R) if raw else 0))
        out = self.private(label, None if raw is None else int(raw == 0))
        self.constrain(value, inv, 1 - out)
        self.constrain(value, out, 0)
        return out

    def is_equal(self, a: Signal, b: Signal, label: str = "is_equal") -> Signal:
        return self.is_zero(a - b, label)

    # -- results ----------------------------------------------------------------------------

    def system(self) -> ConstraintSystem:
        return ConstraintSystem(
            n_wires=len(self._values),
            n_public=self._n_public,
            constraints=tuple(self._constraints),
            labels=tuple(self._labels),
        )

    def witness(self) -> list[int]:
        if not self.computes_witness:
            raise RuntimeError("this builder was made without a witness")
        return [v for v in self._values if v is not None]

    def public_values(self) -> list[int]:
        return self.witness()[1 : 1 + self._n_public]
