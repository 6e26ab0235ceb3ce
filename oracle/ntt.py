"""Number-theoretic transforms over the scalar field: the QAP's polynomial arithmetic.

The multiplicative group of F_R has a subgroup of order 2²⁸, so every power-of-two domain up
to that size has a root of unity; :data:`COSET_SHIFT` (a generator of the whole group) moves
a domain to a coset disjoint from it, where the vanishing polynomial is a non-zero constant.
"""

from __future__ import annotations

from oracle.field import R

#: F_R* = <5>; R - 1 = 2²⁸ · odd.
GENERATOR = 5
TWO_ADICITY = 28
COSET_SHIFT = GENERATOR


def root_of_unity(size: int) -> int:
    """A primitive ``size``-th root of unity (``size`` a power of two ≤ 2²⁸)."""
    if size < 1 or size & (size - 1) or size > 1 << TWO_ADICITY:
        raise ValueError(f"domain size must be a power of two up to 2^28, got {size}")
    return pow(GENERATOR, (R - 1) // size, R)


def domain_size(count: int) -> int:
    """The smallest power-of-two domain holding ``count`` points."""
    return 1 << max(0, (count - 1).bit_length())


def ntt(values: list[int], inverse: bool = False) -> list[int]:
    """Evaluations ↔ coefficients on the domain ``ωⁱ``, iterative radix-2 (in a new list)."""
    n = len(values)
    omega = root_of_unity(n)
    if inverse:
        omega = pow(omega, -1, R)
    a = list(values)
    # bit-reversal permutation
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    length = 2
    while length <= n:
        step = pow(omega, n // length, R)
        half = length >> 1
        twiddles = [1] * half
        for k in range(1, half):
            twiddles[k] = twiddles[k - 1] * step % R
        for start in range(0, n, length):
            for k in range(half):
                u = a[start + k]
                v = a[start + k + half] * twiddles[k] % R
                a[start + k] = (u + v) % R
                a[start + k + half] = (u - v) % R
        length <<= 1
    if inverse:
        n_inv = pow(n, -1, R)
        a = [x * n_inv % R for x in a]
    return a


def coset_ntt(coefficients: list[int], shift: int = COSET_SHIFT) -> list[int]:
    """Evaluations of the polynomial at ``shift · ωⁱ``."""
    scaled = []
    power = 1
    for c in coefficients:
        scaled.append(c * power % R)
        power = power * shift % R
    return ntt(scaled)


def coset_intt(evaluations: list[int], shift: int = COSET_SHIFT) -> list[int]:
    """Coefficients of the polynomial whose evaluations at ``shift · ωⁱ`` are given."""
    coefficients = ntt(evaluations, inverse=True)
    inv = pow(shift, -1, R)
    power = 1
    out = []
    for c in coefficients:
        out.append(c * power % R)
        power = power * inv % R
    return out
