"""WorkerRegistry and SWT, through web3, on the embedded chain and on anvil."""

from __future__ import annotations

import pytest

from protocol.chain.contracts import WorkerStatus, encode_capability, worker_id
from protocol.chain.transactions import call, transact
from protocol.errors import ContractReverted
from tests.conftest import TEST_CONFIG, World
from tests.helpers import SWT, advance_time

CAP = "digits-8x8"


def assert_books_balanced(world: World) -> None:
    mj = world.mj
    stakes = sum(mj.worker(wid).stake for wid in mj.worker_ids())
    assert stakes == mj.total_staked() == mj.balance_of(mj.registry.address)


def test_register_bonds_the_stake_and_records_the_worker(world: World):
    mj, alice = world.mj, world.owners[0]
    before = mj.balance_of(alice.address)
    wid, _ = mj.register_worker(alice, "bafkrei-a", 150 * SWT, CAP, permit=False)
    info = mj.worker(wid)
    assert wid == worker_id(alice.address, "bafkrei-a")
    assert (info.owner, info.status, info.stake, info.cid, info.capability) == (
        alice.address,
        WorkerStatus.ACTIVE,
        150 * SWT,
        "bafkrei-a",
        CAP,
    )
    assert mj.balance_of(alice.address) == before - 150 * SWT
    assert_books_balanced(world)


def test_register_with_permit_needs_no_prior_approval(world: World):
    mj, alice = world.mj, world.owners[0]
    wid, _ = mj.register_worker(alice, "bafkrei-permit", 120 * SWT, CAP, permit=True)
    assert mj.worker(wid).stake == 120 * SWT
    assert call(world.chain, mj.swt.functions.allowance(alice.address, mj.registry.address)) == 0


def test_register_with_a_permit_signed_by_someone_else_is_rejected(world: World):
    mj, alice, mallory = world.mj, world.owners[0], world.owners[1]
    deadline = 2**40
    v, r, s = mj.sign_permit(mallory, mj.registry.address, 100 * SWT, deadline)
    fn = mj.registry.functions.registerWithPermit(
        "bafkrei-x", 100 * SWT, encode_capability(CAP), deadline, v, r, s
    )
    with pytest.raises(ContractReverted) as err:
        transact(world.chain, alice, fn)
    assert err.value.name == "ERC2612InvalidSigner"


def test_register_rejects_stake_below_minimum(world: World):
    with pytest.raises(ContractReverted) as err:
        world.mj.register_worker(world.owners[0], "bafkrei-cheap", 99 * SWT, CAP)
    assert err.value.name == "WorkerRegistryStakeTooLow"
    assert err.value.error_args == {"stake": 99 * SWT, "minStake": TEST_CONFIG.min_stake_wei}
    assert "WorkerRegistryStakeTooLow(stake=99000000000000000000" in str(err.value)


def test_register_rejects_the_same_owner_and_cid_twice(world: World):
    mj, alice, bob = world.mj, world.owners[0], world.owners[1]
    mj.register_worker(alice, "bafkrei-dup", 100 * SWT, CAP)
    with pytest.raises(ContractReverted, match="WorkerRegistryWorkerExists"):
        mj.register_worker(alice, "bafkrei-dup", 100 * SWT, CAP)
    # Another owner may register the same module: the id binds owner and CID.
    mj.register_worker(bob, "bafkrei-dup", 100 * SWT, CAP)


@pytest.mark.parametrize("cid", ["", "b" * 129])
def test_register_rejects_empty_or_oversized_cids(world: World, cid: str):
    with pytest.raises(ContractReverted, match="WorkerRegistryInvalidCid"):
        world.mj.register_worker(world.owners[0], cid, 100 * SWT, CAP)


def test_add_stake_grows_the_bond_and_only_the_owner_may(world: World):
    mj, alice, bob = world.mj, world.owners[0], world.owners[1]
    wid, _ = mj.register_worker(alice, "bafkrei-s", 100 * SWT, CAP)
    mj.add_stake(alice, wid, 25 * SWT, permit=True)
    mj.add_stake(alice, wid, 5 * SWT, permit=False)
    assert mj.worker(wid).stake == 130 * SWT
    with pytest.raises(ContractReverted) as err:
        mj.add_stake(bob, wid, 1 * SWT)
    assert err.value.name == "WorkerRegistryNotWorkerOwner"
    assert err.value.error_args["caller"] == bob.address
    assert_books_balanced(world)


