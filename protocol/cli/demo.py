"""``memjit demo``: the main job on the embedded default, no servers needed.

For now it shows the staking half of the protocol: it deploys the contracts, funds two worker
owners from the devnet faucet, registers workers (one with an EIP-2612 permit: one signature,
one transaction), adds stake, and prints the registry and the stake books.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import click
from rich.table import Table

from protocol.chain.connection import Chain
from protocol.chain.contracts import MemJitContracts, WorkerInfo
from protocol.chain.deployment import DeployConfig, deploy_memjit, deploy_verifier
from protocol.chain.signers import devnet_signer
from protocol.chain.transactions import TxResult
from protocol.cid import cid_for
from protocol.cli.context import connect_chain, json_option, load_settings, rpc_option
from protocol.cli.output import console, print_json, short
from protocol.errors import ConfigError
from protocol.units import WEI_PER_SWT, format_swt

CAPABILITY = "digits-8x8"


#: Smallest valid WebAssembly module (magic + version) plus a custom section naming the
#: worker, so each demo worker has real module bytes and a real CID.
def _module(name: str) -> bytes:
    payload = bytes([len(name)]) + name.encode()
    return b"\0asm\x01\0\0\0" + b"\0" + bytes([len(payload)]) + payload


@dataclass(frozen=True)
class Step:
    what: str
    tx: TxResult


@dataclass(frozen=True)
class DemoWorker:
    name: str
    owner: str
    id: bytes


@click.command()
@rpc_option("Run against this JSON-RPC node (a local devnet) instead of the embedded EVM.")
@json_option("a machine-readable summary")
def demo(rpc_url: str | None, as_json: bool) -> None:
    """Deploy MemJit and stake workers on an in-process chain (or --rpc)."""
    started = time.perf_counter()
    settings = load_settings()
    chain = connect_chain(settings, rpc_url, embedded_default=True)
    if not chain.is_devnet:
        raise ConfigError(
            f"the demo uses the devnet faucet and keys; chain {chain.chain_id} is not a local devnet"
        )
    summary = run_demo(chain, quiet=as_json)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    if as_json:
        print_json(summary)


def run_demo(chain: Chain, quiet: bool = False) -> dict[str, Any]:
    def say(text: str) -> None:
        if not quiet:
            console.print(text)

    say(f"[bold]MemJit demo[/bold] on {chain.name}")
    deployer, alice, bob = (devnet_signer(chain, i) for i in range(3))
    verifier, verifier_tx = deploy_verifier(chain, deployer)
    result = deploy_memjit(chain, deployer, DeployConfig(), verifier=verifier)
    d = result.deployment
    mj = MemJitContracts(chain, d)
    steps = [Step("deploy Groth16Verifier", verifier_tx)]
    steps += [Step(name, tx) for name, tx in result.steps]
    say(f"deployed SWT {d.swt}, WorkerRegistry {d.registry}, UtilityOracle {d.oracle}")

    for who, signer in (("alice", alice), ("bob", bob)):
        tx = mj.faucet(signer, 1_000 * WEI_PER_SWT)
        steps.append(Step(f"faucet 1000 SWT to {who}", tx))

    plan = [
        ("alice", alice, "nearest-centroid", 150 * WEI_PER_SWT, True),
        ("alice", alice, "logistic-regression", 200 * WEI_PER_SWT, True),
        ("bob", bob, "small-mlp", 300 * WEI_PER_SWT, False),
    ]
    workers: list[DemoWorker] = []
    for who, signer, name, stake, permit in plan:
        cid = cid_for(_module(name))
        wid, tx = mj.register_worker(signer, cid, stake, CAPABILITY, permit=permit)
        how = "permit: 1 tx" if permit else "approve + register: 2 tx"
        steps.append(Step(f"{who} registers {name} ({how})", tx))
        workers.append(DemoWorker(name, who, wid))
    tx = mj.add_stake(alice, workers[0].id, 50 * WEI_PER_SWT)
    steps.append(Step("alice adds 50 SWT stake (permit)", tx))

    total = mj.total_staked()
    held = mj.balance_of(d.registry)
    if total != held:
        raise AssertionError(f"stake books broken: totalStaked {total} != registry balance {held}")

    infos = [mj.worker(w.id) for w in workers]
    if not quiet:
        _print_tables(workers, infos, steps, total)
    return {
        "chain_id": chain.chain_id,
        "contracts": {"SWT": d.swt, "WorkerRegistry": d.registry, "UtilityOracle": d.oracle},
        "workers": [
            {
                "name": w.name,
                "owner": w.owner,
                "id": "0x" + w.id.hex(),
                "cid": info.cid,
                "stake_wei": str(info.stake),
                "status": info.status.name.lower(),
            }
            for w, info in zip(workers, infos, strict=True)
        ],
        "total_staked_wei": str(total),
        "transactions": [
            {"step": s.what, "tx_hash": s.tx.tx_hash, "gas_used": s.tx.gas_used} for s in steps
        ],
    }


def _print_tables(
    workers: list[DemoWorker], infos: list[WorkerInfo], steps: list[Step], total: int
) -> None:
    tx_table = Table(title="transactions")
    tx_table.add_column("step")
    tx_table.add_column("tx", style="dim")
    tx_table.add_column("gas", justify="right")
    for step in steps:
        tx_table.add_row(step.what, short(step.tx.tx_hash), f"{step.tx.gas_used:,}")
    console.print(tx_table)

    table = Table(title="worker registry")
    for column in ("worker", "owner", "id", "CID", "capability", "stake", "status"):
        table.add_column(column)
    for w, info in zip(workers, infos, strict=True):
        table.add_row(
            w.name,
            w.owner,
            short(w.id),
            short(info.cid, 8),
            info.capability,
            format_swt(info.stake),
            info.status.name.lower(),
        )
    console.print(table)
    console.print(f"total staked {format_swt(total)} = the registry's SWT balance")
