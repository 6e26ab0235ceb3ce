"""Hypothesis stateful test: random register / add stake / slash / record a score / terminate /
exit / withdraw sequences against a real anvil, checking after every step that the stake
books balance (the sum of all stakes equals the registry's totalStaked and its SWT balance,
and no token is created or destroyed between the actors and the registry), and that the
capability's index and population statistics hold exactly its active workers."""

from __future__ import annotations

from dataclasses import astuple

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from protocol.artifacts import load_artifact
from protocol.chain import MemJitContracts, WorkerStatus
from protocol.chain.connection import Chain, advance_time, connect
from protocol.chain.deployment import Deployment
from protocol.chain.signers import Signer, devnet_signer
from protocol.chain.transactions import deploy
from protocol.errors import ContractReverted
from tests.helpers import SWT, UsefulnessBook, revert, snapshot

UNBONDING_S = 600
MIN_STAKE = 10 * SWT
CAP = "digits-8x8"
FLOOR = 20


class Deployed:
    """A registry whose oracle is a plain account, so the test can slash, record scores and
    terminate directly."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        admin = devnet_signer(chain, 0)
        self.slasher = devnet_signer(chain, 9)
        self.owners = [devnet_signer(chain, i) for i in (1, 2, 3)]
        swt, _ = deploy(chain, admin, load_artifact("SWT"))
        registry, _ = deploy(
            chain, admin, load_artifact("WorkerRegistry"), swt, MIN_STAKE, UNBONDING_S
        )
        oracle_stub = admin.address  # the oracle contract is not part of this test
        self.mj = MemJitContracts(
            chain, Deployment(chain.chain_id, swt, registry, oracle_stub, None, admin.address, 0)
        )
        self.mj.registry.set_oracle(admin, self.slasher.address)
        for owner in self.owners:
            self.mj.token.faucet(owner, 10_000 * SWT)
        self.actors: list[Signer] = [*self.owners, self.slasher]
        self.supply = sum(self.mj.token.balance_of(a.address) for a in self.actors)


@pytest.fixture(scope="module")
def deployed(anvil) -> Deployed:
    return Deployed(connect(anvil.url))


class StakeBooks(RuleBasedStateMachine):
    d: Deployed

    def __init__(self) -> None:
        super().__init__()
        self.snap = snapshot(self.d.chain)
        self.workers: list[tuple[bytes, Signer]] = []
        self.counter = 0
        self.book = UsefulnessBook()
        self.strikes: dict[bytes, int] = {}

    def teardown(self) -> None:
        revert(self.d.chain, self.snap)

    def _status(self, wid: bytes) -> WorkerStatus:
        return self.d.mj.registry.worker(wid).status

    @initialize()
    def start(self) -> None:
        assert self.d.mj.registry.total_staked() == 0

    @rule(owner=st.integers(0, 2), stake=st.integers(0, 300))
    def register(self, owner: int, stake: int) -> None:
        signer = self.d.owners[owner]
        self.counter += 1
        cid = f"bafkrei-{self.counter}"
        try:
            wid, _ = self.d.mj.registry.register(
                signer, cid, stake * SWT, CAP, permit=stake % 2 == 0
            )
        except ContractReverted as err:
            assert stake * SWT < MIN_STAKE and err.name == "WorkerRegistryStakeTooLow"
            return
        assert stake * SWT >= MIN_STAKE
        self.workers.append((wid, signer))

    @precondition(lambda self: self.workers)
    @rule(data=st.data(), amount=st.integers(1, 100))
    def add_stake(self, data: st.DataObject, amount: int) -> None:
        wid, owner = data.draw(st.sampled_from(self.workers))
        before = self.d.mj.registry.worker(wid)
        try:
            self.d.mj.registry.add_stake(owner, wid, amount * SWT)
        except ContractReverted as err:
            assert before.status != WorkerStatus.ACTIVE and err.name == "WorkerRegistryWrongStatus"
            return
        assert self.d.mj.registry.worker(wid).stake == before.stake + amount * SWT

    @precondition(lambda self: self.workers)
    @rule(data=st.data(), amount=st.integers(0, 400))
    def slash(self, data: st.DataObject, amount: int) -> None:
        wid, _ = data.draw(st.sampled_from(self.workers))
        before = self.d.mj.registry.worker(wid)
        try:
            self.d.mj.registry.slash(self.d.slasher, wid, amount * SWT, self.d.slasher.address)
        except ContractReverted as err:
            assert (
                before.status == WorkerStatus.WITHDRAWN and err.name == "WorkerRegistryWrongStatus"
            )
            return
        assert self.d.mj.registry.worker(wid).stake == before.stake - min(
            before.stake, amount * SWT
        )

    @precondition(lambda self: self.workers)
    @rule(data=st.data())
    def exit(self, data: st.DataObject) -> None:
        wid, owner = data.draw(st.sampled_from(self.workers))
        was = self._status(wid)
        try:
            self.d.mj.registry.exit(owner, wid)
        except ContractReverted as err:
            assert was != WorkerStatus.ACTIVE and err.name == "WorkerRegistryWrongStatus"
            return
        assert was == WorkerStatus.ACTIVE and self._status(wid) == WorkerStatus.EXITING
        self.book.leave(CAP, wid)

    @precondition(lambda self: self.workers)
    @rule(data=st.data(), score=st.integers(0, 100), duplicate=st.booleans())
    def record_score(self, data: st.DataObject, score: int, duplicate: bool) -> None:
        wid, _ = data.draw(st.sampled_from(self.workers))
        was = self._status(wid)
        try:
            self.d.mj.registry.record_score(self.d.slasher, wid, score, duplicate, FLOOR)
        except ContractReverted as err:
            assert was != WorkerStatus.ACTIVE and err.name == "WorkerRegistryWrongStatus"
            return
        before = self.strikes.get(wid, 0)
        self.strikes[wid] = before + 1 if score < FLOOR else max(before - 1, 0)
        info = self.d.mj.registry.worker(wid)
        assert info.usefulness == self.book.record(CAP, wid, score, duplicate)
        assert info.strikes == self.strikes[wid]

    @precondition(lambda self: self.workers)
    @rule(data=st.data())
    def terminate(self, data: st.DataObject) -> None:
        wid, _ = data.draw(st.sampled_from(self.workers))
        was = self._status(wid)
        try:
            self.d.mj.registry.terminate(self.d.slasher, wid)
        except ContractReverted as err:
            assert was != WorkerStatus.ACTIVE and err.name == "WorkerRegistryWrongStatus"
            return
        assert was == WorkerStatus.ACTIVE and self._status(wid) == WorkerStatus.TERMINATED
        self.book.leave(CAP, wid)

    @rule(seconds=st.sampled_from([1, UNBONDING_S // 2, UNBONDING_S + 1]))
    def wait(self, seconds: int) -> None:
        advance_time(self.d.chain, seconds)

    @precondition(lambda self: self.workers)
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        wid, owner = data.draw(st.sampled_from(self.workers))
        before = self.d.mj.registry.worker(wid)
        balance = self.d.mj.token.balance_of(owner.address)
        try:
            self.d.mj.registry.withdraw(owner, wid)
        except ContractReverted as err:
            assert err.name in ("WorkerRegistryWrongStatus", "WorkerRegistryStillUnbonding")
            leaving = (WorkerStatus.EXITING, WorkerStatus.TERMINATED)
            assert before.status not in leaving or err.name == "WorkerRegistryStillUnbonding"
            return
        assert self.d.mj.token.balance_of(owner.address) == balance + before.stake

    @invariant()
    def books_balance(self) -> None:
        mj = self.d.mj
        stakes = sum(mj.registry.worker(wid).stake for wid, _ in self.workers)
        held = mj.token.balance_of(mj.registry.address)
        assert stakes == mj.registry.total_staked() == held
        assert sum(mj.token.balance_of(a.address) for a in self.d.actors) + held == self.d.supply

    @invariant()
    def only_active_workers_are_indexed_and_counted(self) -> None:
        registry = self.d.mj.registry
        active = {wid for wid, _ in self.workers if self._status(wid) == WorkerStatus.ACTIVE}
        listed = registry.capability_worker_ids(CAP)
        assert len(listed) == len(active) and set(listed) == active
        assert astuple(registry.population_stats(CAP)) == self.book.stats(CAP)


@pytest.mark.anvil
def test_stake_books_balance_under_random_operations(deployed: Deployed) -> None:
    StakeBooks.d = deployed
    run_state_machine_as_test(
        StakeBooks,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert deployed.mj.registry.total_staked() == 0  # every example rolled back
