"""Register a worker with brownie:
``brownie run scripts/register_worker.py main CID [STAKE_SWT] [CAPABILITY] --network <network>``.

Stakes with an EIP-2612 permit (one signature, one transaction). On a local devnet the
worker owner is the well-known account 1, funded from the SWT faucet first; elsewhere set
MEMJIT_PRIVATE_KEY. Reads the deployment that scripts/deploy.py (or `memjit deploy`) recorded.
"""

from __future__ import annotations

import os

from brownie import network

from protocol.chain import MemJitContracts
from protocol.chain.connection import connect
from protocol.chain.deployment import load_deployment
from protocol.chain.signers import devnet_signer, resolve_signer
from protocol.settings import Settings
from protocol.units import parse_swt


def main(cid: str, stake_swt: str = "100", capability: str = "digits-8x8") -> None:
    chain = connect(network.web3.provider.endpoint_uri)
    mj = MemJitContracts(chain, load_deployment(Settings.load().deployments_file, chain))
    stake = parse_swt(stake_swt)
    if chain.is_devnet and "MEMJIT_PRIVATE_KEY" not in os.environ:
        owner = devnet_signer(chain, 1)
        if mj.token.balance_of(owner.address) < stake:
            mj.token.faucet(owner, stake)
    else:
        owner = resolve_signer(chain, os.environ)
    wid, tx = mj.registry.register(owner, cid, stake, capability, permit=True)
    info = mj.registry.worker(wid)
    print(f"worker 0x{wid.hex()} registered by {info.owner}")
    print(
        f"cid {info.cid} capability {info.capability} stake {info.stake} wei status {info.status.name}"
    )
    print(f"tx {tx.tx_hash} gas {tx.gas_used}")
