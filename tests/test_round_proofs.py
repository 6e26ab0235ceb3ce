"""Rounds closed with real proofs: the packaged development keys and the verifier generated
from them, on the embedded chain and on anvil. The UtilityOracle must reject every tampered
variant: a score, the round id, a commitment, a proof point."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

import pytest

from oracle.circuit import ScoringInputs
from oracle.datasets import load_digits_test
from oracle.evaluation import EvaluationSet, draw_canaries
from oracle.keys import Proof
from oracle.prover import (
    ScoreProof,
    dev_keys_folder,
    load_dev_keys,
    prove_scores,
    render_keys_verifier,
)
from oracle.scoring import canary_outputs
from oracle.solidity import proof_to_calldata
from protocol.chain import MemJitContracts, RoundCommitments, RoundStatus, WorkerStatus
from protocol.chain.connection import Chain
from protocol.chain.deployment import deploy_memjit, verifier_artifact
from protocol.chain.events import WorkerEliminated, of_type
from protocol.chain.signers import Signer, devnet_signer
from protocol.chain.types import Termination
from protocol.errors import ContractReverted
from tests.conftest import TEST_CONFIG
from tests.helpers import ROOT, SWT, revert, snapshot

#: Explicit gas: estimating re-runs the pairing ~10 times on the embedded chain.
CLOSE_GAS = 3_000_000
REQUEST = 4242


def test_packaged_verifier_is_generated_from_the_packaged_keys():
    keys = load_dev_keys()
    assert (keys.shape.workers, keys.shape.canaries) == (5, 16)
    generated = render_keys_verifier(keys)
    assert (ROOT / "contracts" / "Groth16Verifier.sol").read_text() == generated, (
        "stale: run tools/regen-devkeys.sh"
    )
    assert sorted(p.name for p in dev_keys_folder().iterdir()) == [
        "proving_key.bin",
        "verification_key.json",
    ]


@dataclass
class Deployed:
    chain: Chain
    mj: MemJitContracts
    admin: Signer
    ids: list[bytes]
    evaluation: EvaluationSet


@pytest.fixture(scope="module")
def deployed(module_chain: Chain) -> Deployed:
    chain = module_chain
    admin = devnet_signer(chain, 0)
    mj = MemJitContracts(
        chain, deploy_memjit(chain, admin, TEST_CONFIG, verifier=verifier_artifact()).deployment
    )
    ids = []
    for i in range(3):
        owner = devnet_signer(chain, i + 1)
        mj.token.faucet(owner, 1_000 * SWT)
        ids.append(mj.registry.register(owner, f"bafkrei-proof-{i}", 200 * SWT, "digits-8x8")[0])
    evaluation = draw_canaries(load_digits_test(), 16, random.Random(21))
    return Deployed(chain, mj, admin, ids, evaluation)


@pytest.fixture
def world(deployed: Deployed) -> Any:
    snap = snapshot(deployed.chain)
    yield deployed
    revert(deployed.chain, snap)


def open_round(w: Deployed, evaluation_commitment: int | None = None) -> int:
    commitment = (
        w.evaluation.commitment() if evaluation_commitment is None else evaluation_commitment
    )
    return w.mj.rounds.open(w.admin, w.ids, REQUEST, commitment).round_id


def outputs(w: Deployed) -> tuple[bytes, ...]:
    answers = w.evaluation.answers
    good = answers[:15] + bytes([(answers[15] + 1) % 10])  # 15 of 16: 94
    return (answers, good, canary_outputs(None, 16))  # 100, 94, and a failed worker


def prove(w: Deployed, round_id: int, **changes: Any) -> ScoreProof:
    inputs = ScoringInputs(round_id, REQUEST, w.evaluation.answers, w.evaluation.salt, outputs(w))
    return prove_scores(load_dev_keys(), replace(inputs, **changes))


def close(
    w: Deployed,
    round_id: int,
    result: ScoreProof,
    scores: list[int] | None = None,
    outputs_commitment: int | None = None,
    proof: Proof | None = None,
    duplicates: int | None = None,
) -> Any:
    return w.mj.rounds.close(
        w.admin,
        round_id,
        w.ids,
        RoundCommitments(
            REQUEST,
            w.evaluation.commitment(),
            result.outputs_commitment if outputs_commitment is None else outputs_commitment,
        ),
        result.duplicates if duplicates is None else duplicates,
        list(result.scores[: len(w.ids)]) if scores is None else scores,
        proof_to_calldata(proof or result.proof),
        gas=CLOSE_GAS,
    ).tx


def assert_invalid(action: Any, round_id: int) -> None:
    with pytest.raises(ContractReverted) as err:
        action()
    assert (err.value.name, err.value.error_args) == (
        "UtilityOracleInvalidProof",
        {"roundId": round_id},
    )


def test_a_proved_round_closes_and_settles(world: Deployed):
    round_id = open_round(world)
    result = prove(world, round_id)
    assert result.scores == (100, 94, 0, 0, 0)
    tx = close(world, round_id, result)
    assert world.mj.rounds.get(round_id).status == RoundStatus.CLOSED
    assert [world.mj.registry.worker(i).last_score for i in world.ids] == [100, 94, 0]
    assert [world.mj.registry.worker(i).strikes for i in world.ids] == [0, 0, 1]
    print(f"closeRound with a real proof, 3 workers on {world.chain.kind}: {tx.gas_used} gas")


def test_a_worker_failing_proved_rounds_is_terminated_at_the_strike_limit(world: Deployed):
    mj, failed = world.mj, world.ids[2]
    for strike in range(1, TEST_CONFIG.strike_limit + 1):
        round_id = open_round(world)
        tx = close(world, round_id, prove(world, round_id))
        eliminated = of_type(mj.event_log.decode_receipt(tx.receipt), WorkerEliminated)
        info = mj.registry.worker(failed)
        assert (info.last_score, info.strikes) == (0, strike)
        if strike < TEST_CONFIG.strike_limit:
            assert eliminated == [] and info.status == WorkerStatus.ACTIVE
    (event,) = eliminated
    assert (event.round_id, event.worker_id, event.reason, event.by) == (
        round_id,
        failed,
        Termination.STRIKES,
        world.admin.address,
    )
    assert info.status == WorkerStatus.TERMINATED
    assert mj.registry.capability_worker_ids("digits-8x8") == world.ids[:2]
    assert [mj.registry.worker(i).status for i in world.ids[:2]] == [WorkerStatus.ACTIVE] * 2


def test_tampered_scores_are_rejected(world: Deployed):
    round_id = open_round(world)
    result = prove(world, round_id)
    for scores in ([100, 95, 0], [94, 100, 0], [100, 94, 1]):
        assert_invalid(lambda s=scores: close(world, round_id, result, scores=s), round_id)


def test_a_proof_for_another_round_is_rejected(world: Deployed):
    first = open_round(world)
    second = open_round(world)
    assert_invalid(lambda: close(world, second, prove(world, first)), second)


def test_tampered_commitments_are_rejected(world: Deployed):
    round_id = open_round(world)
    result = prove(world, round_id)
    assert_invalid(
        lambda: close(world, round_id, result, outputs_commitment=result.outputs_commitment + 1),
        round_id,
    )
    # proved against other answers than the ones committed when the round opened
    other_salt = prove(world, round_id, salt=world.evaluation.salt + 1)
    assert_invalid(lambda: close(world, round_id, other_salt), round_id)
    # a round opened on another request
    assert_invalid(
        lambda: close(world, round_id, prove(world, round_id, request_commitment=1)), round_id
    )


def test_tampered_proof_points_are_rejected(world: Deployed):
    round_id = open_round(world)
    result = prove(world, round_id)
    other = prove(world, round_id).proof  # a second valid proof of the same statement
    p = result.proof
    (x0, x1), (y0, y1) = p.b
    for bad in (
        Proof(other.a, p.b, p.c),
        Proof(p.a, other.b, p.c),
        Proof(p.a, p.b, other.c),
        Proof(p.a, ((x1, x0), (y1, y0)), p.c),  # B in the wrong coordinate order
        Proof(p.c, p.b, p.a),
    ):
        assert_invalid(lambda b=bad: close(world, round_id, result, proof=b), round_id)
    close(world, round_id, result, proof=other)  # the genuine alternative still closes it
