"""Every event the MemJit contracts emit, decoded into frozen dataclasses.

One class per event of SWT, WorkerRegistry and UtilityOracle (OpenZeppelin's included), named
as the contract names it, with the ABI's parameters in order and in snake_case (``from``
becomes ``from_``), plus where the log came from (:class:`ChainEvent`). Values are Python's:
addresses checksummed, ``bytes32`` as bytes (a capability as its name), arrays as tuples, the
``OracleParams`` struct as :class:`~protocol.chain.types.OracleParams`.

:class:`EventLog` is the only place logs are decoded: the engine reads a round's settlement
from its close receipt, and the dashboard its history from :meth:`EventLog.scan`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from enum import IntEnum
from functools import cache
from typing import Any, NamedTuple, TypeVar, get_type_hints

from eth_abi.abi import decode
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3 import Web3
from web3.types import LogReceipt, TxReceipt

from protocol.artifacts import abi_type, load_artifact
from protocol.chain.connection import Chain
from protocol.chain.transactions import translate_errors
from protocol.chain.types import OracleParams, Termination, decode_capability

#: Blocks per eth_getLogs call: public RPC providers cap the range (10,000 is a common limit).
LOG_CHUNK_BLOCKS = 5_000


@dataclass(frozen=True, kw_only=True)
class ChainEvent:
    """Where an event was emitted."""

    #: The emitting contract's name (``WorkerRegistry``) and address.
    contract: str
    address: ChecksumAddress
    block_number: int
    tx_hash: str
    log_index: int


# -- SWT -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Transfer(ChainEvent):
    from_: ChecksumAddress
    to: ChecksumAddress
    value: int


@dataclass(frozen=True, kw_only=True)
class Approval(ChainEvent):
    owner: ChecksumAddress
    spender: ChecksumAddress
    value: int


@dataclass(frozen=True, kw_only=True)
class DelegateChanged(ChainEvent):
    delegator: ChecksumAddress
    from_delegate: ChecksumAddress
    to_delegate: ChecksumAddress


@dataclass(frozen=True, kw_only=True)
class DelegateVotesChanged(ChainEvent):
    delegate: ChecksumAddress
    previous_votes: int
    new_votes: int


@dataclass(frozen=True, kw_only=True)
class EIP712DomainChanged(ChainEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class MinterSet(ChainEvent):
    minter: ChecksumAddress


# -- WorkerRegistry ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WorkerRegistered(ChainEvent):
    id: bytes
    owner: ChecksumAddress
    capability: str
    cid: str
    stake: int
    serial: int


@dataclass(frozen=True, kw_only=True)
class StakeAdded(ChainEvent):
    id: bytes
    from_: ChecksumAddress
    amount: int
    new_stake: int


@dataclass(frozen=True, kw_only=True)
class WorkerExited(ChainEvent):
    id: bytes
    unbonds_at: int


@dataclass(frozen=True, kw_only=True)
class StakeWithdrawn(ChainEvent):
    id: bytes
    owner: ChecksumAddress
    amount: int


@dataclass(frozen=True, kw_only=True)
class WorkerSlashed(ChainEvent):
    id: bytes
    amount: int
    to: ChecksumAddress


@dataclass(frozen=True, kw_only=True)
class WorkerTerminated(ChainEvent):
    id: bytes
    unbonds_at: int


@dataclass(frozen=True, kw_only=True)
class ScoreRecorded(ChainEvent):
    id: bytes
    score: int
    usefulness: int
    rounds_scored: int
    strikes: int


@dataclass(frozen=True, kw_only=True)
class MinStakeChanged(ChainEvent):
    old_min_stake: int
    new_min_stake: int


@dataclass(frozen=True, kw_only=True)
class OracleSet(ChainEvent):
    oracle: ChecksumAddress


@dataclass(frozen=True, kw_only=True)
class OwnershipTransferred(ChainEvent):
    previous_owner: ChecksumAddress
    new_owner: ChecksumAddress


# -- UtilityOracle -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RoundOpened(ChainEvent):
    round_id: int
    worker_ids: tuple[bytes, ...]
    request_commitment: int
    evaluation_commitment: int
    deadline: int
    seed_block: int


@dataclass(frozen=True, kw_only=True)
class RoundClosed(ChainEvent):
    round_id: int
    outputs_commitment: int
    scores: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class RoundAbandoned(ChainEvent):
    round_id: int
    by: ChecksumAddress


@dataclass(frozen=True, kw_only=True)
class RewardMinted(ChainEvent):
    round_id: int
    worker_id: bytes
    owner: ChecksumAddress
    amount: int


@dataclass(frozen=True, kw_only=True)
class SlashDistributed(ChainEvent):
    round_id: int
    to: ChecksumAddress
    amount: int


@dataclass(frozen=True, kw_only=True)
class DuplicateAnswers(ChainEvent):
    round_id: int
    worker_id: bytes


@dataclass(frozen=True, kw_only=True)
class WorkerEliminated(ChainEvent):
    round_id: int
    worker_id: bytes
    by: ChecksumAddress
    reason: Termination
    usefulness: int
    slashed: int
    bounty: int


@dataclass(frozen=True, kw_only=True)
class ParamsChanged(ChainEvent):
    params: OracleParams


@dataclass(frozen=True, kw_only=True)
class RoleGranted(ChainEvent):
    role: bytes
    account: ChecksumAddress
    sender: ChecksumAddress


@dataclass(frozen=True, kw_only=True)
class RoleRevoked(ChainEvent):
    role: bytes
    account: ChecksumAddress
    sender: ChecksumAddress


@dataclass(frozen=True, kw_only=True)
class RoleAdminChanged(ChainEvent):
    role: bytes
    previous_admin_role: bytes
    new_admin_role: bytes


#: The contracts whose events are decoded, and each one's event classes.
EVENT_CLASSES: dict[str, tuple[type[ChainEvent], ...]] = {
    "SWT": (
        Transfer,
        Approval,
        DelegateChanged,
        DelegateVotesChanged,
        EIP712DomainChanged,
        MinterSet,
    ),
    "WorkerRegistry": (
        WorkerRegistered,
        StakeAdded,
        WorkerExited,
        StakeWithdrawn,
        WorkerSlashed,
        WorkerTerminated,
        ScoreRecorded,
        MinStakeChanged,
        OracleSet,
        OwnershipTransferred,
    ),
    "UtilityOracle": (
        RoundOpened,
        RoundClosed,
        RoundAbandoned,
        RewardMinted,
        SlashDistributed,
        DuplicateAnswers,
        WorkerEliminated,
        ParamsChanged,
        RoleGranted,
        RoleRevoked,
        RoleAdminChanged,
    ),
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def field_name(abi_name: str) -> str:
    """An ABI parameter's name as a Python field: ``unbondsAt`` → ``unbonds_at``."""
    name = _CAMEL.sub("_", abi_name).lower()
    return name + "_" if name in ("from", "global", "in", "is") else name


