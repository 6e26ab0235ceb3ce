"""WorkerRegistry and SWT, through web3, on the embedded chain and on anvil."""

from __future__ import annotations

import pytest

from protocol.chain import WorkerStatus, worker_id
from protocol.chain.connection import advance_time
from protocol.errors import ContractReverted
from tests.conftest import TEST_CONFIG, World
from tests.helpers import SWT

CAP = "digits-8x8"


def assert_books_balanced(world: World) -> None:
    mj = world.mj
    stakes = sum(mj.registry.worker(wid).stake for wid in mj.registry.worker_ids())
    assert stakes == mj.registry.total_staked() == mj.token.balance_of(mj.registry.address)


def test_register_bonds_the_stake_and_records_the_worker(world: World):
    mj, alice = world.mj, world.owners[0]
    before = mj.token.balance_of(alice.address)
    wid, _ = mj.registry.register(alice, "bafkrei-a", 150 * SWT, CAP, permit=False)
    info = mj.registry.worker(wid)
    assert wid == worker_id(alice.address, "bafkrei-a")
    assert (info.owner, info.status, info.stake, info.cid, info.capability) == (
        alice.address,
        WorkerStatus.ACTIVE,
        150 * SWT,
        "bafkrei-a",
        CAP,
    )
    assert mj.token.balance_of(alice.address) == before - 150 * SWT
    assert_books_balanced(world)


def test_register_with_permit_needs_no_prior_approval(world: World):
    mj, alice = world.mj, world.owners[0]
    wid, _ = mj.registry.register(alice, "bafkrei-permit", 120 * SWT, CAP, permit=True)
    assert mj.registry.worker(wid).stake == 120 * SWT
    assert mj.token.allowance(alice.address, mj.registry.address) == 0


def test_register_with_a_permit_signed_by_someone_else_is_rejected(world: World):
    mj, alice, mallory = world.mj, world.owners[0], world.owners[1]
    deadline = 2**40
    permit = mj.token.sign_permit(mallory, mj.registry.address, 100 * SWT, deadline)
    with pytest.raises(ContractReverted) as err:
        mj.registry.register_with_permit(alice, "bafkrei-x", 100 * SWT, CAP, permit)
    assert err.value.name == "ERC2612InvalidSigner"


def test_register_rejects_stake_below_minimum(world: World):
    with pytest.raises(ContractReverted) as err:
        world.mj.registry.register(world.owners[0], "bafkrei-cheap", 99 * SWT, CAP)
    assert err.value.name == "WorkerRegistryStakeTooLow"
    assert err.value.error_args == {"stake": 99 * SWT, "minStake": TEST_CONFIG.min_stake_wei}
    assert "WorkerRegistryStakeTooLow(stake=99000000000000000000" in str(err.value)


def test_a_cid_has_one_registrant_ever(world: World):
    mj, alice, bob = world.mj, world.owners[0], world.owners[1]
    wid, _ = mj.registry.register(alice, "bafkrei-dup", 100 * SWT, CAP)
    assert mj.registry.worker_id_of_cid("bafkrei-dup") == wid
    assert mj.registry.worker_id_of_cid("bafkrei-other") is None
    with pytest.raises(ContractReverted, match="WorkerRegistryWorkerExists"):
        mj.registry.register(alice, "bafkrei-dup", 100 * SWT, CAP)
    # A copy registered by another owner is refused, and costs nothing.
    balance, staked = mj.token.balance_of(bob.address), mj.registry.total_staked()
    with pytest.raises(ContractReverted) as err:
        mj.registry.register(bob, "bafkrei-dup", 100 * SWT, CAP)
    assert (err.value.name, err.value.error_args) == (
        "WorkerRegistryCidTaken",
        {"cid": "bafkrei-dup", "id": wid},
    )
    assert (mj.token.balance_of(bob.address), mj.registry.total_staked()) == (balance, staked)
    # Even after the first registrant has left.
    mj.registry.exit(alice, wid)
    with pytest.raises(ContractReverted, match="WorkerRegistryCidTaken"):
        mj.registry.register(bob, "bafkrei-dup", 100 * SWT, CAP)


