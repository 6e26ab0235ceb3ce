"""The WorkerRegistry: workers, their stake and their standing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract.contract import ContractFunction

from protocol.artifacts import load_artifact
from protocol.chain.connection import Chain
from protocol.chain.signers import Signer
from protocol.chain.token import Token
from protocol.chain.transactions import TxResult, bind, call, transact
from protocol.chain.types import (
    Permit,
    PopulationStats,
    WorkerInfo,
    WorkerStatus,
    decode_capability,
    encode_capability,
    worker_id,
)

#: Ids per ``workerIds``/``capabilityWorkerIds`` call.
ID_PAGE = 200


class Registry:
    """The WorkerRegistry contract of a deployment; stake is pulled from ``token``."""

    def __init__(self, chain: Chain, address: ChecksumAddress, token: Token) -> None:
        self.chain = chain
        self.address = address
        self.token = token
        self._registry = bind(chain, address, load_artifact("WorkerRegistry").abi)

    # -- reads ---------------------------------------------------------------------------

    def worker(self, wid: bytes) -> WorkerInfo:
        raw: Any = call(self.chain, self._registry.functions.worker(wid))
        return WorkerInfo(
            id=wid,
            owner=Web3.to_checksum_address(raw[0]),
            status=WorkerStatus(raw[1]),
            last_score=int(raw[2]),
            usefulness=int(raw[3]),
            last_used=int(raw[4]),
            rounds_scored=int(raw[5]),
            stake=int(raw[6]),
            unbonds_at=int(raw[7]),
            serial=int(raw[8]),
            strikes=int(raw[9]),
            capability=decode_capability(bytes(raw[10])),
            cid=str(raw[11]),
        )

    def worker_id_of_cid(self, cid: str) -> bytes | None:
        """The id of the worker registered at ``cid`` (by any owner), or None: a CID has one
        registrant, ever."""
        wid = bytes(call(self.chain, self._registry.functions.workerIdOfCid(cid)))
        return None if wid == bytes(32) else wid

    def worker_ids(self, offset: int = 0, limit: int | None = None) -> list[bytes]:
        """Registered workers in registration order from ``offset``: ``limit`` of them, or all
        (read in pages of :data:`ID_PAGE`)."""
        fns = self._registry.functions
        total = int(call(self.chain, fns.workerCount())) if limit is None else None
        return self._ids(fns.workerIds, offset, limit, total)

    def capability_worker_count(self, capability: str) -> int:
        """How many workers of ``capability`` are active."""
        fn = self._registry.functions.capabilityWorkerCount(encode_capability(capability))
        return int(call(self.chain, fn))

    def capability_worker_ids(
        self, capability: str, offset: int = 0, limit: int | None = None
    ) -> list[bytes]:
        """The active workers of ``capability`` (in no fixed order once one has left), from
        ``offset``: ``limit`` of them, or all."""
        cap = encode_capability(capability)
        total = self.capability_worker_count(capability) if limit is None else None
        page = self._registry.functions.capabilityWorkerIds
        return self._ids(lambda start, size: page(cap, start, size), offset, limit, total)

    def capability_workers(self, capability: str) -> list[WorkerInfo]:
        """Every active worker of ``capability``, one call each (the engine's index reads
        them from events instead: :mod:`protocol.chain.index`)."""
        return [self.worker(wid) for wid in self.capability_worker_ids(capability)]

    def _ids(
        self,
        page: Callable[[int, int], ContractFunction],
        offset: int,
        limit: int | None,
        total: int | None,
    ) -> list[bytes]:
        if limit is not None:
            return [bytes(x) for x in call(self.chain, page(offset, limit))]
        assert total is not None
        ids: list[bytes] = []
        for start in range(offset, total, ID_PAGE):
            ids += [bytes(x) for x in call(self.chain, page(start, ID_PAGE))]
        return ids

    def total_staked(self) -> int:
        return int(call(self.chain, self._registry.functions.totalStaked()))

    def population_stats(self, capability: str) -> PopulationStats:
        fn = self._registry.functions.populationStats(encode_capability(capability))
        count, total, squares = call(self.chain, fn)
        return PopulationStats(int(count), int(total), int(squares))

    def min_stake(self) -> int:
        return int(call(self.chain, self._registry.functions.minStake()))

    def unbonding_delay_s(self) -> int:
        return int(call(self.chain, self._registry.functions.unbondingDelay()))

    # -- staking -------------------------------------------------------------------------

    def register(
        self, signer: Signer, cid: str, stake_wei: int, capability: str, permit: bool = True
    ) -> tuple[bytes, TxResult]:
        """Registers the worker at ``cid`` with ``stake_wei`` bonded; its id and the
        transaction. With ``permit`` the approval is an EIP-2612 signature inside the same
        transaction; otherwise an ``approve`` transaction goes first."""
        if permit:
            signed = self._permit(signer, stake_wei)
            return self.register_with_permit(signer, cid, stake_wei, capability, signed)
        self.token.approve(signer, self.address, stake_wei)
        fn = self._registry.functions.register(cid, stake_wei, encode_capability(capability))
        return worker_id(signer.address, cid), transact(self.chain, signer, fn)

    def register_with_permit(
        self, signer: Signer, cid: str, stake_wei: int, capability: str, permit: Permit
    ) -> tuple[bytes, TxResult]:
        """Registers with a permit signed beforehand (by anyone: the token checks it)."""
        fn = self._registry.functions.registerWithPermit(
            cid, stake_wei, encode_capability(capability), *permit.as_args()
        )
        return worker_id(signer.address, cid), transact(self.chain, signer, fn)

    def add_stake(
        self, signer: Signer, wid: bytes, amount_wei: int, permit: bool = True
    ) -> TxResult:
        """Adds ``amount_wei`` to the stake of ``wid`` (anyone may top a worker up)."""
        fns = self._registry.functions
        if permit:
            signed = self._permit(signer, amount_wei)
            return transact(
                self.chain, signer, fns.addStakeWithPermit(wid, amount_wei, *signed.as_args())
            )
        self.token.approve(signer, self.address, amount_wei)
        return transact(self.chain, signer, fns.addStake(wid, amount_wei))

    def _permit(self, signer: Signer, amount_wei: int) -> Permit:
        return self.token.sign_permit(
            signer, self.address, amount_wei, self.token.permit_deadline()
        )

    def exit(self, signer: Signer, wid: bytes) -> TxResult:
        return transact(self.chain, signer, self._registry.functions.exit(wid))

    def withdraw(self, signer: Signer, wid: bytes) -> TxResult:
        return transact(self.chain, signer, self._registry.functions.withdraw(wid))

    # -- the oracle's and the admin's ----------------------------------------------------

    def set_oracle(self, signer: Signer, oracle: str) -> TxResult:
        """Names the contract allowed to slash, terminate and record scores; the deployer
        may do it once."""
        fn = self._registry.functions.setOracle(Web3.to_checksum_address(oracle))
        return transact(self.chain, signer, fn)

    def set_min_stake(self, signer: Signer, amount_wei: int) -> TxResult:
        """The price of a new worker identity; the owner (the deployer) only."""
        return transact(self.chain, signer, self._registry.functions.setMinStake(amount_wei))

    def slash(self, signer: Signer, wid: bytes, amount_wei: int, to: str) -> TxResult:
        """Slashes ``amount_wei`` of the stake of ``wid`` to ``to``; the oracle only."""
        fn = self._registry.functions.slash(wid, amount_wei, Web3.to_checksum_address(to))
        return transact(self.chain, signer, fn)

    def terminate(self, signer: Signer, wid: bytes) -> TxResult:
        """Terminates ``wid``; the oracle only."""
        return transact(self.chain, signer, self._registry.functions.terminate(wid))

    def record_score(
        self, signer: Signer, wid: bytes, score: int, duplicate: bool = False, floor: int = 0
    ) -> TxResult:
        """Records a round score of ``wid`` (a strike when under ``floor``); the oracle only."""
        fn = self._registry.functions.recordScore(wid, score, duplicate, floor)
        return transact(self.chain, signer, fn)