class _Param(NamedTuple):
    name: str
    #: Canonical ABI type (``bytes32[]``) and the Python type of the event class's field.
    kind: str
    hint: Any
    indexed: bool


@dataclass(frozen=True)
class _EventSpec:
    contract: str
    cls: type[ChainEvent]
    params: tuple[_Param, ...]

    def decode(self, log: LogReceipt, address: ChecksumAddress) -> ChainEvent:
        indexed = [p for p in self.params if p.indexed]
        plain = [p for p in self.params if not p.indexed]
        raw: dict[str, Any] = {}
        for param, topic in zip(indexed, log["topics"][1:], strict=True):
            (raw[param.name],) = decode([param.kind], bytes(topic))
        values = decode([p.kind for p in plain], bytes(log["data"]))
        raw.update(zip((p.name for p in plain), values, strict=True))
        return self.cls(
            contract=self.contract,
            address=address,
            block_number=int(log["blockNumber"]),
            tx_hash="0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
            log_index=int(log["logIndex"]),
            **{p.name: _convert(raw[p.name], p.kind, p.hint) for p in self.params},
        )


def _convert(value: Any, kind: str, hint: Any) -> Any:
    if kind.endswith("[]"):
        inner = kind[:-2]
        return tuple(_convert(v, inner, None) for v in value)
    if kind == "address":
        return Web3.to_checksum_address(value)
    if kind.startswith("bytes"):
        return decode_capability(bytes(value)) if hint is str else bytes(value)
    if kind.startswith(("uint", "int")):
        # An enum field (uint8 in the ABI) is read as its Python enum.
        return (
            hint(int(value)) if isinstance(hint, type) and issubclass(hint, IntEnum) else int(value)
        )
    if kind.startswith("("):  # a struct: the field's class reads it
        return hint.from_tuple(value)
    return value


