"""Shared fixtures: the embedded chain and a real anvil, deployed MemJit, devnet signers.

Set MEMJIT_REQUIRE_ALL=1 (as .ci/run does) to turn "component not available" skips into
failures, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oracle.datasets import load_digits_test
from protocol.chain import MemJitContracts
from protocol.chain.anvil import AnvilProcess, find_anvil, start_anvil
from protocol.chain.connection import Chain, connect
from protocol.chain.deployment import DeployConfig, deploy_memjit, load_deployment
from protocol.chain.signers import Signer, devnet_signer
from protocol.errors import ConfigError
from protocol.runtime import WorkerRuntime
from protocol.sandbox import DarwinVM
from protocol.settings import Settings
from protocol.toolchain.sources import build_file
from tests.helpers import ROOT, SWT, deploy_hash_verifier, memjit, revert, snapshot

REQUIRE_ALL = os.environ.get("MEMJIT_REQUIRE_ALL") == "1"


def need(reason: str) -> None:
    """Skip (or, under MEMJIT_REQUIRE_ALL=1, fail) because a real component is missing."""
    if REQUIRE_ALL:
        pytest.fail(f"required component missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilProcess]:
    try:
        find_anvil()
    except ConfigError as exc:
        need(str(exc))
    process = start_anvil()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def redis() -> Iterator[str]:
    """A real redis-server on a loopback port for the session (the pool's broker); its URL."""
    from protocol.testing.redis_server import find_redis_server, start_redis

    try:
        find_redis_server()
    except ConfigError as exc:
        need(str(exc))
    process = start_redis()
    yield process.url
    process.stop()


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep MEMJIT_HOME (deployment records, pid files) out of the user's home."""
    monkeypatch.setenv("MEMJIT_HOME", str(tmp_path_factory.mktemp("memjit-home")))
    monkeypatch.delenv("MEMJIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("MEMJIT_RPC_URL", raising=False)
    monkeypatch.delenv("MEMJIT_BROKER", raising=False)


@pytest.fixture(scope="module", params=["embedded", "anvil"])
def module_chain(request: pytest.FixtureRequest) -> Chain:
    if request.param == "embedded":
        return connect(None)
    anvil_process: AnvilProcess = request.getfixturevalue("anvil")
    return connect(anvil_process.url)


#: Small timeouts so tests can cross them by time travel.
TEST_CONFIG = DeployConfig(
    min_stake_wei=100 * 10**18,
    unbonding_delay_s=7_200,
    base_rate_wei=10**17,
    score_floor=20,
    slash_bps=1_000,
    max_workers_per_round=5,
    min_population=16,
    round_timeout_s=3_600,
)


@dataclass(frozen=True)
class World:
    chain: Chain
    mj: MemJitContracts
    admin: Signer
    owners: tuple[Signer, ...]
    verifier: str


@pytest.fixture(scope="module")
def module_world(module_chain: Chain) -> World:
    chain = module_chain
    admin = devnet_signer(chain, 0)
    verifier = deploy_hash_verifier(chain, admin)
    result = deploy_memjit(chain, admin, TEST_CONFIG, verifier=verifier.address)
    mj = MemJitContracts(chain, result.deployment)
    owners = tuple(devnet_signer(chain, i) for i in range(1, 10))
    for owner in owners:
        mj.token.faucet(owner, 100_000 * 10**18)
    return World(chain, mj, admin, owners, verifier.address)


@pytest.fixture
def world(module_world: World) -> Iterator[World]:
    """The module's deployment, rolled back after each test."""
    snap = snapshot(module_world.chain)
    yield module_world
    revert(module_world.chain, snap)


@pytest.fixture(scope="session")
def snarkjs() -> None:
    """snarkjs from node_modules (npm install), the reference Groth16 tool."""
    from protocol.testing.snarkjs_cli import find_snarkjs

    try:
        find_snarkjs()
    except ConfigError as exc:
        need(str(exc))


@pytest.fixture(scope="session")
def ptau(snarkjs: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2^10 powers of tau (enough for the test circuits): in $MEMJIT_PTAU_DIR when set, a
    cache .ci/run shares with the benchmark, else made fresh for the session (about 20 s)."""
    from protocol.testing.snarkjs_cli import PTAU_DIR_ENV, powers_of_tau

    cache = os.environ.get(PTAU_DIR_ENV)
    return powers_of_tau(10, Path(cache) if cache else tmp_path_factory.mktemp("ptau"))


NETWORK_WORKERS = (
    "workers/digits/models/mlp.json",
    "workers/digits/models/logistic.json",
    "workers/hostile/random.wat",
    "workers/hostile/spin.wat",  # burns its fuel: the execute phase lasts about a second
)


@pytest.fixture
def network(
    anvil: AnvilProcess, tmp_path: Path
) -> tuple[AnvilProcess, MemJitContracts, Path, Settings]:
    """A fresh deployment on the session's anvil (recorded in this test's MEMJIT_HOME) with
    the four workers registered, and a file of five digits to request."""
    result = memjit("deploy", "--rpc", anvil.url)
    assert result.returncode == 0, result.stderr
    settings = Settings.load()
    chain = connect(anvil.url)
    mj = MemJitContracts(chain, load_deployment(settings.deployments_file, chain))
    with WorkerRuntime.from_settings(settings) as runtime:
        for i, path in enumerate(NETWORK_WORKERS):
            owner = devnet_signer(chain, 1 + i)
            mj.token.faucet(owner, 1_000 * SWT)
            cid = runtime.publish(build_file(ROOT / path))
            mj.registry.register(owner, cid, 200 * SWT, "digits-8x8")
    items = tmp_path / "items.bin"
    items.write_bytes(b"".join(load_digits_test().inputs[:5]))
    return anvil, mj, items, settings


@pytest.fixture(scope="module")
def vm() -> Iterator[DarwinVM]:
    """A sandbox for a test module, stopped after it."""
    sandbox = DarwinVM()
    yield sandbox
    sandbox.close()
