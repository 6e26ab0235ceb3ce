"""The chain layer's events: one frozen dataclass per event of every contract, decoded from
real receipts and block ranges on the embedded chain and on anvil."""

from __future__ import annotations

import dataclasses

import pytest

from protocol.artifacts import load_artifact
from protocol.chain import RoundCommitments, latest_block
from protocol.chain.events import (
    EVENT_CLASSES,
    RewardMinted,
    RoundClosed,
    RoundOpened,
    ScoreRecorded,
    StakeAdded,
    Transfer,
    WorkerRegistered,
    event_fields,
    field_name,
    of_type,
)
from tests.conftest import World
from tests.helpers import SWT, fake_proof

CAP = "digits-8x8"


@pytest.mark.parametrize("contract", sorted(EVENT_CLASSES))
def test_every_event_of_every_contract_has_a_class_with_its_parameters(contract: str):
    declared = {
        item["name"]: [field_name(p["name"]) for p in item["inputs"]]
        for item in load_artifact(contract).abi
        if item["type"] == "event"
    }
    classes = {cls.__name__: event_fields(cls) for cls in EVENT_CLASSES[contract]}
    assert classes == declared
    for cls in EVENT_CLASSES[contract]:
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_field_names_follow_python():
    assert [field_name(n) for n in ("unbondsAt", "from", "id", "EIP712")] == [
        "unbonds_at",
        "from_",
        "id",
        "e_i_p712",
    ]


def test_a_round_decodes_from_its_receipts_and_from_the_block_range(world: World):
    mj, owners = world.mj, world.owners
    first = latest_block(world.chain).number + 1
    ids = []
    for i in range(3):
        wid, tx = mj.registry.register(owners[i], f"bafkrei-ev-{i}", 150 * SWT, CAP)
        ids.append(wid)
        (registered,) = of_type(mj.event_log.decode_receipt(tx.receipt), WorkerRegistered)
        assert (registered.id, registered.owner, registered.capability, registered.cid) == (
            wid,
            owners[i].address,
            CAP,
            f"bafkrei-ev-{i}",
        )
        assert registered.stake == 150 * SWT and registered.tx_hash == tx.tx_hash
        assert registered.serial == mj.registry.worker(wid).serial
        # the stake moved from the owner to the registry: SWT's own event, decoded too
        (moved,) = of_type(mj.event_log.decode_receipt(tx.receipt), Transfer)
        assert (moved.from_, moved.to, moved.value) == (
            owners[i].address,
            mj.registry.address,
            150 * SWT,
        )
    assert [mj.registry.worker(w).serial for w in ids[1:]] == [
        mj.registry.worker(w).serial + 1 for w in ids[:-1]
    ]
    mj.registry.add_stake(owners[0], ids[0], 5 * SWT)
    seed = latest_block(world.chain).number - 3
    opened = mj.rounds.open(world.admin, ids, 1, 2, seed_block=seed)
    commitments = RoundCommitments(1, 2, 3)
    proof = fake_proof(mj.rounds.public_signals(opened.round_id, commitments, 0, [90, 80, 10]))
    closed = mj.rounds.close(world.admin, opened.round_id, ids, commitments, 0, [90, 80, 10], proof)
    settlement = closed.settlement
    assert set(settlement.rewards) == {ids[0], ids[1]} and set(settlement.slashed) == {ids[2]}
    assert settlement.terminated == frozenset()
    recorded = of_type(mj.event_log.decode_receipt(closed.tx.receipt), ScoreRecorded)
    assert [(e.id, e.score, e.rounds_scored, e.strikes) for e in recorded] == [
        (ids[0], 90, 1, 0),
        (ids[1], 80, 1, 0),
        (ids[2], 10, 1, 1),  # under the floor of 20: a strike
    ]
    assert {e.id: e.usefulness for e in recorded} == settlement.usefulness
    assert [e.usefulness for e in recorded] == [mj.registry.worker(w).usefulness for w in ids]

    scanned = [
        event
        for _, events in mj.event_log.scan(
            first, latest_block(world.chain).number, ("WorkerRegistry", "UtilityOracle")
        )
        for event in events
    ]
    assert {e.contract for e in scanned} == {"WorkerRegistry", "UtilityOracle"}
    assert [type(e).__name__ for e in scanned if not isinstance(e, ScoreRecorded)][:5] == [
        "WorkerRegistered",
        "WorkerRegistered",
        "WorkerRegistered",
        "StakeAdded",
        "RoundOpened",
    ]
    (opened_event,) = of_type(scanned, RoundOpened)
    assert opened_event.worker_ids == tuple(ids) and opened_event.round_id == opened.round_id
    assert opened_event.seed_block == seed
    (closed_event,) = of_type(scanned, RoundClosed)
    assert closed_event.scores == (90, 80, 10) and closed_event.outputs_commitment == 3
    assert {r.worker_id: r.amount for r in of_type(scanned, RewardMinted)} == settlement.rewards
    assert of_type(scanned, StakeAdded)[0].new_stake == 155 * SWT
    assert not of_type(scanned, Transfer)  # SWT was not asked for
    order = [(e.block_number, e.log_index) for e in scanned]
    assert order == sorted(order)
    assert all(dataclasses.is_dataclass(e) for e in scanned)