def test_exit_unbonds_and_withdraw_waits_for_the_delay(world: World):
    mj, alice = world.mj, world.owners[0]
    wid, _ = mj.register_worker(alice, "bafkrei-exit", 100 * SWT, CAP)
    before = mj.balance_of(alice.address)
    mj.exit_worker(alice, wid)
    info = mj.worker(wid)
    assert info.status == WorkerStatus.EXITING
    with pytest.raises(ContractReverted) as err:
        mj.withdraw(alice, wid)
    assert err.value.name == "WorkerRegistryStillUnbonding"
    assert err.value.error_args["unbondsAt"] == info.unbonds_at
    with pytest.raises(ContractReverted, match="WrongStatus"):
        mj.add_stake(alice, wid, SWT)
    advance_time(world.chain, TEST_CONFIG.unbonding_delay_s + 1)
    mj.withdraw(alice, wid)
    assert mj.balance_of(alice.address) == before + 100 * SWT
    assert mj.worker(wid).status == WorkerStatus.WITHDRAWN
    with pytest.raises(ContractReverted, match="WrongStatus"):
        mj.withdraw(alice, wid)
    assert_books_balanced(world)


def test_only_the_owner_can_exit(world: World):
    wid, _ = world.mj.register_worker(world.owners[0], "bafkrei-o", 100 * SWT, CAP)
    with pytest.raises(ContractReverted, match="WorkerRegistryNotWorkerOwner"):
        world.mj.exit_worker(world.owners[1], wid)


def test_unknown_worker_is_reported_by_id(world: World):
    with pytest.raises(ContractReverted) as err:
        world.mj.exit_worker(world.owners[0], b"\x01" * 32)
    assert err.value.name == "WorkerRegistryUnknownWorker"


@pytest.mark.parametrize("fn_name", ["slash", "terminate", "recordScore"])
def test_only_the_oracle_slashes_terminates_and_records(world: World, fn_name: str):
    mj, alice = world.mj, world.owners[0]
    wid, _ = mj.register_worker(alice, "bafkrei-ac", 100 * SWT, CAP)
    args = {"slash": (wid, SWT, alice.address), "terminate": (wid,), "recordScore": (wid, 50)}[
        fn_name
    ]
    for who in (alice, world.admin):
        with pytest.raises(ContractReverted) as err:
            transact(world.chain, who, getattr(mj.registry.functions, fn_name)(*args))
        assert err.value.name == "WorkerRegistryUnauthorizedOracle"
        assert err.value.error_args == {"caller": who.address, "oracle": mj.oracle.address}


def test_only_the_oracle_mints_and_the_roles_are_fixed_once(world: World):
    mj, admin = world.mj, world.admin
    assert call(world.chain, mj.swt.functions.minter()) == mj.oracle.address
    with pytest.raises(ContractReverted, match="SWTUnauthorizedMinter"):
        transact(world.chain, admin, mj.swt.functions.mint(admin.address, 1))
    with pytest.raises(ContractReverted, match="SWTMinterAlreadySet"):
        transact(world.chain, admin, mj.swt.functions.setMinter(admin.address))
    with pytest.raises(ContractReverted, match="SWTUnauthorizedMinterSetup"):
        transact(world.chain, world.owners[0], mj.swt.functions.setMinter(admin.address))
    with pytest.raises(ContractReverted, match="WorkerRegistryOracleAlreadySet"):
        transact(world.chain, admin, mj.registry.functions.setOracle(admin.address))


def test_faucet_is_capped_and_limited_to_devnets(world: World):
    swt = world.mj.swt.functions
    with pytest.raises(ContractReverted, match="SWTFaucetLimitExceeded"):
        world.mj.faucet(world.owners[0], 100_001 * SWT)
    assert call(world.chain, swt.isDevnet(world.chain.chain_id)) is True
    assert call(world.chain, swt.isDevnet(1)) is False  # mainnet
    assert call(world.chain, swt.isDevnet(10)) is False  # OP mainnet


def test_min_stake_is_owner_governed(world: World):
    registry = world.mj.registry.functions
    transact(world.chain, world.admin, registry.setMinStake(200 * SWT))
    assert call(world.chain, registry.minStake()) == 200 * SWT
    with pytest.raises(ContractReverted, match="OwnableUnauthorizedAccount"):
        transact(world.chain, world.owners[0], registry.setMinStake(0))
    with pytest.raises(ContractReverted, match="WorkerRegistryStakeTooLow"):
        world.mj.register_worker(world.owners[0], "bafkrei-m", 150 * SWT, CAP)


def test_capability_index_lists_workers_by_capability(world: World):
    mj = world.mj
    a, _ = mj.register_worker(world.owners[0], "bafkrei-1", 100 * SWT, CAP)
    b, _ = mj.register_worker(world.owners[1], "bafkrei-2", 100 * SWT, "sentiment")
    registry = mj.registry.functions
    listed = call(world.chain, registry.capabilityWorkerIds(encode_capability(CAP), 0, 10))
    assert [bytes(x) for x in listed] == [a]
    assert call(world.chain, registry.capabilityWorkerCount(encode_capability("sentiment"))) == 1
    assert [bytes(x) for x in call(world.chain, registry.workerIds(1, 10))] == [b]
    assert call(world.chain, registry.workerIds(5, 10)) == []
