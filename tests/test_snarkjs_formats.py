"""Our .r1cs/.wtns files and snarkjs's JSON, checked against the real snarkjs (npm)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from py_ecc.optimized_bn128 import optimized_curve as bn

from oracle.errors import MalformedInput
from oracle.field import Q, R
from oracle.r1cs import Builder, ConstraintSystem
from oracle.snarkjs import (
    load_json,
    parse_r1cs,
    parse_wtns,
    proof_from_json,
    proof_to_json,
    public_from_json,
    public_to_json,
    r1cs_bytes,
    read_r1cs,
    read_wtns,
    verifying_key_from_json,
    verifying_key_to_json,
    write_json,
    write_r1cs,
    write_wtns,
    wtns_bytes,
)
from protocol.testing import snarkjs_cli

X, Y = 7, 0xA5
Z = X**10 + Y


def build_circuit() -> Builder:
    """Three public inputs, an 8-bit decomposition, a multiplication chain, an is-zero
    gadget: 26 constraints with coefficients other than 0 and 1 (powers of two, -1)."""
    b = Builder()
    x = b.public("x", X)
    y = b.public("y", Y)
    z = b.public("z", Z)
    bits = b.bits(y, 8)
    power = x
    for exponent in range(2, 11):
        power = b.mul(power, x, f"x^{exponent}")
    b.assert_equal(power + y, z)
    for i in range(0, 8, 2):
        b.mul(bits[i], bits[i + 1], f"and{i}")
    b.assert_equal(b.is_zero(x - X, "x_is_7"), 1)
    return b


@dataclass(frozen=True)
class Circuit:
    system: ConstraintSystem
    witness: list[int]
    public: list[int]
    r1cs: Path
    wtns: Path


@dataclass(frozen=True)
class Snark:
    """snarkjs's setup and proof for :func:`build_circuit`."""

    zkey: Path
    vk_json: Path
    proof_json: Path
    public_json: Path
    prove_s: float


@pytest.fixture(scope="module")
def circuit(tmp_path_factory: pytest.TempPathFactory) -> Circuit:
    builder = build_circuit()
    system, witness = builder.system(), builder.witness()
    system.check(witness)
    folder = tmp_path_factory.mktemp("circuit")
    write_r1cs(system, folder / "circuit.r1cs")
    write_wtns(witness, folder / "circuit.wtns")
    return Circuit(
        system, witness, builder.public_values(), folder / "circuit.r1cs", folder / "circuit.wtns"
    )


@pytest.fixture(scope="module")
def snark(
    snarkjs: None, circuit: Circuit, ptau: Path, tmp_path_factory: pytest.TempPathFactory
) -> Snark:
    folder = tmp_path_factory.mktemp("snark")
    zkey = snarkjs_cli.groth16_setup(circuit.r1cs, ptau, folder / "circuit.zkey")
    vk_json = snarkjs_cli.export_verification_key(zkey, folder / "vk.json")
    proof_json, public_json = folder / "proof.json", folder / "public.json"
    prove_s = snarkjs_cli.groth16_prove(zkey, circuit.wtns, proof_json, public_json)
    return Snark(zkey, vk_json, proof_json, public_json, prove_s)


# -- binary files against snarkjs --------------------------------------------------------------


def test_snarkjs_reads_our_r1cs_with_its_counts(snarkjs: None, circuit: Circuit) -> None:
    info = snarkjs_cli.r1cs_info(circuit.r1cs)
    assert info == {
        "Wires": circuit.system.n_wires,
        "Constraints": len(circuit.system.constraints),
        "Private Inputs": 0,
        "Public Inputs": 3,
        "Labels": circuit.system.n_wires,
        "Outputs": 0,
    }


def test_wtns_check_accepts_the_witness_and_rejects_a_tampered_one(
    snarkjs: None, circuit: Circuit, tmp_path: Path
) -> None:
    assert snarkjs_cli.wtns_check(circuit.r1cs, circuit.wtns) is True
    tampered = list(circuit.witness)
    bit = circuit.system.labels.index("bit[0]")
    tampered[bit] ^= 1
    write_wtns(tampered, tmp_path / "tampered.wtns")
    assert snarkjs_cli.wtns_check(circuit.r1cs, tmp_path / "tampered.wtns") is False


