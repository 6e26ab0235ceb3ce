"""Groth16 over BN254: the fast curve arithmetic against py_ecc, the NTT, setup / prove /
verify on small circuits, and proving-key files."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from py_ecc.optimized_bn128 import optimized_curve as bn

from oracle import curve, groth16
from oracle.errors import KeyMismatch, MalformedInput, UnsatisfiedCircuit
from oracle.field import Q, R
from oracle.keyfile import decode_proving_key, encode_proving_key
from oracle.keys import G1_ZERO, Proof
from oracle.ntt import coset_intt, coset_ntt, ntt
from oracle.r1cs import Builder
from tests.helpers import ROOT

RNG = random.Random(20261121)


def cube_circuit(x: int | None = 3, extra: int = 42) -> Builder:
    """out = x³ + y with y < 256, and a public input no constraint uses."""
    witness = x is not None
    y = 11
    b = Builder(witness=witness)
    out = b.public("out", x**3 + y if x is not None else None)
    b.public("extra", extra if witness else None)
    xs = b.private("x", x)
    ys = b.private("y", y if witness else None)
    x3 = b.mul(b.mul(xs, xs), xs)
    b.assert_equal(x3 + ys, out)
    b.bits(ys, 8)
    return b


@pytest.fixture(scope="module")
def cube_key():
    return groth16.insecure_dev_setup(cube_circuit(None).system(), random.Random(1))


# -- curve arithmetic ------------------------------------------------------------------------


def test_fixed_base_and_msm_agree_with_py_ecc():
    scalars = [RNG.randrange(R) for _ in range(40)] + [0, 1, R - 1]
    g1 = curve.fixed_base_g1(scalars)
    g2 = curve.fixed_base_g2(scalars[:6])
    for s, p in zip(scalars, g1, strict=True):
        assert p == curve.from_py_ecc_g1(bn.multiply(bn.G1, s))
    for s, p in zip(scalars, g2, strict=False):
        assert p == curve.from_py_ecc_g2(bn.multiply(bn.G2, s))
    weights = [RNG.randrange(R) for _ in scalars]
    weights[:4] = [0, 1, 1, 2]  # the 0/1 fast path and a doubling in a bucket
    expected = sum(s * w for s, w in zip(scalars, weights, strict=True)) % R
    assert curve.msm_g1(g1, weights) == curve.from_py_ecc_g1(bn.multiply(bn.G1, expected))
    expected2 = sum(s * w for s, w in zip(scalars[:6], weights[:6], strict=True)) % R
    assert curve.msm_g2(g2, weights[:6]) == curve.from_py_ecc_g2(bn.multiply(bn.G2, expected2))


def test_msm_handles_infinity_cancellation_and_empty_input():
    p = curve.fixed_base_g1([5])[0]
    assert curve.msm_g1([p, p], [3, R - 3]) == G1_ZERO
    assert curve.msm_g1([G1_ZERO, p], [7, 0]) == G1_ZERO
    assert curve.msm_g1([], []) == G1_ZERO
    assert curve.msm_g1([p, curve.neg_g1(p)], [1, 1]) == G1_ZERO


def test_curve_works_without_gmpy2():
    code = (
        "import sys; sys.modules['gmpy2'] = None\n"
        "from oracle import curve\n"
        "assert not curve.HAVE_GMPY2\n"
        "pts = curve.fixed_base_g1([3, 4]); q = curve.fixed_base_g2([5])\n"
        "assert curve.msm_g1(pts, [2, 5]) == curve.fixed_base_g1([26])[0]\n"
        "assert curve.msm_g2(q * 3, [1, 2, 3]) == curve.fixed_base_g2([30])[0]\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_on_curve_checks_reject_bad_points():
    assert curve.on_curve_g1((1, 2))
    assert not curve.on_curve_g1((1, 3))
    assert not curve.on_curve_g1((1, 2 + Q))
    assert curve.on_curve_g2(curve.G2_GENERATOR)
    (x0, x1), y = curve.G2_GENERATOR
    assert not curve.on_curve_g2(((x0 + 1, x1), y))


def test_ntt_round_trips_and_multiplies_polynomials():
    a = [RNG.randrange(R) for _ in range(8)] + [0] * 8
    b = [RNG.randrange(R) for _ in range(8)] + [0] * 8
    assert ntt(ntt(a), inverse=True) == a
    assert coset_intt(coset_ntt(a)) == a
    product = ntt([x * y % R for x, y in zip(ntt(a), ntt(b), strict=True)], inverse=True)
    naive = [0] * 16
    for i in range(8):
        for j in range(8):
            naive[i + j] = (naive[i + j] + a[i] * b[j]) % R
    assert product == naive


# -- setup, prove, verify --------------------------------------------------------------------


def test_proof_verifies_and_binds_every_public_input(cube_key):
    b = cube_circuit(3)
    proof = groth16.prove(cube_key, b.system(), b.witness())
    public = b.public_values()
    assert public == [38, 42]
    assert groth16.verify(cube_key.vk, public, proof)
    # "extra" is in no constraint, yet the public-input rows bind it
    assert not groth16.verify(cube_key.vk, [38, 43], proof)
    assert not groth16.verify(cube_key.vk, [39, 42], proof)


def test_proofs_are_randomized_and_each_verifies(cube_key):
    b = cube_circuit(5)
    first = groth16.prove(cube_key, b.system(), b.witness())
    second = groth16.prove(cube_key, b.system(), b.witness())
    assert first != second
    assert groth16.verify(cube_key.vk, b.public_values(), second)


def test_tampered_proof_points_fail(cube_key):
    b = cube_circuit(3)
    proof = groth16.prove(cube_key, b.system(), b.witness())
    other = curve.fixed_base_g1([RNG.randrange(1, R)])[0]
    for bad in (Proof(other, proof.b, proof.c), Proof(proof.a, proof.b, other)):
        assert not groth16.verify(cube_key.vk, b.public_values(), bad)
    assert not groth16.verify(
        cube_key.vk, b.public_values(), Proof(proof.a, cube_key.vk.beta, proof.c)
    )


def test_verify_raises_only_for_malformed_input(cube_key):
    b = cube_circuit(3)
    proof = groth16.prove(cube_key, b.system(), b.witness())
    with pytest.raises(MalformedInput, match="expected 2 public signals"):
        groth16.verify(cube_key.vk, [38], proof)
    with pytest.raises(MalformedInput, match="not in the scalar field"):
        groth16.verify(cube_key.vk, [38, R], proof)
    with pytest.raises(MalformedInput, match="not on the curve"):
        groth16.verify(cube_key.vk, [38, 42], Proof((1, 3), proof.b, proof.c))
    with pytest.raises(MalformedInput, match="twist"):
        groth16.verify(cube_key.vk, [38, 42], Proof(proof.a, ((1, 2), (3, 4)), proof.c))


def test_prover_refuses_an_unsatisfied_witness_and_a_foreign_key(cube_key):
    b = cube_circuit(3)
    witness = b.witness()
    witness[1] += 1
    with pytest.raises(UnsatisfiedCircuit, match="constraint"):
        groth16.prove(cube_key, b.system(), witness)
    other = Builder()
    other.public("z", 1)
    with pytest.raises(KeyMismatch):
        groth16.prove(cube_key, other.system(), other.witness())


# -- key files -------------------------------------------------------------------------------


def test_proving_key_file_round_trips(cube_key):
    data = encode_proving_key(cube_key, {"note": "test"})
    decoded, meta = decode_proving_key(data)
    assert decoded == cube_key
    assert meta == {"note": "test"}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: b"XX" + d[2:], "bad magic"),
        (lambda d: d[:-100], "checksum"),
        (lambda d: d[:200] + bytes([d[200] ^ 1]) + d[201:], "checksum"),
    ],
)
def test_damaged_proving_key_is_rejected(cube_key, mutate, message):
    with pytest.raises(MalformedInput, match=message):
        decode_proving_key(mutate(encode_proving_key(cube_key)))
