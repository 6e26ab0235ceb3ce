"""The brownie scripts deploy to and register on a real anvil.

eth-brownie pins ~75 packages (web3 7.16 among them), so it lives in its own virtual
environment; the test finds its `brownie` executable through MEMJIT_BROWNIE (tools/test-all.sh
sets it). This also runs MemJit's core under web3 7.16, the low end of the supported range.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from protocol.chain import MemJitContracts, WorkerStatus, worker_id
from protocol.chain.anvil import running_anvil
from protocol.chain.connection import connect
from protocol.chain.deployment import load_deployment
from protocol.chain.signers import devnet_signer
from tests.conftest import need
from tests.helpers import ROOT


@pytest.mark.anvil
def test_brownie_scripts_deploy_and_register_a_worker(tmp_path: Path):
    brownie = os.environ.get("MEMJIT_BROWNIE")
    if not brownie or not Path(brownie).is_file():
        need("MEMJIT_BROWNIE must name the brownie executable of its own environment")
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # brownie writes ~/.brownie
        "MEMJIT_HOME": str(tmp_path / "memjit"),
        "SOLCX_BINARY_PATH": str(ROOT / "tools" / "solc"),
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [brownie, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    with running_anvil() as anvil:
        run(
            "networks",
            "add",
            "Development",
            "memjit-test",
            "host=http://127.0.0.1",
            f"port={anvil.port}",
            "cmd=anvil",
        )
        out = run("run", "scripts/deploy.py", "--network", "memjit-test")
        assert "UtilityOracle" in out
        out = run(
            "run",
            "scripts/register_worker.py",
            "main",
            "bafkrei-brownie",
            "250",
            "--network",
            "memjit-test",
        )
        assert "registered" in out

        chain = connect(anvil.url)
        mj = MemJitContracts(
            chain, load_deployment(tmp_path / "memjit" / "deployments.json", chain)
        )
        info = mj.registry.worker(worker_id(devnet_signer(chain, 1).address, "bafkrei-brownie"))
        assert (info.status, info.stake, info.capability) == (
            WorkerStatus.ACTIVE,
            250 * 10**18,
            "digits-8x8",
        )
        assert (
            mj.registry.total_staked() == mj.token.balance_of(mj.registry.address) == 250 * 10**18
        )