def test_wtns_check_raises_on_a_file_snarkjs_cannot_read(
    snarkjs: None, circuit: Circuit, tmp_path: Path
) -> None:
    (tmp_path / "junk.wtns").write_bytes(b"junk" * 8)
    with pytest.raises(snarkjs_cli.SnarkjsError, match="wtns check"):
        snarkjs_cli.wtns_check(circuit.r1cs, tmp_path / "junk.wtns")


def test_r1cs_and_wtns_round_trip_exactly(circuit: Circuit) -> None:
    system = read_r1cs(circuit.r1cs)
    assert system.n_wires == circuit.system.n_wires
    assert system.n_public == circuit.system.n_public
    assert system.constraints == circuit.system.constraints
    assert system.digest() == circuit.system.digest()
    assert system.labels[0] == "one" and system.labels[5] == "w5"
    assert r1cs_bytes(system) == circuit.r1cs.read_bytes()
    assert read_wtns(circuit.wtns) == circuit.witness
    assert wtns_bytes(read_wtns(circuit.wtns)) == circuit.wtns.read_bytes()


# -- JSON from snarkjs -----------------------------------------------------------------------


def test_snarkjs_outputs_parse_and_serialize_back_unchanged(circuit: Circuit, snark: Snark) -> None:
    proof_doc = load_json(snark.proof_json)
    vk_doc = load_json(snark.vk_json)
    public_doc = load_json(snark.public_json)
    assert isinstance(vk_doc, dict)

    proof = proof_from_json(proof_doc)
    vk = verifying_key_from_json(vk_doc)
    public = public_from_json(public_doc)

    assert public == circuit.public == [X, Y, Z]
    assert vk.n_public == 3
    assert proof_to_json(proof) == proof_doc
    assert public_to_json(public) == public_doc
    # vk_alphabeta_12 is derived data snarkjs's verifier never reads; we do not write it.
    assert "vk_alphabeta_12" in vk_doc
    assert verifying_key_to_json(vk) == {k: v for k, v in vk_doc.items() if k != "vk_alphabeta_12"}
    assert snark.prove_s < 10


def test_snarkjs_verifies_the_files_we_write(snark: Snark, tmp_path: Path) -> None:
    vk = verifying_key_from_json(load_json(snark.vk_json))
    proof = proof_from_json(load_json(snark.proof_json))
    public = public_from_json(load_json(snark.public_json))
    write_json(verifying_key_to_json(vk), tmp_path / "vk.json")
    write_json(proof_to_json(proof), tmp_path / "proof.json")
    write_json(public_to_json(public), tmp_path / "public.json")
    write_json(public_to_json([public[0], public[1], public[2] + 1]), tmp_path / "wrong.json")

    assert snarkjs_cli.groth16_verify(
        tmp_path / "vk.json", tmp_path / "public.json", tmp_path / "proof.json"
    )
    assert not snarkjs_cli.groth16_verify(
        tmp_path / "vk.json", tmp_path / "wrong.json", tmp_path / "proof.json"
    )


def test_the_zkey_has_a_contribution(snark: Snark) -> None:
    """Without ``zkey contribute``, δ is the generator, like γ, and proofs can be forged."""
    vk = verifying_key_from_json(load_json(snark.vk_json))
    assert vk.delta != vk.gamma


# -- malformed JSON --------------------------------------------------------------------------

G1_ONE = ["1", "2", "1"]
G2_GEN = [
    [str(c) for c in bn.G2[0].coeffs],
    [str(c) for c in bn.G2[1].coeffs],
    ["1", "0"],
]


