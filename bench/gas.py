"""Gas of every external function of the MemJit contracts, measured on anvil.

    python bench/gas.py            # table
    python bench/gas.py --json     # figures for machines

Starts its own anvil (`npm install` first). Rounds close through the TEST-ONLY HashCheckVerifier,
so the close figures exclude the Groth16 pairing check itself (about 181k gas + ~7k per public
input with EIP-1108 prices); the real verifier's cost is measured with the oracle's proofs.
``slash`` is measured on a registry whose oracle is a plain account, to isolate it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from protocol.artifacts import load_artifact
from protocol.chain import MemJitContracts, Registry, RoundCommitments
from protocol.chain.anvil import running_anvil
from protocol.chain.connection import advance_time, connect
from protocol.chain.deployment import DeployConfig, deploy_memjit
from protocol.chain.signers import devnet_signer
from protocol.chain.transactions import deploy
from tests.helpers import SWT, deploy_hash_verifier, fake_proof

CAP = "digits-8x8"


def measure() -> list[tuple[str, int]]:
    rows: list[tuple[str, int]] = []
    with running_anvil() as anvil:
        chain = connect(anvil.url)
        admin = devnet_signer(chain, 0)
        owners = [devnet_signer(chain, i) for i in range(1, 7)]
        verifier = deploy_hash_verifier(chain, admin)
        result = deploy_memjit(
            chain, admin, DeployConfig(unbonding_delay_s=7_200), verifier.address
        )
        rows += [(name, tx.gas_used) for name, tx in result.steps]
        mj = MemJitContracts(chain, result.deployment)
        for owner in owners:
            mj.token.faucet(owner, 10_000 * SWT)

        ids = []
        for i, owner in enumerate(owners[:5]):
            wid, tx = mj.registry.register(
                owner, f"bafkrei-bench-{i}", 200 * SWT, CAP, permit=i % 2 == 1
            )
            ids.append(wid)
            if i in (2, 3):  # the capability list already exists: the steady-state cost
                rows.append((f"register{'WithPermit' if i % 2 else ''}", tx.gas_used))
        rows.append(
            ("addStake", mj.registry.add_stake(owners[0], ids[0], 10 * SWT, permit=False).gas_used)
        )
        rows.append(
            ("addStakeWithPermit", mj.registry.add_stake(owners[0], ids[0], 10 * SWT).gas_used)
        )

        rounds = mj.rounds

        def run_round(scores: list[int]) -> tuple[int, int]:
            opened = rounds.open(admin, ids, 1, 2)
            commitments = RoundCommitments(1, 2, 3)
            proof = fake_proof(rounds.public_signals(opened.round_id, commitments, 0, scores))
            closed = rounds.close(
                admin, opened.round_id, ids, commitments, 0, scores, proof, gas=None
            )
            return opened.tx.gas_used, closed.tx.gas_used

        opened, first = run_round([90, 80, 70, 60, 50])
        rows.append(("openRound (5 workers)", opened))
        rows.append(("closeRound (5 workers, first scores, 3 rewards)", first))
        _, steady = run_round([90, 80, 70, 60, 50])
        rows.append(("closeRound (5 workers, 3 rewards)", steady))
        _, slashing = run_round([90, 80, 70, 10, 0])
        rows.append(("closeRound (5 workers, 3 rewards, 2 slashed)", slashing))
        abandoned = rounds.open(admin, ids, 1, 2).round_id
        rows.append(("abandonRound", rounds.abandon(admin, abandoned).gas_used))

        rows.append(("exit", mj.registry.exit(owners[4], ids[4]).gas_used))
        advance_time(chain, 7_201)
        rows.append(("withdraw", mj.registry.withdraw(owners[4], ids[4]).gas_used))

        # slash in isolation: a registry whose oracle is an account.
        address, _ = deploy(
            chain, admin, load_artifact("WorkerRegistry"), mj.token.address, SWT, 600
        )
        registry = Registry(chain, address, mj.token)
        registry.set_oracle(admin, admin.address)
        sid, _ = registry.register(owners[5], "bafkrei-slash", 100 * SWT, CAP, permit=False)
        rows.append(("slash", registry.slash(admin, sid, 10 * SWT, admin.address).gas_used))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    args = parser.parse_args()
    rows = measure()
    if args.json:
        print(
            json.dumps(
                {"gas": dict(rows), "note": "closeRound excludes the Groth16 pairing check"},
                indent=2,
            )
        )
        return
    table = Table(title="MemJit gas (anvil, OP-stack mode)")
    table.add_column("function")
    table.add_column("gas", justify="right")
    for name, gas in rows:
        table.add_row(name, f"{gas:,}")
    console = Console()
    console.print(table)
    per_worker = dict(rows)["closeRound (5 workers, 3 rewards)"] / 5
    console.print(
        f"closeRound per scored worker: {per_worker:,.0f} gas (+ the Groth16 check, shared by the round)"
    )


if __name__ == "__main__":
    main()
