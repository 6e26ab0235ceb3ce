"""Connecting to a chain: the embedded in-process EVM, or any JSON-RPC endpoint."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import requests
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3Exception

from protocol.errors import ConfigError, RpcUnavailable

log = logging.getLogger(__name__)

#: Chain ids of local development chains: anvil/hardhat, geth --dev/ganache, eth-tester.
#: The SWT faucet and the well-known devnet keys work only on these.
DEVNET_CHAIN_IDS = frozenset({31337, 1337, 131277322940537})
EMBEDDED_CHAIN_ID = 131277322940537

ChainKind = Literal["embedded", "rpc"]


@dataclass(frozen=True)
class Chain:
    """A connected chain."""

    w3: Web3
    kind: ChainKind
    chain_id: int
    url: str | None = None

    @property
    def is_devnet(self) -> bool:
        return self.chain_id in DEVNET_CHAIN_IDS

    @property
    def name(self) -> str:
        return "embedded EVM" if self.kind == "embedded" else f"{self.url} (chain {self.chain_id})"


@dataclass(frozen=True)
class BlockHeader:
    number: int
    timestamp: int
    #: The block's hash (32 bytes): what a round's exploration seed is drawn from.
    hash: bytes = bytes(32)


def connect(rpc_url: str | None, timeout_s: float = 30.0) -> Chain:
    """The embedded chain when ``rpc_url`` is None, else the JSON-RPC node at ``rpc_url``."""
    if rpc_url is None:
        return embedded_chain()
    if not rpc_url.startswith(("http://", "https://")):
        raise ConfigError(f"RPC URL must start with http:// or https://, got {rpc_url!r}")
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))
    try:
        chain_id = int(w3.eth.chain_id)
    except (requests.RequestException, OSError) as exc:
        raise RpcUnavailable(f"cannot reach the RPC endpoint {rpc_url}: {_reason(exc)}") from exc
    except (Web3Exception, ValueError) as exc:
        raise RpcUnavailable(
            f"{rpc_url} did not answer like an Ethereum JSON-RPC node: {exc}"
        ) from exc
    log.info("connected to %s, chain id %d", rpc_url, chain_id)
    return Chain(w3, "rpc", chain_id, rpc_url)


def embedded_chain() -> Chain:
    """A fresh in-process EVM (py-evm through eth-tester), Prague rules, auto-mining.

    Its funded accounts use the keys 1..10 (eth-tester's defaults); see
    :func:`protocol.chain.signers.devnet_signer`.
    """
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import EthereumTesterProvider

    backend = PyEVMBackend(
        genesis_parameters=PyEVMBackend.generate_genesis_params({"gas_limit": 60_000_000})
    )
    tester = EthereumTester(backend=backend)
    w3 = Web3(EthereumTesterProvider(tester))
    return Chain(w3, "embedded", int(w3.eth.chain_id))


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused (is the node running? `memjit chain up` starts anvil)"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def rpc_call(chain: Chain, method: str, *params: Any) -> Any:
    """A raw JSON-RPC call (devnet helpers such as ``evm_increaseTime``)."""
    response = chain.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    if "error" in response:
        raise RpcUnavailable(f"{method} failed: {response['error']}")
    return response.get("result")


def advance_time(chain: Chain, seconds: int) -> None:
    """Moves a devnet's clock forward (tests, simulations): the next transaction's block is
    that much later."""
    if chain.kind == "embedded":
        now = int(chain.w3.eth.get_block("latest")["timestamp"])
        chain.w3.provider.ethereum_tester.time_travel(now + seconds)  # type: ignore[attr-defined]
    else:
        rpc_call(chain, "evm_increaseTime", seconds)
        rpc_call(chain, "evm_mine")
