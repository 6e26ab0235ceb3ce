"""Sending transactions and making calls, with every failure translated.

Reverts become :class:`~protocol.errors.ContractReverted` with the custom error decoded by
name; a node that cannot be reached becomes :class:`~protocol.errors.RpcUnavailable`; any
other refusal by the node (insufficient funds, bad nonce, ...) a :class:`ChainError`.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import requests
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception
from web3.types import Nonce, TxParams, TxReceipt

from protocol.artifacts import Artifact
from protocol.chain.connection import BlockHeader, Chain
from protocol.chain.reverts import decode_revert
from protocol.chain.signers import Signer
from protocol.errors import ChainError, ContractReverted, RpcUnavailable

log = logging.getLogger(__name__)

RECEIPT_TIMEOUT_S = 120.0

#: Margin on top of a node's gas estimate. Estimates run against the pending block, but the
#: transaction may land in a block with another timestamp, and SWT's vote checkpoints (keyed
#: by timestamp) then cost a fresh storage slot instead of an update: ~20k gas more. Unused
#: gas is not charged.
GAS_MARGIN = 1.2
GAS_HEADROOM = 25_000


@dataclass(frozen=True)
class TxResult:
    """A mined, successful transaction."""

    tx_hash: str
    gas_used: int
    block_number: int
    contract_address: ChecksumAddress | None = None
    #: The node's receipt, for callers that read the transaction's events.
    receipt: TxReceipt | None = field(default=None, repr=False, compare=False)


@contextmanager
def translate_errors(
    chain: Chain, extra_abis: Iterable[list[dict[str, Any]]] = ()
) -> Iterator[None]:
    """Turns web3/requests exceptions raised inside the block into MemJit errors."""
    try:
        yield
    except ContractLogicError as exc:
        raise _reverted(exc, extra_abis) from exc
    except (requests.RequestException, ConnectionError) as exc:
        raise RpcUnavailable(f"lost the RPC endpoint {chain.url}: {type(exc).__name__}") from exc
    except TimeExhausted as exc:
        raise ChainError(f"transaction not mined within {RECEIPT_TIMEOUT_S:.0f} s") from exc
    except (Web3Exception, ValueError) as exc:
        raise ChainError(f"the node refused: {_message(exc)}") from exc
    except Exception as exc:
        # The embedded chain's provider raises eth_tester's TransactionFailed, carrying the
        # raw revert data, instead of web3's ContractLogicError.
        data = _tester_revert_data(exc)
        if data is None:
            raise
        raise decode_revert(data, extra_abis) from exc


_BYTES_LITERAL = re.compile(r"""b(['"]).*\1$""", re.DOTALL)


def _tester_revert_data(exc: BaseException) -> bytes | None:
    """The revert data inside an eth_tester ``TransactionFailed`` chain, else None."""
    seen: BaseException | None = exc
    found = False
    while seen is not None:
        found = found or type(seen).__name__ == "TransactionFailed"
        first = seen.args[0] if seen.args else None
        if found and isinstance(first, bytes):
            return first  # py-evm's Revert(data) at the bottom of the chain
        if found and isinstance(first, str) and (literal := _BYTES_LITERAL.search(first)):
            # a replayed eth_call: eth_tester writes the revert data as a bytes literal
            data = ast.literal_eval(literal.group(0))
            if isinstance(data, bytes):
                return data
        # eth_call failures carry py-evm's exception as their first argument instead
        inner = first if isinstance(first, BaseException) else None
        seen = seen.__cause__ or seen.__context__ or inner
    return b"" if found else None


def _reverted(
    exc: ContractLogicError, extra_abis: Iterable[list[dict[str, Any]]]
) -> ContractReverted:
    data = exc.data if isinstance(exc.data, str | bytes) else None
    decoded = decode_revert(data, extra_abis)
    if decoded.name is None and not decoded.data and exc.message:
        return ContractReverted("Error", {"message": str(exc.message)}, b"")
    return decoded


def _message(exc: BaseException) -> str:
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        return str(response["error"].get("message", response["error"]))
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, dict) and "message" in arg:
        return str(arg["message"])
    return str(arg)


def bind(chain: Chain, address: str, abi: list[dict[str, Any]]) -> Contract:
    """The contract at ``address`` with ``abi``, for the chain layer's typed bindings."""
    return chain.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)


def latest_block(chain: Chain) -> BlockHeader:
    """The newest block's number and time."""
    with translate_errors(chain):
        block = chain.w3.eth.get_block("latest")
    return BlockHeader(int(block["number"]), int(block["timestamp"]), bytes(block["hash"]))