@cache
def _specs(contract: str) -> dict[bytes, _EventSpec]:
    """topic0 → how to decode, for every event of ``contract``'s artifact."""
    classes = {cls.__name__: cls for cls in EVENT_CLASSES[contract]}
    specs: dict[bytes, _EventSpec] = {}
    for item in load_artifact(contract).abi:
        if item.get("type") != "event":
            continue
        cls = classes[item["name"]]
        hints = get_type_hints(cls)
        names = [field_name(p["name"]) for p in item["inputs"]]
        params = tuple(
            _Param(name, abi_type(p), hints[name], bool(p["indexed"]))
            for name, p in zip(names, item["inputs"], strict=True)
        )
        signature = f"{item['name']}({','.join(p.kind for p in params)})"
        specs[keccak(text=signature)] = _EventSpec(contract, cls, params)
    return specs


def event_fields(cls: type[ChainEvent]) -> list[str]:
    """The fields an event class adds to :class:`ChainEvent`, in order."""
    base = {f.name for f in fields(ChainEvent)}
    return [f.name for f in fields(cls) if f.name not in base]


E = TypeVar("E", bound=ChainEvent)


class EventLog:
    """The event log of one deployment's contracts: its logs decoded, from a receipt or a
    range of blocks. Logs of any other contract, or of an event the contract does not
    declare, are skipped."""

    def __init__(self, chain: Chain, addresses: Mapping[str, ChecksumAddress]) -> None:
        """``addresses``: contract name (``SWT``, ``WorkerRegistry``, ``UtilityOracle``) →
        where it is deployed."""
        self.chain = chain
        self.addresses = dict(addresses)
        self._contracts = {address: name for name, address in addresses.items()}

    def decode(self, log: LogReceipt) -> ChainEvent | None:
        address = Web3.to_checksum_address(log["address"])
        contract = self._contracts.get(address)
        if contract is None or not log["topics"]:
            return None
        spec = _specs(contract).get(bytes(log["topics"][0]))
        return None if spec is None else spec.decode(log, address)

    def decode_receipt(self, receipt: TxReceipt | None) -> list[ChainEvent]:
        """The events of a mined transaction, in log order."""
        if receipt is None:
            return []
        decoded = (self.decode(log) for log in receipt["logs"])
        return [event for event in decoded if event is not None]

    def scan(
        self, first_block: int, last_block: int, contracts: Sequence[str]
    ) -> Iterator[tuple[int, list[ChainEvent]]]:
        """The events of ``contracts`` in blocks ``first_block..last_block``, read in ranges
        of :data:`LOG_CHUNK_BLOCKS`: yields (the range's last block, its events in order)."""
        addresses = [self.addresses[name] for name in contracts]
        start = first_block
        while start <= last_block:
            end = min(last_block, start + LOG_CHUNK_BLOCKS - 1)
            with translate_errors(self.chain):
                logs = self.chain.w3.eth.get_logs(
                    {"address": addresses, "fromBlock": start, "toBlock": end}
                )
            ordered = sorted(logs, key=lambda x: (x["blockNumber"], x["logIndex"]))
            events = [event for log in ordered if (event := self.decode(log)) is not None]
            yield end, events
            start = end + 1


def of_type(events: Sequence[ChainEvent], cls: type[E]) -> list[E]:
    """The events of one class, in order."""
    return [event for event in events if isinstance(event, cls)]
