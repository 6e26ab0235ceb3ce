"""The node's view of the chain: connections, signers, transactions, deployments, a typed API
over the contracts (token, registry, rounds, events), and an index of the registry's workers
kept from its events. Nothing outside this package touches a contract's ``functions`` or
``events`` (tests/test_layout.py checks it)."""

from protocol.chain.connection import DEVNET_CHAIN_IDS, BlockHeader, Chain, connect, embedded_chain
from protocol.chain.contracts import MemJitContracts
from protocol.chain.deployment import (
    DeployConfig,
    Deployment,
    deploy_memjit,
    load_deployment,
    save_deployment,
)
from protocol.chain.events import ChainEvent, EventLog
from protocol.chain.index import WorkerIndex
from protocol.chain.registry import Registry
from protocol.chain.rounds import CLOSE_GAS, ClosedRound, OpenedRound, Rounds, Settlement
from protocol.chain.signers import Signer, devnet_signer, resolve_signer
from protocol.chain.token import Token
from protocol.chain.transactions import TxResult, block_time, latest_block, seed_block
from protocol.chain.types import (
    OracleParams,
    PopulationStats,
    RoundCommitments,
    RoundInfo,
    RoundStatus,
    Termination,
    WorkerInfo,
    WorkerStatus,
    round_fingerprint,
    worker_id,
)
from protocol.chain.verifier import Verifier

__all__ = [
    "CLOSE_GAS",
    "DEVNET_CHAIN_IDS",
    "BlockHeader",
    "Chain",
    "ChainEvent",
    "ClosedRound",
    "DeployConfig",
    "Deployment",
    "EventLog",
    "MemJitContracts",
    "OpenedRound",
    "OracleParams",
    "PopulationStats",
    "Registry",
    "RoundCommitments",
    "RoundInfo",
    "RoundStatus",
    "Rounds",
    "Settlement",
    "Signer",
    "Termination",
    "Token",
    "TxResult",
    "Verifier",
    "WorkerIndex",
    "WorkerInfo",
    "WorkerStatus",
    "block_time",
    "connect",
    "deploy_memjit",
    "devnet_signer",
    "embedded_chain",
    "latest_block",
    "load_deployment",
    "resolve_signer",
    "round_fingerprint",
    "save_deployment",
    "seed_block",
    "worker_id",
]
