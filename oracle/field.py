"""The two BN254 fields.

``R`` is the order of the curve's groups: witnesses, public signals, Poseidon and the QAP live
in the scalar field F_R. ``Q`` is the field the curve's coordinates live in.
"""

from __future__ import annotations

#: Order of BN254's G1/G2 (the SNARK scalar field); snarkjs and circom call it ``r``.
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

#: The base field of BN254's coordinates; snarkjs calls it ``q``.
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583

#: Bytes of one field element in snarkjs's binary files (little-endian).
FIELD_BYTES = 32


def inverse(value: int, modulus: int = R) -> int:
    """The multiplicative inverse of ``value`` modulo ``modulus`` (a prime)."""
    if value % modulus == 0:
        raise ZeroDivisionError("zero has no inverse")
    return pow(value, -1, modulus)


def batch_inverse(values: list[int], modulus: int = R) -> list[int]:
    """Inverses of every value with one modular inversion (Montgomery's trick).

    Every value must be non-zero modulo ``modulus``.
    """
    prefix = [1] * (len(values) + 1)
    for i, value in enumerate(values):
        prefix[i + 1] = prefix[i] * value % modulus
    running = inverse(prefix[-1], modulus)
    out = [0] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = prefix[i] * running % modulus
        running = running * values[i] % modulus
    return out
