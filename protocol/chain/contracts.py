"""Typed access to a deployed MemJit: the token, the registry and the oracle."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_account.messages import encode_typed_data
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from protocol.artifacts import load_artifact
from protocol.chain.connection import Chain
from protocol.chain.deployment import Deployment
from protocol.chain.signers import Signer
from protocol.chain.transactions import TxResult, call, transact
from protocol.errors import ConfigError

PERMIT_TTL_S = 3_600


class WorkerStatus(enum.IntEnum):
    """Mirrors ``WorkerStatus`` in IWorkerRegistry.sol."""

    NONE = 0
    ACTIVE = 1
    EXITING = 2
    TERMINATED = 3
    WITHDRAWN = 4


class RoundStatus(enum.IntEnum):
    """Mirrors ``RoundStatus`` in IUtilityOracle.sol."""

    NONE = 0
    OPEN = 1
    CLOSED = 2
    ABANDONED = 3


@dataclass(frozen=True)
class WorkerInfo:
    """One worker as the registry stores it."""

    id: bytes
    owner: ChecksumAddress
    status: WorkerStatus
    last_score: int
    #: Usefulness in hundredths of a point (0-10000).
    usefulness: int
    last_used: int
    rounds_scored: int
    stake: int
    unbonds_at: int
    capability: str
    cid: str


def encode_capability(name: str) -> bytes:
    """A capability name ("digits-8x8") as the registry's right-padded bytes32."""
    raw = name.encode("ascii", errors="replace")
    if not name or len(raw) > 31 or not name.isprintable() or "?" in raw.decode():
        raise ConfigError(f"capability must be 1-31 printable ASCII characters, got {name!r}")
    return raw.ljust(32, b"\0")


def decode_capability(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", errors="replace")


def worker_id(owner: str, cid: str) -> bytes:
    """``keccak256(abi.encode(owner, cid))``, as the registry computes it."""
    return bytes(Web3.keccak(encode(["address", "string"], [Web3.to_checksum_address(owner), cid])))


class MemJitContracts:
    """The three contracts of one deployment, with typed helpers for common operations."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.deployment = deployment
        w3 = chain.w3
        self.swt: Contract = w3.eth.contract(address=deployment.swt, abi=load_artifact("SWT").abi)
        self.registry: Contract = w3.eth.contract(
            address=deployment.registry, abi=load_artifact("WorkerRegistry").abi
        )
        self.oracle: Contract = w3.eth.contract(
            address=deployment.oracle, abi=load_artifact("UtilityOracle").abi
        )

    # -- token ---------------------------------------------------------------------------

    def balance_of(self, address: str) -> int:
        return int(
            call(self.chain, self.swt.functions.balanceOf(Web3.to_checksum_address(address)))
        )

    def faucet(self, signer: Signer, amount_wei: int) -> TxResult:
        """Mints test SWT to ``signer`` (local devnets only)."""
        return transact(self.chain, signer, self.swt.functions.faucet(amount_wei))

    def approve(self, signer: Signer, spender: str, amount_wei: int) -> TxResult:
        return transact(self.chain, signer, self.swt.functions.approve(spender, amount_wei))

    def sign_permit(
        self, signer: Signer, spender: str, value: int, deadline: int
    ) -> tuple[int, bytes, bytes]:
        """An EIP-2612 permit for ``spender`` to pull ``value`` SWT, as (v, r, s)."""
        nonce = int(call(self.chain, self.swt.functions.nonces(signer.address)))
        typed = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Permit": [
                    {"name": "owner", "type": "address"},
                    {"name": "spender", "type": "address"},
                    {"name": "value", "type": "uint256"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ],
            },
            "primaryType": "Permit",
            "domain": {
                "name": "MemJit Worker Token",
                "version": "1",
                "chainId": self.chain.chain_id,
                "verifyingContract": self.swt.address,
            },
            "message": {
                "owner": signer.address,
                "spender": Web3.to_checksum_address(spender),
                "value": value,
                "nonce": nonce,
                "deadline": deadline,
            },
        }
        signed = signer.account.sign_message(encode_typed_data(full_message=typed))
        return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")

    def _deadline(self) -> int:
        latest = self.chain.w3.eth.get_block("latest")
        return int(max(latest["timestamp"], int(time.time()))) + PERMIT_TTL_S

    # -- registry ------------------------------------------------------------------------

    def register_worker(
        self, signer: Signer, cid: str, stake_wei: int, capability: str, permit: bool = True
    ) -> tuple[bytes, TxResult]:
        """Registers the worker at ``cid`` with ``stake_wei`` bonded. With ``permit`` the
        approval is an EIP-2612 signature inside the same transaction; otherwise an
        ``approve`` transaction goes first."""
        cap = encode_capability(capability)
        registry = self.registry.functions
        result = self._pull_stake(
            signer,
            stake_wei,
            permit,
            plain=registry.register(cid, stake_wei, cap),
            with_permit=lambda *sig: registry.registerWithPermit(cid, stake_wei, cap, *sig),
        )
        return worker_id(signer.address, cid), result

    def add_stake(
        self, signer: Signer, wid: bytes, amount_wei: int, permit: bool = True
    ) -> TxResult:
        registry = self.registry.functions
        return self._pull_stake(
            signer,
            amount_wei,
            permit,
            plain=registry.addStake(wid, amount_wei),
            with_permit=lambda *sig: registry.addStakeWithPermit(wid, amount_wei, *sig),
        )

    def _pull_stake(
        self,
        signer: Signer,
        amount_wei: int,
        permit: bool,
        plain: ContractFunction,
        with_permit: Callable[..., ContractFunction],
    ) -> TxResult:
        """Sends a registry call that pulls ``amount_wei`` SWT from ``signer``: with
        ``permit``, ``with_permit(deadline, v, r, s)`` carries an EIP-2612 signature; otherwise
        an ``approve`` transaction goes first and ``plain`` follows."""
        if permit:
            deadline = self._deadline()
            fn = with_permit(
                deadline, *self.sign_permit(signer, self.registry.address, amount_wei, deadline)
            )
        else:
            self.approve(signer, self.registry.address, amount_wei)
            fn = plain
        return transact(self.chain, signer, fn)

    def exit_worker(self, signer: Signer, wid: bytes) -> TxResult:
        return transact(self.chain, signer, self.registry.functions.exit(wid))

    def withdraw(self, signer: Signer, wid: bytes) -> TxResult:
        return transact(self.chain, signer, self.registry.functions.withdraw(wid))

    def worker(self, wid: bytes) -> WorkerInfo:
        raw: Any = call(self.chain, self.registry.functions.worker(wid))
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
            capability=decode_capability(bytes(raw[8])),
            cid=str(raw[9]),
        )

    def total_staked(self) -> int:
        return int(call(self.chain, self.registry.functions.totalStaked()))

    def worker_ids(self) -> list[bytes]:
        count = int(call(self.chain, self.registry.functions.workerCount()))
        ids: list[bytes] = []
        page = 200
        for offset in range(0, count, page):
            ids += [
                bytes(x) for x in call(self.chain, self.registry.functions.workerIds(offset, page))
            ]
        return ids

    def population_stats(self) -> tuple[int, int, int]:
        n, total, squares = call(self.chain, self.registry.functions.populationStats())
        return int(n), int(total), int(squares)
