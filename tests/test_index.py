"""The worker index: built from the registry's events, it lists what the registry's own reads
list, on the embedded chain and on anvil, and each sync reads only the blocks since the last."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from protocol.chain import MemJitContracts, WorkerIndex, WorkerInfo, WorkerStatus, latest_block
from protocol.chain.connection import Chain, advance_time
from protocol.chain.signers import Signer, devnet_signer
from protocol.errors import ChainError
from tests.helpers import SWT, deploy_recorded_registry, revert, snapshot

CAP = "digits-8x8"
OTHER = "sentiment"
UNBONDING_S = 600


@dataclass(frozen=True)
class RegistryWorld:
    """A registry whose oracle is a plain account, so the test scores, slashes and
    terminates directly."""

    chain: Chain
    mj: MemJitContracts
    oracle: Signer
    owners: tuple[Signer, ...]


@pytest.fixture(scope="module")
def module_registry(module_chain: Chain) -> RegistryWorld:
    chain = module_chain
    admin, oracle = devnet_signer(chain, 0), devnet_signer(chain, 9)
    mj = deploy_recorded_registry(chain, admin, oracle, SWT, UNBONDING_S)
    owners = tuple(devnet_signer(chain, i) for i in (1, 2, 3))
    for owner in owners:
        mj.token.faucet(owner, 10_000 * SWT)
    return RegistryWorld(chain, mj, oracle, owners)


@pytest.fixture
def reg(module_registry: RegistryWorld) -> Iterator[RegistryWorld]:
    """The module's registry, rolled back after each test."""
    snap = snapshot(module_registry.chain)
    yield module_registry
    revert(module_registry.chain, snap)


def from_registry(reg: RegistryWorld, wid: bytes) -> WorkerInfo:
    """The registry's own record of ``wid``, without the one field events do not carry."""
    return dataclasses.replace(reg.mj.registry.worker(wid), last_used=0)


def registry_active(reg: RegistryWorld, capability: str) -> list[WorkerInfo]:
    """``capability_workers`` in serial order, without ``last_used``."""
    workers = reg.mj.registry.capability_workers(capability)
    return [dataclasses.replace(w, last_used=0) for w in sorted(workers, key=lambda w: w.serial)]


def register(reg: RegistryWorld, count: int, capability: str = CAP, tag: str = "w") -> list[bytes]:
    return [
        reg.mj.registry.register(
            reg.owners[i % len(reg.owners)], f"bafkrei-{tag}{i}", (10 + i) * SWT, capability
        )[0]
        for i in range(count)
    ]


def test_index_lists_what_the_registry_lists_field_by_field(
    reg: RegistryWorld, monkeypatch: pytest.MonkeyPatch
):
    # Ranges of 3 blocks: the history spans many eth_getLogs calls.
    monkeypatch.setattr("protocol.chain.events.LOG_CHUNK_BLOCKS", 3)
    registry, oracle, owners = reg.mj.registry, reg.oracle, reg.owners
    index = WorkerIndex(reg.mj)
    ids = register(reg, 6)
    (other,) = register(reg, 1, OTHER, tag="o")
    index.sync()  # a first sync halfway: the rest arrives in a second one
    registry.add_stake(owners[0], ids[0], 5 * SWT)
    registry.add_stake(owners[1], ids[1], 7 * SWT, permit=False)
    for score in (90, 80, 70):
        registry.record_score(oracle, ids[0], score, floor=20)
    registry.record_score(oracle, ids[1], 10, floor=20)  # a strike
    registry.record_score(oracle, ids[2], 60, duplicate=True)  # no usefulness
    registry.record_score(oracle, other, 55)
    registry.slash(oracle, ids[1], 3 * SWT, oracle.address)
    registry.exit(owners[2], ids[2])
    registry.terminate(oracle, ids[3])
    registry.slash(oracle, ids[3], SWT, oracle.address)  # still bonded after termination
    index.sync()

    for capability in (CAP, OTHER):
        assert index.active(capability) == registry_active(reg, capability)
    assert [w.id for w in index.active(CAP)] == [ids[0], ids[1], ids[4], ids[5]]
    for wid in ids:  # the workers that left too, by id
        assert index.worker(wid) == from_registry(reg, wid)
    first, struck = index.active(CAP)[:2]
    assert (first.rounds_scored, first.stake, first.last_score) == (3, 15 * SWT, 70)
    assert first.usefulness > 0
    assert (struck.strikes, struck.stake) == (1, (11 + 7 - 3) * SWT)
    assert index.synced_block == latest_block(reg.chain).number
    assert len(index) == 7


def test_exited_and_terminated_workers_leave_and_terminations_are_remembered(reg: RegistryWorld):
    registry = reg.mj.registry
    index = WorkerIndex(reg.mj)
    exited, terminated, staying = register(reg, 3)
    registry.exit(reg.owners[0], exited)
    registry.terminate(reg.oracle, terminated)
    index.sync()
    assert [w.id for w in index.active(CAP)] == [staying]
    assert index.terminated(CAP) == frozenset({terminated})
    assert index.terminated(OTHER) == frozenset()
    assert index.active(OTHER) == []
    assert index.worker(exited).status == WorkerStatus.EXITING  # type: ignore[union-attr]
    assert index.worker(terminated).status == WorkerStatus.TERMINATED  # type: ignore[union-attr]

    advance_time(reg.chain, UNBONDING_S + 1)
    registry.withdraw(reg.owners[0], exited)
    index.sync()
    withdrawn = index.worker(exited)
    assert withdrawn == from_registry(reg, exited)
    assert withdrawn is not None and (withdrawn.status, withdrawn.stake) == (
        WorkerStatus.WITHDRAWN,
        0,
    )
    assert index.worker(b"\x01" * 32) is None


def test_a_sync_reads_only_the_blocks_since_the_last(
    reg: RegistryWorld, monkeypatch: pytest.MonkeyPatch
):
    scans: list[tuple[int, int]] = []
    scan = reg.mj.event_log.scan

    def spy(first_block: int, last_block: int, contracts: list[str]):
        assert contracts == ["WorkerRegistry"]
        scans.append((first_block, last_block))
        return scan(first_block, last_block, contracts)

    monkeypatch.setattr(reg.mj.event_log, "scan", spy)
    index = WorkerIndex(reg.mj)
    assert index.synced_block == reg.mj.deployment.block_number - 1
    register(reg, 2)
    head = latest_block(reg.chain).number
    index.sync()
    assert scans == [(reg.mj.deployment.block_number, head)]
    index.sync()  # nothing new: no log read at all
    assert len(scans) == 1
    (wid,) = register(reg, 1, tag="late")
    index.sync()
    assert scans[1] == (head + 1, latest_block(reg.chain).number)
    assert [w.id for w in index.active(CAP)][-1] == wid


def test_an_index_that_missed_a_registration_says_so(reg: RegistryWorld):
    (wid,) = register(reg, 1)
    after = dataclasses.replace(reg.mj.deployment, block_number=latest_block(reg.chain).number + 1)
    index = WorkerIndex(MemJitContracts(reg.chain, after))
    reg.mj.registry.record_score(reg.oracle, wid, 50)
    with pytest.raises(ChainError, match=r"ScoreRecorded .* registration the index never read"):
        index.sync()