def block_header(chain: Chain, number: int) -> BlockHeader:
    """Block ``number``'s number, time and hash."""
    with translate_errors(chain):
        block = chain.w3.eth.get_block(number)
    return BlockHeader(int(block["number"]), int(block["timestamp"]), bytes(block["hash"]))


def seed_block(chain: Chain) -> BlockHeader:
    """The block a round's exploration seed comes from: the one before the latest, so it is
    strictly older than any block the opening can land in (or be estimated in)."""
    return block_header(chain, max(0, latest_block(chain).number - 1))


def block_time(chain: Chain, number: int) -> int:
    """When block ``number`` was mined (Unix seconds)."""
    with translate_errors(chain):
        return int(chain.w3.eth.get_block(number)["timestamp"])


def call(
    chain: Chain, fn: ContractFunction, extra_abis: Iterable[list[dict[str, Any]]] = ()
) -> Any:
    """A read-only call of ``fn``."""
    with translate_errors(chain, extra_abis):
        return fn.call()


def transact(
    chain: Chain,
    signer: Signer,
    fn: ContractFunction,
    gas: int | None = None,
    extra_abis: Iterable[list[dict[str, Any]]] = (),
) -> TxResult:
    """Signs and sends a call of ``fn``, waits for it to be mined, raises if it reverted.

    ``gas`` skips estimation (which on the embedded chain re-runs the call ~10 times).
    """
    return _build_and_send(chain, signer, fn.build_transaction, gas, list(extra_abis))


def deploy(
    chain: Chain,
    signer: Signer,
    artifact: Artifact,
    *args: Any,
    gas: int | None = None,
) -> tuple[ChecksumAddress, TxResult]:
    """Deploys ``artifact`` with constructor ``args``; returns its address and the receipt."""
    factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    builder = factory.constructor(*args).build_transaction
    result = _build_and_send(chain, signer, builder, gas, [artifact.abi])
    if result.contract_address is None:
        raise ChainError(f"deploying {artifact.name} produced no contract address")
    log.info("deployed %s at %s (gas %d)", artifact.name, result.contract_address, result.gas_used)
    return result.contract_address, result


def _build_and_send(
    chain: Chain,
    signer: Signer,
    build: Callable[[TxParams], TxParams],
    gas: int | None,
    extra_abis: list[list[dict[str, Any]]],
) -> TxResult:
    """Fills in nonce, gas (the estimate plus a margin, unless ``gas`` is given) and fees,
    then signs, sends and waits."""
    with translate_errors(chain, extra_abis):
        nonce = chain.w3.eth.get_transaction_count(signer.address, "pending")
        params: TxParams = {"from": signer.address, "nonce": Nonce(int(nonce))}
        if gas is not None:
            params["gas"] = gas
        tx = build(params)
        if gas is None:
            tx["gas"] = int(tx["gas"] * GAS_MARGIN) + GAS_HEADROOM
        return _send(chain, signer, tx, extra_abis)


def _send(
    chain: Chain, signer: Signer, tx: TxParams, extra_abis: list[list[dict[str, Any]]]
) -> TxResult:
    w3 = chain.w3
    signed = signer.account.sign_transaction(cast(dict[str, Any], tx))
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt: TxReceipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S)
    if receipt["status"] != 1:
        raise _replay_revert(chain, tx, receipt, extra_abis)
    address = receipt.get("contractAddress")
    return TxResult(
        tx_hash="0x" + bytes(tx_hash).hex().removeprefix("0x"),
        gas_used=int(receipt["gasUsed"]),
        block_number=int(receipt["blockNumber"]),
        contract_address=w3.to_checksum_address(address) if address else None,
        receipt=receipt,
    )


def _replay_revert(
    chain: Chain, tx: TxParams, receipt: TxReceipt, extra_abis: list[list[dict[str, Any]]]
) -> ChainError:
    """Re-runs a mined, failed transaction as a call to recover its revert data."""
    replay: TxParams = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value", "gas")}  # type: ignore[assignment]
    try:
        chain.w3.eth.call(replay, block_identifier=max(int(receipt["blockNumber"]) - 1, 0))
    except ContractLogicError as exc:
        return _reverted(exc, extra_abis)
    except (Web3Exception, ValueError, requests.RequestException):
        pass
    if receipt["gasUsed"] == tx.get("gas"):
        return ChainError(f"transaction ran out of gas ({receipt['gasUsed']} used)")
    return ContractReverted(None, {}, b"")