def _fq2_sqrt(a: tuple[int, int]) -> tuple[int, int] | None:
    """A square root in F_Q² (Q ≡ 3 mod 4: Adj and Rodríguez-Henríquez, algorithm 9)."""

    def mul(u: tuple[int, int], v: tuple[int, int]) -> tuple[int, int]:
        return (u[0] * v[0] - u[1] * v[1]) % Q, (u[0] * v[1] + u[1] * v[0]) % Q

    def power(u: tuple[int, int], e: int) -> tuple[int, int]:
        out = (1, 0)
        while e:
            if e & 1:
                out = mul(out, u)
            u = mul(u, u)
            e >>= 1
        return out

    a1 = power(a, (Q - 3) // 4)
    alpha = mul(mul(a1, a1), a)
    a0 = mul(power(alpha, Q), alpha)
    if a0 == (Q - 1, 0):
        return None
    x0 = mul(a1, a)
    if alpha == (Q - 1, 0):
        return mul((0, 1), x0)
    return mul(power(((1 + alpha[0]) % Q, alpha[1]), (Q - 1) // 2), x0)


def _twist_point_outside_g2() -> list[list[str]]:
    b2 = (int(bn.b2.coeffs[0]), int(bn.b2.coeffs[1]))
    for x0 in range(1, 100):
        x = (x0, 1)
        x_sq = ((x[0] * x[0] - 1) % Q, 2 * x[0] % Q)
        x_cubed = ((x_sq[0] * x[0] - x_sq[1]) % Q, (x_sq[0] + x_sq[1] * x[0]) % Q)
        y = _fq2_sqrt(((x_cubed[0] + b2[0]) % Q, (x_cubed[1] + b2[1]) % Q))
        if y is not None:
            return [[str(x[0]), str(x[1])], [str(y[0]), str(y[1])], ["1", "0"]]
    raise AssertionError("no twist point found")


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(doc))  # no shared sub-lists, unlike deepcopy
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_DELETE = object()
PROOF = {"pi_a": G1_ONE, "pi_b": G2_GEN, "pi_c": G1_ONE, "protocol": "groth16", "curve": "bn128"}


def test_the_malformed_json_fixtures_start_from_a_valid_proof() -> None:
    proof = proof_from_json(PROOF)
    assert proof.a == (1, 2)
    assert proof_to_json(proof) == PROOF


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("pi_c",), _DELETE, "missing key 'pi_c'"),
        (("extra",), 1, "unexpected key 'extra'"),
        (("protocol",), "plonk", "proof.protocol"),
        (("pi_a",), ["1", "2"], r"proof.pi_a: expected 3 entries, got 2"),
        (("pi_b", 0), ["1"], r"proof.pi_b\[0\]: expected 2 entries"),
        (("pi_a", 0), str(Q), r"proof.pi_a\[0\]: .* is not below Q"),
        (("pi_a", 0), 1, r"proof.pi_a\[0\]: expected a decimal string"),
        (("pi_a", 0), "0x1", r"expected a decimal string"),
        (("pi_a", 0), "01", r"expected a decimal string"),
        (("pi_a", 1), "3", r"proof.pi_a: \(1, 3\) is not on BN254's G1"),
        (("pi_a", 2), "2", r"proof.pi_a: z must be"),
        (("pi_a",), ["0", "0", "0"], r"point at infinity must be written"),
        (("pi_b", 1, 0), "1", r"proof.pi_b: the point is not on BN254's twist"),
        (("pi_b", 2), ["1", "1"], r"proof.pi_b: z must be"),
        (("pi_b",), _twist_point_outside_g2(), r"proof.pi_b: .* not in the order-R subgroup"),
    ],
)
def test_malformed_proof_json_is_rejected(path: tuple[Any, ...], value: Any, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        proof_from_json(_set(PROOF, path, value))


def test_points_at_infinity_are_read_and_written_as_snarkjs_does() -> None:
    doc = _set(
        _set(PROOF, ("pi_a",), ["0", "1", "0"]), ("pi_b",), [["0", "0"], ["1", "0"], ["0", "0"]]
    )
    proof = proof_from_json(doc)
    assert proof.a == (0, 0) and proof.b == ((0, 0), (0, 0))
    assert proof_to_json(proof) == doc


VK = {
    "protocol": "groth16",
    "curve": "bn128",
    "nPublic": 1,
    "vk_alpha_1": G1_ONE,
    "vk_beta_2": G2_GEN,
    "vk_gamma_2": G2_GEN,
    "vk_delta_2": G2_GEN,
    "IC": [G1_ONE, G1_ONE],
}


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("vk_delta_2",), _DELETE, "missing key 'vk_delta_2'"),
        (("nPublic",), 2, r"verification key.IC: expected 3 entries, got 2"),
        (("nPublic",), "1", r"nPublic: expected a count"),
        (("curve",), "bls12381", r"verification key.curve"),
        (("IC", 1, 1), "5", r"verification key.IC\[1\]: .* not on BN254's G1"),
        (("vk_gamma_2", 0, 1), str(Q + 1), r"vk_gamma_2\[0\]\[1\]: .* not below Q"),
    ],
)
def test_malformed_verifying_key_json_is_rejected(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    assert verifying_key_from_json(VK).n_public == 1
    with pytest.raises(MalformedInput, match=message):
        verifying_key_from_json(_set(VK, path, value))


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"0": "1"}, "expected a list"),
        (["1", str(R)], r"public signal 1: .* is not below R"),
        (["1", "-1"], r"public signal 1: expected a decimal string"),
        (["1", 2], r"public signal 1: expected a decimal string"),
    ],
)
def test_malformed_public_signals_are_rejected(doc: object, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        public_from_json(doc)


def test_public_signals_outside_the_field_are_not_written() -> None:
    assert public_to_json([0, R - 1]) == ["0", str(R - 1)]
    with pytest.raises(MalformedInput, match="public signal 0"):
        public_to_json([R])


def test_load_json_rejects_text_that_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "proof.json").write_text('{"pi_a": [', encoding="utf-8")
    with pytest.raises(MalformedInput, match="not JSON"):
        load_json(tmp_path / "proof.json")


