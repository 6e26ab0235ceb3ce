"""Chain helpers for tests: snapshots, time travel, the test-only verifier."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eth_utils import keccak

from oracle.economics import prior, usefulness_after
from protocol.artifacts import load_artifact, load_artifact_file
from protocol.chain.anvil import AnvilProcess
from protocol.chain.connection import Chain, rpc_call
from protocol.chain.contracts import MemJitContracts
from protocol.chain.deployment import ZERO_ADDRESS, Deployment
from protocol.chain.signers import Signer
from protocol.chain.transactions import deploy
from protocol.chain.types import OracleParams
from protocol.chain.verifier import Verifier
from protocol.settings import Settings
from protocol.units import WEI_PER_SWT

ROOT = Path(__file__).resolve().parent.parent
#: The shipped digit classifiers' weights.
MODELS = ROOT / "workers" / "digits" / "models"
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


def set_next_timestamp(chain: Chain, timestamp: int) -> None:
    """The next block gets exactly ``timestamp`` (anvil) or a block is mined at it (embedded)."""
    if chain.kind == "embedded":
        chain.w3.provider.ethereum_tester.time_travel(timestamp)  # type: ignore[attr-defined]
    else:
        rpc_call(chain, "evm_setNextBlockTimestamp", timestamp)


class UsefulnessBook:
    """The registry's usefulness bookkeeping replayed with :mod:`oracle.economics`: each
    capability's active, scored workers and their usefulness, as the contract should hold
    them. Feed it every recorded score, in the order the contract records them (a round's
    workers in their listed order), and every worker that leaves."""

    def __init__(self) -> None:
        self._scored: dict[str, dict[bytes, tuple[int, int]]] = {}

    def record(self, capability: str, wid: bytes, score: int, duplicate: bool = False) -> int:
        """The worker's usefulness after a round scoring ``score``; a duplicate round leaves
        it as it was (zero for a worker never scored on its own)."""
        workers = self._scored.setdefault(capability, {})
        if duplicate:
            return workers[wid][0] if wid in workers else 0
        if wid in workers:
            previous, rounds = workers[wid]
        else:
            previous, rounds = prior(self.population(capability), score), 0
        updated = usefulness_after(previous, rounds, score)
        workers[wid] = (updated, rounds + 1)
        return updated

    def leave(self, capability: str, wid: bytes) -> None:
        """``wid`` exited or was terminated: out of its capability's population."""
        self._scored.get(capability, {}).pop(wid, None)

    def usefulness(self, capability: str, wid: bytes) -> int:
        return self._scored.get(capability, {}).get(wid, (0, 0))[0]

    def population(self, capability: str) -> list[int]:
        """The usefulness of ``capability``'s active, scored workers."""
        return [u for u, _ in self._scored.get(capability, {}).values()]

    def stats(self, capability: str) -> tuple[int, int, int]:
        """What ``populationStats(capability)`` should return: count, sum, sum of squares."""
        population = self.population(capability)
        return len(population), sum(population), sum(u * u for u in population)


#: Public signals of the default fake verifier: round id, three commitments, five scores.
DEFAULT_PUBLIC_INPUTS = 5 + 5


def deploy_hash_verifier(
    chain: Chain, signer: Signer, public_inputs: int = DEFAULT_PUBLIC_INPUTS
) -> Verifier:
    """The TEST-ONLY HashCheckVerifier (see tests/contracts) for ``public_inputs`` signals:
    accepts exactly the "proof" made by :func:`fake_proof` for the same public signals."""
    artifact = load_artifact_file(ROOT / "tests" / "artifacts" / "HashCheckVerifier.json")
    address, _ = deploy(chain, signer, artifact, public_inputs)
    return Verifier(chain, address, artifact.abi)


def fake_proof(signals: list[int]) -> tuple[list[int], list[list[int]], list[int]]:
    """The proof HashCheckVerifier accepts for ``signals``: binds them, proves nothing."""
    digest = keccak(b"".join(int(s).to_bytes(32, "big") for s in signals))
    return [int.from_bytes(digest, "big") % R, 0], [[0, 0], [0, 0]], [0, 0]


def wat_module(path: str) -> bytes:
    """A test or example worker, built from its WAT under the repository root."""
    import wasmtime

    return bytes(wasmtime.wat2wasm((ROOT / path).read_text()))


def memjit(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `memjit` CLI as a user would, in a subprocess at the repository root."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "protocol.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), lines[0]


def journal_phase(settings: Settings) -> str | None:
    for path in (settings.home / "rounds").glob("*/*.json"):
        return json.loads(path.read_text())["phase"]
    return None


def kill_during(phase: str, anvil: AnvilProcess, items: Path, settings: Settings) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "protocol.cli.main", "request", "digits-8x8", "-i", str(items), "--rpc", anvil.url],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while journal_phase(settings) != phase:
        assert process.poll() is None, f"the request finished before reaching {phase!r}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()


def deploy_recorded_registry(
    chain: Chain,
    admin: Signer,
    recorder: Signer,
    min_stake_wei: int,
    unbonding_s: int,
    reader: OracleParams | None = None,
) -> MemJitContracts:
    """SWT and a WorkerRegistry whose oracle is the plain account ``recorder``, so a test
    scores, slashes and terminates directly; with ``reader``, also a UtilityOracle of those
    parameters (no verifier) that reads the registry for its views."""
    swt, first = deploy(chain, admin, load_artifact("SWT"))
    registry, _ = deploy(
        chain, admin, load_artifact("WorkerRegistry"), swt, min_stake_wei, unbonding_s
    )
    oracle = admin.address
    if reader is not None:
        oracle, _ = deploy(
            chain, admin, load_artifact("UtilityOracle"), swt, registry, ZERO_ADDRESS,
            reader.as_tuple(), admin.address,
        )  # fmt: skip
    deployment = Deployment(
        chain.chain_id, swt, registry, oracle, None, admin.address, first.block_number
    )
    mj = MemJitContracts(chain, deployment)
    mj.registry.set_oracle(admin, recorder.address)
    return mj
