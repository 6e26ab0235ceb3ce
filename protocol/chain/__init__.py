"""The node's view of the chain: connections, signers, transactions, deployments."""

from protocol.chain.connection import DEVNET_CHAIN_IDS, Chain, connect, embedded_chain
from protocol.chain.contracts import (
    MemJitContracts,
    RoundStatus,
    WorkerInfo,
    WorkerStatus,
    worker_id,
)
from protocol.chain.deployment import (
    DeployConfig,
    Deployment,
    deploy_memjit,
    load_deployment,
    save_deployment,
)
from protocol.chain.signers import Signer, devnet_signer, resolve_signer
from protocol.chain.transactions import TxResult, call, transact

__all__ = [
    "DEVNET_CHAIN_IDS",
    "Chain",
    "DeployConfig",
    "Deployment",
    "MemJitContracts",
    "RoundStatus",
    "Signer",
    "TxResult",
    "WorkerInfo",
    "WorkerStatus",
    "call",
    "connect",
    "deploy_memjit",
    "devnet_signer",
    "embedded_chain",
    "load_deployment",
    "resolve_signer",
    "save_deployment",
    "transact",
    "worker_id",
]
