"""Chain helpers for tests: snapshots, time travel, the test-only verifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_utils import keccak
from web3.contract import Contract

from protocol.artifacts import load_artifact_file
from protocol.chain.connection import Chain, rpc_call
from protocol.chain.signers import Signer
from protocol.chain.transactions import deploy
from protocol.units import WEI_PER_SWT

ROOT = Path(__file__).resolve().parent.parent
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
SWT = WEI_PER_SWT


def snapshot(chain: Chain) -> Any:
    if chain.kind == "embedded":
        return chain.w3.provider.ethereum_tester.take_snapshot()  # type: ignore[attr-defined]
    return rpc_call(chain, "evm_snapshot")


def revert(chain: Chain, snap: Any) -> None:
    if chain.kind == "embedded":
        chain.w3.provider.ethereum_tester.revert_to_snapshot(snap)  # type: ignore[attr-defined]
    else:
        assert rpc_call(chain, "evm_revert", snap) is True


def now(chain: Chain) -> int:
    return int(chain.w3.eth.get_block("latest")["timestamp"])


def advance_time(chain: Chain, seconds: int) -> None:
    """Moves the chain clock forward; the next transaction's block is that much later."""
    if chain.kind == "embedded":
        chain.w3.provider.ethereum_tester.time_travel(now(chain) + seconds)  # type: ignore[attr-defined]
    else:
        rpc_call(chain, "evm_increaseTime", seconds)
        rpc_call(chain, "evm_mine")


def set_next_timestamp(chain: Chain, timestamp: int) -> None:
    """The next block gets exactly ``timestamp`` (anvil) or a block is mined at it (embedded)."""
    if chain.kind == "embedded":
        chain.w3.provider.ethereum_tester.time_travel(timestamp)  # type: ignore[attr-defined]
    else:
        rpc_call(chain, "evm_setNextBlockTimestamp", timestamp)


def deploy_hash_verifier(chain: Chain, signer: Signer) -> Contract:
    """The TEST-ONLY HashCheckVerifier (see tests/contracts): accepts exactly the "proof"
    made by :func:`fake_proof` for the same public signals."""
    artifact = load_artifact_file(ROOT / "tests" / "artifacts" / "HashCheckVerifier.json")
    contract, _ = deploy(chain, signer, artifact)
    return contract


def fake_proof(signals: list[int]) -> tuple[list[int], list[list[int]], list[int]]:
    """The proof HashCheckVerifier accepts for ``signals``: binds them, proves nothing."""
    digest = keccak(b"".join(int(s).to_bytes(32, "big") for s in signals))
    return [int.from_bytes(digest, "big") % R, 0], [[0, 0], [0, 0]], [0, 0]