def test_workers_are_numbered_in_registration_order(world: World):
    mj = world.mj
    ids = [
        mj.registry.register(world.owners[i % 2], f"bafkrei-n{i}", 100 * SWT, CAP)[0]
        for i in range(3)
    ]
    serials = [mj.registry.worker(w).serial for w in ids]
    assert serials == sorted(serials) and len(set(serials)) == 3
    assert serials[-1] == len(mj.registry.worker_ids())


@pytest.mark.parametrize("cid", ["", "b" * 129])
def test_register_rejects_empty_or_oversized_cids(world: World, cid: str):
    with pytest.raises(ContractReverted, match="WorkerRegistryInvalidCid"):
        world.mj.registry.register(world.owners[0], cid, 100 * SWT, CAP)


def test_add_stake_grows_the_bond_and_only_the_owner_may(world: World):
    mj, alice, bob = world.mj, world.owners[0], world.owners[1]
    wid, _ = mj.registry.register(alice, "bafkrei-s", 100 * SWT, CAP)
    mj.registry.add_stake(alice, wid, 25 * SWT, permit=True)
    mj.registry.add_stake(alice, wid, 5 * SWT, permit=False)
    assert mj.registry.worker(wid).stake == 130 * SWT
    with pytest.raises(ContractReverted) as err:
        mj.registry.add_stake(bob, wid, 1 * SWT)
    assert err.value.name == "WorkerRegistryNotWorkerOwner"
    assert err.value.error_args["caller"] == bob.address
    assert_books_balanced(world)


def test_exit_unbonds_and_withdraw_waits_for_the_delay(world: World):
    mj, alice = world.mj, world.owners[0]
    wid, _ = mj.registry.register(alice, "bafkrei-exit", 100 * SWT, CAP)
    before = mj.token.balance_of(alice.address)
    mj.registry.exit(alice, wid)
    info = mj.registry.worker(wid)
    assert info.status == WorkerStatus.EXITING
    with pytest.raises(ContractReverted) as err:
        mj.registry.withdraw(alice, wid)
    assert err.value.name == "WorkerRegistryStillUnbonding"
    assert err.value.error_args["unbondsAt"] == info.unbonds_at
    with pytest.raises(ContractReverted, match="WrongStatus"):
        mj.registry.add_stake(alice, wid, SWT)
    advance_time(world.chain, TEST_CONFIG.unbonding_delay_s + 1)
    mj.registry.withdraw(alice, wid)
    assert mj.token.balance_of(alice.address) == before + 100 * SWT
    assert mj.registry.worker(wid).status == WorkerStatus.WITHDRAWN
    with pytest.raises(ContractReverted, match="WrongStatus"):
        mj.registry.withdraw(alice, wid)
    assert_books_balanced(world)


def test_only_the_owner_can_exit(world: World):
    wid, _ = world.mj.registry.register(world.owners[0], "bafkrei-o", 100 * SWT, CAP)
    with pytest.raises(ContractReverted, match="WorkerRegistryNotWorkerOwner"):
        world.mj.registry.exit(world.owners[1], wid)


def test_unknown_worker_is_reported_by_id(world: World):
    with pytest.raises(ContractReverted) as err:
        world.mj.registry.exit(world.owners[0], b"\x01" * 32)
    assert err.value.name == "WorkerRegistryUnknownWorker"


@pytest.mark.parametrize("fn_name", ["slash", "terminate", "recordScore"])
def test_only_the_oracle_slashes_terminates_and_records(world: World, fn_name: str):
    mj, alice = world.mj, world.owners[0]
    wid, _ = mj.registry.register(alice, "bafkrei-ac", 100 * SWT, CAP)
    calls = {
        "slash": lambda who: mj.registry.slash(who, wid, SWT, alice.address),
        "terminate": lambda who: mj.registry.terminate(who, wid),
        "recordScore": lambda who: mj.registry.record_score(who, wid, 50),
    }
    for who in (alice, world.admin):
        with pytest.raises(ContractReverted) as err:
            calls[fn_name](who)
        assert err.value.name == "WorkerRegistryUnauthorizedOracle"
        assert err.value.error_args == {"caller": who.address, "oracle": mj.rounds.address}