# -- malformed binary files ------------------------------------------------------------------


def test_every_truncation_of_our_files_is_rejected(circuit: Circuit) -> None:
    r1cs, wtns = circuit.r1cs.read_bytes(), circuit.wtns.read_bytes()
    for cut in range(len(wtns)):
        with pytest.raises(MalformedInput):
            parse_wtns(wtns[:cut])
    for cut in range(0, len(r1cs), 7):
        with pytest.raises(MalformedInput):
            parse_r1cs(r1cs[:cut])


def _patched(data: bytes, offset: int, replacement: bytes) -> bytes:
    return data[:offset] + replacement + data[offset + len(replacement) :]


# Offsets in the files: 12-byte file header, 12-byte section header, then the section body.
_BODY = 24


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (lambda d: _patched(d, 0, b"r1cx"), "magic"),
        (lambda d: _patched(d, 4, (2).to_bytes(4, "little")), "version 2, expected 1"),
        (lambda d: _patched(d, _BODY, (8).to_bytes(4, "little")), "field size 8 bytes"),
        (lambda d: _patched(d, _BODY + 4, Q.to_bytes(32, "little")), "is not BN254's scalar field"),
        (lambda d: d + b"\0", "1 bytes after the last section"),
        (lambda d: _patched(d, _BODY + 36, (2).to_bytes(4, "little")), "2 wires cannot hold"),
    ],
)
def test_malformed_r1cs_is_rejected(circuit: Circuit, patch: Any, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        parse_r1cs(patch(circuit.r1cs.read_bytes()))


def test_r1cs_coefficients_and_wires_are_checked(circuit: Circuit) -> None:
    data = circuit.r1cs.read_bytes()
    header_size = int.from_bytes(data[16:24], "little")
    first_term = _BODY + header_size + 12 + 4  # constraints section header, then A's count
    with pytest.raises(MalformedInput, match=r"constraint 0 A coefficient .* not below R"):
        parse_r1cs(_patched(data, first_term + 4, R.to_bytes(32, "little")))
    with pytest.raises(MalformedInput, match="constraint 0 A uses wire 4096"):
        parse_r1cs(_patched(data, first_term, (4096).to_bytes(4, "little")))


def test_malformed_wtns_is_rejected(circuit: Circuit) -> None:
    data = circuit.wtns.read_bytes()
    with pytest.raises(MalformedInput, match="magic"):
        parse_wtns(_patched(data, 0, b"wtnx"))
    with pytest.raises(MalformedInput, match="version 1, expected 2"):
        parse_wtns(_patched(data, 4, (1).to_bytes(4, "little")))
    with pytest.raises(MalformedInput, match="bytes for 999 values"):
        parse_wtns(_patched(data, _BODY + 36, (999).to_bytes(4, "little")))
    values = _BODY + 40 + 12
    with pytest.raises(MalformedInput, match=r"value 0 .* not below R"):
        parse_wtns(_patched(data, values, R.to_bytes(32, "little")))


def test_values_outside_the_field_are_not_written(tmp_path: Path) -> None:
    with pytest.raises(MalformedInput, match="wtns: value 1"):
        write_wtns([1, R], tmp_path / "w.wtns")
    assert not (tmp_path / "w.wtns").exists()
