"""Deploy MemJit with brownie: ``brownie run scripts/deploy.py --network <network>``.

A thin wrapper over :func:`protocol.chain.deployment.deploy_memjit`, so brownie deploys
exactly what ``memjit deploy`` deploys (the committed, checked artifacts, with the verifier
of the packaged INSECURE development keys). The signer is
resolved as for the CLI: MEMJIT_PRIVATE_KEY, or the devnet's well-known account 0 on a local
chain. The addresses are recorded in $MEMJIT_HOME/deployments.json.
"""

from __future__ import annotations

import os

from brownie import network

from protocol.chain.connection import connect
from protocol.chain.deployment import deploy_memjit, save_deployment, verifier_artifact
from protocol.chain.signers import resolve_signer
from protocol.settings import Settings


def main() -> None:
    chain = connect(network.web3.provider.endpoint_uri)
    signer = resolve_signer(chain, os.environ)
    # the verifier of the packaged (INSECURE development) keys
    result = deploy_memjit(chain, signer, verifier=verifier_artifact())
    settings = Settings.load()
    save_deployment(settings.deployments_file, result.deployment)
    d = result.deployment
    print(f"SWT            {d.swt}")
    print(f"WorkerRegistry {d.registry}")
    print(f"UtilityOracle  {d.oracle}")
    print(f"verifier       {d.verifier}")
    print(f"recorded in {settings.deployments_file} for chain {d.chain_id}")