def test_only_the_oracle_mints_and_the_roles_are_fixed_once(world: World):
    mj, admin = world.mj, world.admin
    assert mj.token.minter() == mj.rounds.address
    with pytest.raises(ContractReverted, match="SWTUnauthorizedMinter"):
        mj.token.mint(admin, admin.address, 1)
    with pytest.raises(ContractReverted, match="SWTMinterAlreadySet"):
        mj.token.set_minter(admin, admin.address)
    with pytest.raises(ContractReverted, match="SWTUnauthorizedMinterSetup"):
        mj.token.set_minter(world.owners[0], admin.address)
    with pytest.raises(ContractReverted, match="WorkerRegistryOracleAlreadySet"):
        mj.registry.set_oracle(admin, admin.address)


def test_faucet_is_capped_and_limited_to_devnets(world: World):
    token = world.mj.token
    with pytest.raises(ContractReverted, match="SWTFaucetLimitExceeded"):
        token.faucet(world.owners[0], 100_001 * SWT)
    assert token.is_devnet(world.chain.chain_id) is True
    assert token.is_devnet(1) is False  # mainnet
    assert token.is_devnet(10) is False  # OP mainnet


def test_min_stake_is_owner_governed(world: World):
    registry = world.mj.registry
    registry.set_min_stake(world.admin, 200 * SWT)
    assert registry.min_stake() == 200 * SWT
    with pytest.raises(ContractReverted, match="OwnableUnauthorizedAccount"):
        registry.set_min_stake(world.owners[0], 0)
    with pytest.raises(ContractReverted, match="WorkerRegistryZeroMinStake"):
        registry.set_min_stake(world.admin, 0)
    with pytest.raises(ContractReverted, match="WorkerRegistryStakeTooLow"):
        world.mj.registry.register(world.owners[0], "bafkrei-m", 150 * SWT, CAP)


def test_capability_index_lists_workers_by_capability(world: World):
    mj = world.mj
    a, _ = mj.registry.register(world.owners[0], "bafkrei-1", 100 * SWT, CAP)
    b, _ = mj.registry.register(world.owners[1], "bafkrei-2", 100 * SWT, "sentiment")
    registry = mj.registry
    assert registry.capability_worker_ids(CAP, 0, 10) == [a]
    assert registry.capability_worker_count("sentiment") == 1
    assert registry.worker_ids(1, 10) == [b]
    assert registry.worker_ids(5, 10) == []


def test_the_capability_index_lists_only_active_workers(world: World):
    registry = world.mj.registry
    ids = [
        registry.register(world.owners[i], f"bafkrei-act-{i}", 100 * SWT, CAP)[0] for i in range(4)
    ]
    assert registry.capability_worker_ids(CAP) == ids
    registry.exit(world.owners[1], ids[1])  # the last takes the leaver's place
    assert registry.capability_worker_ids(CAP) == [ids[0], ids[3], ids[2]]
    registry.exit(world.owners[2], ids[2])  # the last itself: simply gone
    assert registry.capability_worker_ids(CAP) == [ids[0], ids[3]]
    assert registry.capability_worker_count(CAP) == 2
    assert registry.capability_worker_ids(CAP, 1, 5) == [ids[3]]
    # The registration order still lists every worker ever registered.
    assert registry.worker_ids()[-4:] == ids
    assert [registry.worker(w).status for w in ids] == [
        WorkerStatus.ACTIVE,
        WorkerStatus.EXITING,
        WorkerStatus.EXITING,
        WorkerStatus.ACTIVE,
    ]
