"""The scoring circuit and the oracle's proving API: scores, commitments, evaluation sets,
tampering, and the default k = 5, m = 16 shape end to end."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from oracle.circuit import (
    SIGNALS_BEFORE_SCORES,
    CircuitShape,
    ScoringInputs,
    duplicate_mask,
    scoring_circuit,
)
from oracle.commitments import evaluation_commitment, outputs_commitment, pack_bytes
from oracle.datasets import load_digits_test
from oracle.errors import KeyMismatch, MalformedInput, UnsatisfiedCircuit
from oracle.evaluation import EvaluationSet, draw_canaries
from oracle.field import R
from oracle.prover import (
    load_keys,
    prove_scores,
    read_proof,
    save_keys,
    setup_scoring,
    verify_scores,
    write_proof,
)
from oracle.scoring import NO_ANSWER, canary_outputs, matches, score

SMALL = CircuitShape(workers=3, canaries=5)


def inputs_for(shape: CircuitShape, hits: list[int], seed: int = 1) -> ScoringInputs:
    """Workers that get the first ``hits[i]`` canaries right."""
    rng = random.Random(seed)
    answers = bytes(rng.randrange(10) for _ in range(shape.canaries))
    outputs = tuple(answers[:h] + bytes((a + 1) % 10 for a in answers[h:]) for h in hits)
    return ScoringInputs(7, 1234, answers, rng.randrange(R), outputs)


@pytest.fixture(scope="module")
def small_keys():
    return setup_scoring(SMALL, random.Random(5))


def test_score_rounds_half_up():
    assert [score(h, 16) for h in (0, 1, 2, 8, 15, 16)] == [0, 6, 13, 50, 94, 100]
    assert score(1, 8) == 13  # 12.5 rounds up
    assert score(2, 3) == 67
    with pytest.raises(ValueError):
        score(5, 4)


def test_failed_or_misshapen_output_answers_nothing():
    assert canary_outputs(None, 3) == bytes([NO_ANSWER]) * 3
    assert canary_outputs(b"\x01\x02", 3) == bytes([NO_ANSWER]) * 3
    assert canary_outputs(b"\x01\x02\x03", 3) == b"\x01\x02\x03"


@pytest.mark.parametrize("canaries", [5, 31, 40])
def test_the_duplicates_mask_marks_repeats_of_an_earlier_worker(canaries: int) -> None:
    shape = CircuitShape(workers=5, canaries=canaries)
    rng = random.Random(canaries)
    answers = bytes(rng.randrange(10) for _ in range(canaries))
    own = bytes(rng.randrange(10) for _ in range(canaries))
    near = own[:-1] + bytes([(own[-1] + 1) % 10])  # one answer apart: not a copy
    outputs = (own, answers, near, own)  # slot 3 repeats slot 0; slot 4 is padding
    inputs = ScoringInputs(7, 1234, answers, rng.randrange(R), outputs)
    padded = inputs.padded_outputs(shape)
    assert duplicate_mask(padded, answers) == 0b01000  # padding repeats nothing real here
    failed = bytes([NO_ANSWER]) * canaries
    assert duplicate_mask((failed, own, failed, failed), answers) == 0b1100
    b = scoring_circuit(shape, inputs)
    b.system().check(b.witness())
    assert b.public_values()[4] == 0b01000 == inputs.public_signals(shape)[4]


def test_two_perfect_workers_are_not_duplicates() -> None:
    """Agreeing on every right answer says nothing about copying: only shared mistakes do."""
    shape = CircuitShape(workers=3, canaries=16)
    rng = random.Random(3)
    answers = bytes(rng.randrange(10) for _ in range(16))
    wrong = answers[:-1] + bytes([(answers[-1] + 1) % 10])
    inputs = ScoringInputs(7, 1234, answers, rng.randrange(R), (answers, answers, wrong))
    assert duplicate_mask(inputs.padded_outputs(shape), answers) == 0
    b = scoring_circuit(shape, inputs)
    b.system().check(b.witness())
    assert b.public_values()[4] == 0
    copied = ScoringInputs(7, 1234, answers, 5, (wrong, answers, wrong))
    assert copied.public_signals(shape)[4] == 0b100
    b = scoring_circuit(shape, copied)
    b.system().check(b.witness())
    assert b.public_values()[4] == 0b100


def test_packing_keeps_lengths_apart():
    assert pack_bytes(b"") == []
    assert len(pack_bytes(bytes(62))) == 2
    assert evaluation_commitment(b"\x01", 5) != evaluation_commitment(b"\x01\x00", 5)
    assert outputs_commitment([b"\x01\x02"]) != outputs_commitment([b"\x01", b"\x02"])


@pytest.mark.parametrize(
    "shape", [CircuitShape(1, 1), CircuitShape(2, 3), SMALL, CircuitShape(2, 40)]
)
def test_circuit_accepts_true_scores_for_every_shape(shape):
    hits = [shape.canaries, 0, shape.canaries // 2][: shape.workers]
    inputs = inputs_for(shape, hits)
    b = scoring_circuit(shape, inputs)
    b.system().check(b.witness())
    public = b.public_values()
    assert public == inputs.public_signals(shape)
    assert public[SIGNALS_BEFORE_SCORES : SIGNALS_BEFORE_SCORES + len(hits)] == [
        score(h, shape.canaries) for h in hits
    ]
    # the same constraints with or without a witness: one setup serves every round
    assert b.system().digest() == scoring_circuit(shape).system().digest()


def test_empty_score_slots_are_padded_with_no_answer_and_score_zero():
    inputs = inputs_for(SMALL, [5])
    assert inputs.public_signals(SMALL)[5:] == [100, 0, 0]
    assert inputs.padded_outputs(SMALL)[2] == bytes([NO_ANSWER]) * 5


def test_circuit_rejects_a_wrong_score():
    inputs = inputs_for(SMALL, [5, 2, 0])
    b = scoring_circuit(SMALL, inputs)
    witness = b.witness()
    for slot, bad in ((4, 39), (4, 41), (5, 0), (6, 1), (4, 40 + R - 64)):
        tampered = list(witness)
        tampered[1 + slot] = bad
        with pytest.raises(UnsatisfiedCircuit):
            b.system().check(tampered)


@pytest.mark.parametrize("slot", [2, 3])
def test_circuit_rejects_a_wrong_commitment(slot):
    b = scoring_circuit(SMALL, inputs_for(SMALL, [5, 2, 0]))
    witness = b.witness()
    witness[1 + slot] = (witness[1 + slot] + 1) % R
    with pytest.raises(UnsatisfiedCircuit):
        b.system().check(witness)


def test_inputs_that_do_not_fit_the_shape_are_malformed():
    good = inputs_for(SMALL, [5, 2])
    bad = [
        (replace(good, answers=good.answers[:4]), "expected 5 answers"),
        (replace(good, answers=b"\xff" + good.answers[1:]), "reserved"),
        (replace(good, outputs=good.outputs * 2), "workers' outputs"),
        (replace(good, outputs=(b"\x00",)), "has 1 outputs"),
        (replace(good, round_id=R), "round_id"),
        (replace(good, salt=-1), "salt"),
    ]
    for inputs, message in bad:
        with pytest.raises(MalformedInput, match=message):
            inputs.check(SMALL)
    with pytest.raises(MalformedInput):
        CircuitShape(0, 16)


def test_proof_of_scores_verifies_and_binds_round_scores_and_commitments(small_keys):
    inputs = inputs_for(SMALL, [5, 3, 1])
    result = prove_scores(small_keys, inputs)
    assert result.scores == (100, 60, 20)
    assert result.round_id == 7
    assert verify_scores(small_keys.vk, result)
    for index in range(len(result.public_signals)):
        signals = list(result.public_signals)
        signals[index] = (signals[index] + 1) % R
        assert not verify_scores(small_keys.vk, replace(result, public_signals=tuple(signals)))


def test_key_and_proof_folders_round_trip(small_keys, tmp_path):
    save_keys(small_keys, tmp_path / "keys")
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == [
        "Groth16Verifier.sol",
        "circuit.r1cs",
        "proving_key.bin",
        "verification_key.json",
    ]
    loaded = load_keys(tmp_path / "keys")
    assert loaded == small_keys
    result = prove_scores(loaded, inputs_for(SMALL, [4, 4, 4]))
    write_proof(result, loaded.vk, tmp_path / "proof")
    vk, read_back = read_proof(tmp_path / "proof")
    assert (vk, read_back) == (small_keys.vk, result)
    assert verify_scores(vk, read_back)


def test_keys_for_another_circuit_are_refused(small_keys, tmp_path):
    save_keys(small_keys, tmp_path)
    meta_swapped = setup_scoring(CircuitShape(3, 4), random.Random(1))
    with pytest.raises(KeyMismatch):
        prove_scores(replace(meta_swapped, shape=SMALL), inputs_for(SMALL, [1]))
    with pytest.raises(MalformedInput, match="run `memjit oracle setup`"):
        load_keys(tmp_path / "missing")


def test_evaluation_set_draws_distinct_digits_and_round_trips():
    digits = load_digits_test()
    evaluation = draw_canaries(digits, 16, random.Random(3))
    assert len(evaluation) == 16 and evaluation.item_size == 64
    assert len(set(evaluation.inputs)) == 16
    assert all(a < 10 for a in evaluation.answers)
    assert EvaluationSet.from_json(evaluation.to_json()) == evaluation
    assert draw_canaries(digits, 16).salt != draw_canaries(digits, 16).salt
    doctored = evaluation.to_json() | {"answers": "00" * 16}
    with pytest.raises(MalformedInput, match="commitment does not match"):
        EvaluationSet.from_json(doctored)
    with pytest.raises(MalformedInput):
        EvaluationSet.from_json({"format": "memjit-evaluation/1", "task": "x"})
    with pytest.raises(MalformedInput):
        draw_canaries(digits, 451)


def test_default_shape_proves_a_digits_round():
    shape = CircuitShape()
    keys = setup_scoring(shape, random.Random(11))
    evaluation = draw_canaries(load_digits_test(), shape.canaries, random.Random(4))
    perfect = evaluation.answers
    wrong = bytes((a + 1) % 10 for a in perfect)
    outputs = (perfect, wrong, canary_outputs(None, 16), perfect[:10] + wrong[10:])
    inputs = ScoringInputs(3, 99, evaluation.answers, evaluation.salt, outputs)
    result = prove_scores(keys, inputs)
    assert result.scores == (100, 0, 0, 63, 0)
    assert result.public_signals[2] == evaluation.commitment()
    assert [matches(o, perfect) for o in outputs] == [16, 0, 0, 10]
    assert verify_scores(keys.vk, result)


def test_the_chain_layer_and_the_contract_agree_on_the_signal_layout() -> None:
    from protocol.artifacts import load_artifact
    from protocol.chain import deployment

    assert deployment.SIGNALS_BEFORE_SCORES == SIGNALS_BEFORE_SCORES
    abi_names = {item.get("name") for item in load_artifact("UtilityOracle").abi}
    # The contract's own layout is checked on-chain by test_oracle's public-signal tests.
    assert "SIGNALS_BEFORE_SCORES" in abi_names
