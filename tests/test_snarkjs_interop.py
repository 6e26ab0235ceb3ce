"""Our proofs against snarkjs, the reference Groth16 tool: snarkjs checks our witness and
verifies our proofs; we verify proofs snarkjs makes on our exported circuit; a tampered
public signal fails in both."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from oracle.circuit import CircuitShape, ScoringInputs, scoring_circuit
from oracle.field import R
from oracle.prover import (
    PROOF,
    PUBLIC,
    VERIFICATION_KEY,
    prove_scores,
    read_proof,
    setup_scoring,
    verify_scores,
    write_proof,
)
from oracle.snarkjs import write_r1cs, write_wtns
from protocol.testing import snarkjs_cli

#: ~700 constraints: the session's 2^10 powers of tau cover it.
SHAPE = CircuitShape(workers=2, canaries=4)


@pytest.fixture(scope="module")
def keys():
    return setup_scoring(SHAPE, random.Random(8))


def round_inputs(round_id: int = 5) -> ScoringInputs:
    answers = bytes([3, 1, 4, 1])
    return ScoringInputs(round_id, 777, answers, 123456789, (answers, bytes([3, 1, 0, 0])))


def tamper_public(folder: Path, index: int = 4) -> None:
    path = folder / PUBLIC
    public = json.loads(path.read_text())
    public[index] = str((int(public[index]) + 1) % R)
    path.write_text(json.dumps(public))


def snarkjs_verify(folder: Path) -> bool:
    return snarkjs_cli.groth16_verify(folder / VERIFICATION_KEY, folder / PUBLIC, folder / PROOF)


def test_snarkjs_checks_our_witness(snarkjs, tmp_path):
    builder = scoring_circuit(SHAPE, round_inputs())
    write_r1cs(builder.system(), tmp_path / "circuit.r1cs")
    write_wtns(builder.witness(), tmp_path / "good.wtns")
    assert snarkjs_cli.wtns_check(tmp_path / "circuit.r1cs", tmp_path / "good.wtns")
    witness = builder.witness()
    witness[5] = 99  # score[0]: 100 is the truth
    write_wtns(witness, tmp_path / "bad.wtns")
    assert not snarkjs_cli.wtns_check(tmp_path / "circuit.r1cs", tmp_path / "bad.wtns")


def test_snarkjs_verifies_our_proof_and_rejects_it_tampered(snarkjs, keys, tmp_path):
    result = prove_scores(keys, round_inputs())
    assert result.scores == (100, 50)
    write_proof(result, keys.vk, tmp_path)
    assert snarkjs_verify(tmp_path)
    for index in (0, 2, 4):  # round id, evaluation commitment, a score
        folder = tmp_path / f"tampered-{index}"
        write_proof(result, keys.vk, folder)
        tamper_public(folder, index)
        assert not snarkjs_verify(folder)
        vk, tampered = read_proof(folder)
        assert not verify_scores(vk, tampered)


def test_we_verify_proofs_snarkjs_made_on_our_circuit(ptau, tmp_path):
    builder = scoring_circuit(SHAPE, round_inputs(round_id=9))
    write_r1cs(builder.system(), tmp_path / "circuit.r1cs")
    write_wtns(builder.witness(), tmp_path / "witness.wtns")
    zkey = snarkjs_cli.groth16_setup(tmp_path / "circuit.r1cs", ptau, tmp_path / "circuit.zkey")
    snarkjs_cli.export_verification_key(zkey, tmp_path / VERIFICATION_KEY)
    snarkjs_cli.groth16_prove(zkey, tmp_path / "witness.wtns", tmp_path / PROOF, tmp_path / PUBLIC)
    vk, result = read_proof(tmp_path)
    assert list(result.public_signals) == builder.public_values()
    assert verify_scores(vk, result)
    tamper_public(tmp_path, 0)
    vk, tampered = read_proof(tmp_path)
    assert not verify_scores(vk, tampered)
    assert not snarkjs_verify(tmp_path)
