"""BN254 point arithmetic for the prover: fast paths on plain integers.

py_ecc (``optimized_bn128``) is the reference arithmetic and does the pairings; its points
are objects whose every field operation allocates, which is fine for a handful of
operations but too slow for the tens of thousands of additions a proof needs. The hot paths
here work on integer tuples in Jacobian coordinates:

* :func:`msm_g1` / :func:`msm_g2` — multi-scalar multiplication by Pippenger's bucket method,
  with 0 and 1 scalars (most of a witness is bits) taken out first;
* :func:`fixed_base_g1` / :func:`fixed_base_g2` — many multiples of one point (the setup),
  from a precomputed window table;
* batch conversion back to affine with one inversion (Montgomery's trick).

Field elements are ``gmpy2.mpz`` when gmpy2 is installed (1.3–2× faster here) and Python
ints otherwise; results are always returned as Python ints. Tests check everything against
py_ecc.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128 import optimized_curve as bn
from py_ecc.optimized_bn128 import optimized_pairing as bn_pairing

from oracle.field import Q, R, batch_inverse
from oracle.keys import G1, G1_ZERO, G2, G2_ZERO

try:  # pragma: no cover - which branch runs depends on the environment
    from gmpy2 import mpz as _mpz  # type: ignore[import-untyped]

    HAVE_GMPY2 = True
except ImportError:  # pragma: no cover
    _mpz = int
    HAVE_GMPY2 = False

#: Converts an int to the fastest available field-element type (``mpz`` or ``int``).
to_field: Callable[[int], Any] = _mpz
_Q: Any = _mpz(Q)

G1_GENERATOR: G1 = (1, 2)
G2_GENERATOR: G2 = (
    (int(bn.G2[0].coeffs[0]), int(bn.G2[0].coeffs[1])),
    (int(bn.G2[1].coeffs[0]), int(bn.G2[1].coeffs[1])),
)
# Jacobian points: (X, Y, Z) with x = X/Z², y = Y/Z³; Z = 0 is infinity.
J1 = tuple[Any, Any, Any]
J2 = tuple[Any, Any, Any]

# -- G1 ------------------------------------------------------------------------------------


def _g1_double(p: J1) -> J1:
    x, y, z = p
    if not z:
        return p
    a = x * x % _Q
    b = y * y % _Q
    c = b * b % _Q
    d = 2 * ((x + b) * (x + b) - a - c) % _Q
    e = 3 * a
    x3 = (e * e - 2 * d) % _Q
    return x3, (e * (d - x3) - 8 * c) % _Q, 2 * y * z % _Q


def _g1_add_affine(p: J1, x2: Any, y2: Any) -> J1:
    """``p + (x2, y2)`` with the second point affine (mixed addition)."""
    x1, y1, z1 = p
    if not z1:
        return x2, y2, 1
    zz = z1 * z1 % _Q
    h = (x2 * zz - x1) % _Q
    r = (y2 * z1 * zz - y1) % _Q
    if not h:
        return _g1_double(p) if not r else (1, 1, 0)
    hh = h * h % _Q
    hhh = h * hh % _Q
    v = x1 * hh % _Q
    x3 = (r * r - hhh - 2 * v) % _Q
    return x3, (r * (v - x3) - y1 * hhh) % _Q, z1 * h % _Q


def _g1_add(p: J1, q: J1) -> J1:
    x1, y1, z1 = p
    x2, y2, z2 = q
    if not z1:
        return q
    if not z2:
        return p
    z1z1 = z1 * z1 % _Q
    z2z2 = z2 * z2 % _Q
    u1 = x1 * z2z2 % _Q
    s1 = y1 * z2 * z2z2 % _Q
    h = (x2 * z1z1 - u1) % _Q
    r = (y2 * z1 * z1z1 - s1) % _Q
    if not h:
        return _g1_double(p) if not r else (1, 1, 0)
    hh = h * h % _Q
    hhh = h * hh % _Q
    v = u1 * hh % _Q
    x3 = (r * r - hhh - 2 * v) % _Q
    return x3, (r * (v - x3) - s1 * hhh) % _Q, z1 * z2 * h % _Q


def _g1_affine_all(points: Sequence[J1]) -> list[G1]:
    zs = [p[2] for p in points if p[2]]
    inverses = iter(batch_inverse(zs, _Q))
    out: list[G1] = []
    for x, y, z in points:
        if not z:
            out.append(G1_ZERO)
            continue
        zi = next(inverses)
        zi2 = zi * zi % _Q
        out.append((int(x * zi2 % _Q), int(y * zi2 * zi % _Q)))
    return out


# -- G2 (coordinates in F_Q², pairs (c0, c1) with i² = -1) -----------------------------------


def _f2_mul(a: Any, b: Any) -> tuple[Any, Any]:
    t0 = a[0] * b[0]
    t1 = a[1] * b[1]
    return (t0 - t1) % _Q, ((a[0] + a[1]) * (b[0] + b[1]) - t0 - t1) % _Q


def _f2_sq(a: Any) -> tuple[Any, Any]:
    return (a[0] + a[1]) * (a[0] - a[1]) % _Q, 2 * a[0] * a[1] % _Q


def _f2_sub(a: Any, b: Any) -> tuple[Any, Any]:
    return (a[0] - b[0]) % _Q, (a[1] - b[1]) % _Q


def _f2_inverse(a: Any) -> tuple[Any, Any]:
    norm_inv = pow(a[0] * a[0] + a[1] * a[1], -1, Q)
    return a[0] * norm_inv % _Q, -a[1] * norm_inv % _Q


_F2_ONE = (1, 0)
_F2_ZERO = (0, 0)


def _g2_double(p: J2) -> J2:
    x, y, z = p
    if z == _F2_ZERO:
        return p
    a = _f2_sq(x)
    b = _f2_sq(y)
    c = _f2_sq(b)
    xb = (x[0] + b[0], x[1] + b[1])
    xb2 = _f2_sq(xb)
    d = (2 * (xb2[0] - a[0] - c[0]) % _Q, 2 * (xb2[1] - a[1] - c[1]) % _Q)
    e = (3 * a[0], 3 * a[1])
    f = _f2_sq(e)
    x3 = ((f[0] - 2 * d[0]) % _Q, (f[1] - 2 * d[1]) % _Q)
    t = _f2_mul(e, _f2_sub(d, x3))
    y3 = ((t[0] - 8 * c[0]) % _Q, (t[1] - 8 * c[1]) % _Q)
    yz = _f2_mul(y, z)
    return x3, y3, (2 * yz[0] % _Q, 2 * yz[1] % _Q)


def _g2_add_affine(p: J2, x2: Any, y2: Any) -> J2:
    x1, y1, z1 = p
    if z1 == _F2_ZERO:
        return x2, y2, _F2_ONE
    zz = _f2_sq(z1)
    h = _f2_sub(_f2_mul(x2, zz), x1)
    r = _f2_sub(_f2_mul(y2, _f2_mul(z1, zz)), y1)
    if h == _F2_ZERO:
        return _g2_double(p) if r == _F2_ZERO else (_F2_ONE, _F2_ONE, _F2_ZERO)
    hh = _f2_sq(h)
    hhh = _f2_mul(h, hh)
    v = _f2_mul(x1, hh)
    rr = _f2_sq(r)
    x3 = ((rr[0] - hhh[0] - 2 * v[0]) % _Q, (rr[1] - hhh[1] - 2 * v[1]) % _Q)
    y3 = _f2_sub(_f2_mul(r, _f2_sub(v, x3)), _f2_mul(y1, hhh))
    return x3, y3, _f2_mul(z1, h)


def _g2_add(p: J2, q: J2) -> J2:
    x1, y1, z1 = p
    x2, y2, z2 = q
    if z1 == _F2_ZERO:
        return q
    if z2 == _F2_ZERO:
        return p
    z1z1 = _f2_sq(z1)
    z2z2 = _f2_sq(z2)
    u1 = _f2_mul(x1, z2z2)
    s1 = _f2_mul(y1, _f2_mul(z2, z2z2))
    h = _f2_sub(_f2_mul(x2, z1z1), u1)
    r = _f2_sub(_f2_mul(y2, _f2_mul(z1, z1z1)), s1)
    if h == _F2_ZERO:
        return _g2_double(p) if r == _F2_ZERO else (_F2_ONE, _F2_ONE, _F2_ZERO)
    hh = _f2_sq(h)
    hhh = _f2_mul(h, hh)
    v = _f2_mul(u1, hh)
    rr = _f2_sq(r)
    x3 = ((rr[0] - hhh[0] - 2 * v[0]) % _Q, (rr[1] - hhh[1] - 2 * v[1]) % _Q)
    y3 = _f2_sub(_f2_mul(r, _f2_sub(v, x3)), _f2_mul(s1, hhh))
    return x3, y3, _f2_mul(_f2_mul(z1, z2), h)


def _g2_affine_all(points: Sequence[J2]) -> list[G2]:
    zs = [p[2] for p in points if p[2] != _F2_ZERO]
    # Batch inversion in F_Q²: invert the product once.
    prefix = [_F2_ONE]
    for z in zs:
        prefix.append(_f2_mul(prefix[-1], z))
    running = _f2_inverse(prefix[-1])
    inverses: list[Any] = [None] * len(zs)
    for i in range(len(zs) - 1, -1, -1):
        inverses[i] = _f2_mul(prefix[i], running)
        running = _f2_mul(running, zs[i])
    it = iter(inverses)
    out: list[G2] = []
    for x, y, z in points:
        if z == _F2_ZERO:
            out.append(G2_ZERO)
            continue
        zi = next(it)
        zi2 = _f2_sq(zi)
        ax = _f2_mul(x, zi2)
        ay = _f2_mul(y, _f2_mul(zi2, zi))
        out.append(((int(ax[0]), int(ax[1])), (int(ay[0]), int(ay[1]))))
    return out


# -- the two groups behind one interface ------------------------------------------------------


class _Group:
    """The operations Pippenger and the window tables need, for G1 or G2."""

    def __init__(
        self,
        zero: J1,
        add: Callable[[Any, Any], Any],
        add_affine: Callable[[Any, Any, Any], Any],
        double: Callable[[Any], Any],
        affine_all: Callable[[Sequence[Any]], list[Any]],
        lift: Callable[[Any], tuple[Any, Any]],
        is_zero: Callable[[Any], bool],
    ) -> None:
        self.zero = zero
        self.add = add
        self.add_affine = add_affine
        self.double = double
        self.affine_all = affine_all
        self.lift = lift
        self.is_zero = is_zero


def _lift_g1(p: G1) -> tuple[Any, Any]:
    return to_field(p[0]), to_field(p[1])


def _lift_g2(p: G2) -> tuple[Any, Any]:
    return (to_field(p[0][0]), to_field(p[0][1])), (to_field(p[1][0]), to_field(p[1][1]))


_G1 = _Group(
    (1, 1, 0), _g1_add, _g1_add_affine, _g1_double, _g1_affine_all, _lift_g1, lambda p: p == G1_ZERO
)
_G2 = _Group(
    (_F2_ONE, _F2_ONE, _F2_ZERO),
    _g2_add,
    _g2_add_affine,
    _g2_double,
    _g2_affine_all,
    _lift_g2,
    lambda p: p == G2_ZERO,
)


def _window_bits(count: int) -> int:
    """Pippenger's window width for ``count`` points: about log2(count) - 2, measured best
    here between 3 and 13."""
    return max(3, min(13, count.bit_length() - 2))


def _msm(group: _Group, bases: Sequence[Any], scalars: Sequence[int]) -> Any:
    if len(bases) != len(scalars):
        raise ValueError(f"{len(bases)} bases but {len(scalars)} scalars")
    ones = group.zero
    points: list[tuple[Any, Any]] = []
    values: list[int] = []
    for base, scalar in zip(bases, scalars, strict=True):
        scalar %= R
        if not scalar or group.is_zero(base):
            continue
        x, y = group.lift(base)
        if scalar == 1:
            ones = group.add_affine(ones, x, y)
        else:
            points.append((x, y))
            values.append(scalar)
    if not points:
        return ones
    c = _window_bits(len(points))
    mask = (1 << c) - 1
    windows = (max(values).bit_length() + c - 1) // c
    result = group.zero
    for w in range(windows - 1, -1, -1):
        for _ in range(c if w < windows - 1 else 0):
            result = group.double(result)
        shift = w * c
        buckets: list[Any] = [None] * (mask + 1)
        for (x, y), scalar in zip(points, values, strict=True):
            digit = scalar >> shift & mask
            if digit:
                bucket = buckets[digit]
                buckets[digit] = group.add_affine(
                    bucket if bucket is not None else group.zero, x, y
                )
        running = group.zero
        total = group.zero
        for digit in range(mask, 0, -1):
            bucket = buckets[digit]
            if bucket is not None:
                running = group.add(running, bucket)
            total = group.add(total, running)
        result = group.add(result, total)
    return group.add(result, ones)


def msm_g1(bases: Sequence[G1], scalars: Sequence[int]) -> G1:
    """``Σ scalarᵢ · baseᵢ`` in G1 (bases affine, infinity as zeros)."""
    return _g1_affine_all([_msm(_G1, bases, scalars)])[0]


def msm_g2(bases: Sequence[G2], scalars: Sequence[int]) -> G2:
    """``Σ scalarᵢ · baseᵢ`` in G2."""
    return _g2_affine_all([_msm(_G2, bases, scalars)])[0]


def _fixed_base(group: _Group, base: Any, scalars: Sequence[int], window: int = 8) -> list[Any]:
    """``[s · base for s in scalars]`` from a table of ``d · 2^(window·j) · base``."""
    bits = R.bit_length()
    windows = (bits + window - 1) // window
    size = 1 << window
    mask = size - 1
    # Entry j·mask + d - 1 holds d · 2^(window·j) · base: built in Jacobian, made affine at once.
    row_base = group.lift(base)
    jacobian: list[Any] = []
    for _ in range(windows):
        acc = group.zero
        for _d in range(mask):
            acc = group.add_affine(acc, *row_base)
            jacobian.append(acc)
        row_base = group.lift(group.affine_all([group.add_affine(acc, *row_base)])[0])
    table = [group.lift(p) for p in group.affine_all(jacobian)]
    out = []
    for scalar in scalars:
        scalar %= R
        acc = group.zero
        offset = 0
        while scalar:
            digit = scalar & mask
            if digit:
                acc = group.add_affine(acc, *table[offset + digit - 1])
            scalar >>= window
            offset += mask
        out.append(acc)
    return group.affine_all(out)


def fixed_base_g1(scalars: Sequence[int], base: G1 = G1_GENERATOR) -> list[G1]:
    """``[s · base for s in scalars]`` in G1, affine."""
    return _fixed_base(_G1, base, scalars)


def fixed_base_g2(scalars: Sequence[int], base: G2 = G2_GENERATOR) -> list[G2]:
    """``[s · base for s in scalars]`` in G2, affine."""
    return _fixed_base(_G2, base, scalars)


def neg_g1(p: G1) -> G1:
    return p if p == G1_ZERO else (p[0], (Q - p[1]) % Q)


# -- checks and py_ecc conversion ------------------------------------------------------------


def on_curve_g1(p: G1) -> bool:
    x, y = p
    if not (0 <= x < Q and 0 <= y < Q):
        return False
    return p == G1_ZERO or (y * y - x * x * x - 3) % Q == 0


def on_twist(p: G2) -> bool:
    """Coordinates in the field and ``y² = x³ + 3 / (9 + i)`` (or the point at infinity)."""
    if any(not 0 <= c < Q for pair in p for c in pair):
        return False
    return p == G2_ZERO or bool(bn.is_on_curve(to_py_ecc_g2(p), bn.b2))


def in_g2(p: G2) -> bool:
    """``[R]p = O``: the twist has a large cofactor, and only this subgroup is G2."""
    return bool(bn.is_inf(bn.multiply(to_py_ecc_g2(p), R)))


def on_curve_g2(p: G2) -> bool:
    """On the twist and in the order-R subgroup."""
    return on_twist(p) and in_g2(p)


def to_py_ecc_g1(p: G1) -> Any:
    if p == G1_ZERO:
        return bn.Z1
    return (FQ(p[0]), FQ(p[1]), FQ.one())


def to_py_ecc_g2(p: G2) -> Any:
    if p == G2_ZERO:
        return bn.Z2
    return (FQ2(list(p[0])), FQ2(list(p[1])), FQ2.one())


def from_py_ecc_g1(p: Any) -> G1:
    if bn.is_inf(p):
        return G1_ZERO
    x, y = bn.normalize(p)
    return int(x.n), int(y.n)


def from_py_ecc_g2(p: Any) -> G2:
    if bn.is_inf(p):
        return G2_ZERO
    x, y = bn.normalize(p)
    return (int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1]))


def pairing_product_is_one(pairs: Sequence[tuple[G1, G2]]) -> bool:
    """``Π e(Pᵢ, Qᵢ) == 1``: one Miller loop per pair, one final exponentiation."""
    acc = FQ12.one()
    for p, q in pairs:
        if p == G1_ZERO or q == G2_ZERO:
            continue
        acc = acc * bn_pairing.pairing(to_py_ecc_g2(q), to_py_ecc_g1(p), final_exponentiate=False)
    return bool(bn_pairing.final_exponentiate(acc) == FQ12.one())
