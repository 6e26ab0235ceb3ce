"""``memjit faucet`` and ``memjit worker register|stake|exit|withdraw|status|terminate``:
staking from the command line.

They act on the deployment recorded for the chain (``memjit deploy`` writes it).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from protocol.chain import Termination, WorkerStatus
from protocol.cli.context import (
    RPC_HELP,
    contracts_for,
    json_option,
    rpc_option,
    signer_for,
    signer_options,
)
from protocol.cli.output import console, parse_amount, print_json
from protocol.errors import ConfigError
from protocol.units import format_swt


@click.command()
@click.argument("amount")
@rpc_option(RPC_HELP)
@signer_options
def faucet(amount: str, rpc_url: str | None, keystore: Path | None, account_index: int) -> None:
    """Mint AMOUNT test SWT to the signer (local devnets only, 100000 at most)."""
    mj = contracts_for(rpc_url)
    signer = signer_for(mj.chain, keystore, account_index)
    tx = mj.token.faucet(signer, parse_amount(amount))
    console.print(
        f"{signer.address} now holds {format_swt(mj.token.balance_of(signer.address))} (tx {tx.tx_hash})"
    )


@click.group()
def worker() -> None:
    """Publish, register, stake, exit and inspect workers."""


@worker.command("register")
@click.option("--cid", required=True, help="IPFS CID of the worker's WebAssembly module.")
@click.option("--stake", required=True, help="SWT to bond (at least the registry's minimum).")
@click.option("--capability", required=True, help='What the worker does, e.g. "digits-8x8".')
@click.option(
    "--no-permit",
    is_flag=True,
    help="Approve in a separate transaction instead of an EIP-2612 permit.",
)
@rpc_option(RPC_HELP)
@signer_options
@json_option("the result")
def worker_register(
    cid: str,
    stake: str,
    capability: str,
    no_permit: bool,
    rpc_url: str | None,
    keystore: Path | None,
    account_index: int,
    as_json: bool,
) -> None:
    """Register a worker and bond its stake (one signature, one transaction)."""
    mj = contracts_for(rpc_url)
    signer = signer_for(mj.chain, keystore, account_index)
    holder = mj.registry.worker_id_of_cid(cid)
    if holder is not None:  # the registry refuses it too; this saves the signature and gas
        raise ConfigError(f"CID {cid} is already registered, as worker 0x{holder.hex()}")
    wid, tx = mj.registry.register(
        signer, cid, parse_amount(stake), capability, permit=not no_permit
    )
    if as_json:
        print_json({"worker_id": "0x" + wid.hex(), "tx_hash": tx.tx_hash, "gas_used": tx.gas_used})
        return
    console.print(f"registered worker 0x{wid.hex()} (tx {tx.tx_hash}, gas {tx.gas_used:,})")


def parse_worker_id(worker_id: str) -> bytes:
    """A worker id given on the command line (0x + 64 hex digits)."""
    text = worker_id.removeprefix("0x")
    try:
        wid = bytes.fromhex(text)
    except ValueError:
        wid = b""
    if len(wid) != 32:
        raise ConfigError(f"worker id must be 0x followed by 64 hex digits, got {worker_id!r}")
    return wid


@worker.command("stake")
@click.argument("worker_id")
@click.argument("amount")
@click.option("--no-permit", is_flag=True, help="Approve in a separate transaction.")
@rpc_option(RPC_HELP)
@signer_options
def worker_stake(
    worker_id: str,
    amount: str,
    no_permit: bool,
    rpc_url: str | None,
    keystore: Path | None,
    account_index: int,
) -> None:
    """Add AMOUNT SWT to the stake of WORKER_ID (anyone may top a worker up)."""
    wid = parse_worker_id(worker_id)
    mj = contracts_for(rpc_url)
    signer = signer_for(mj.chain, keystore, account_index)
    tx = mj.registry.add_stake(signer, wid, parse_amount(amount), permit=not no_permit)
    console.print(
        f"stake of 0x{wid.hex()[:12]}… is now {format_swt(mj.registry.worker(wid).stake)} (tx {tx.tx_hash})"
    )


@worker.command("exit")
@click.argument("worker_id")
@rpc_option(RPC_HELP)
@signer_options
def worker_exit(
    worker_id: str, rpc_url: str | None, keystore: Path | None, account_index: int
) -> None:
    """Stop WORKER_ID taking part in rounds; its stake unbonds after the registry's delay
    (slashable until then for the rounds it played)."""
    wid = parse_worker_id(worker_id)
    mj = contracts_for(rpc_url)
    tx = mj.registry.exit(signer_for(mj.chain, keystore, account_index), wid)
    console.print(
        f"worker exiting; stake withdrawable at {mj.registry.worker(wid).unbonds_at} (tx {tx.tx_hash})"
    )


@worker.command("withdraw")
@click.argument("worker_id")
@rpc_option(RPC_HELP)
@signer_options
def worker_withdraw(
    worker_id: str, rpc_url: str | None, keystore: Path | None, account_index: int
) -> None:
    """Withdraw the unbonded stake of an exited or terminated WORKER_ID to its owner."""
    wid = parse_worker_id(worker_id)
    mj = contracts_for(rpc_url)
    signer = signer_for(mj.chain, keystore, account_index)
    tx = mj.registry.withdraw(signer, wid)
    console.print(
        f"withdrawn; {signer.address} holds {format_swt(mj.token.balance_of(signer.address))} (tx {tx.tx_hash})"
    )


@worker.command("status")
@click.argument("worker_id")
@rpc_option(RPC_HELP)
@json_option("the worker")
def worker_status(worker_id: str, rpc_url: str | None, as_json: bool) -> None:
    """Show what the registry holds for WORKER_ID (0x + 64 hex digits)."""
    wid = parse_worker_id(worker_id)
    text = wid.hex()
    mj = contracts_for(rpc_url)
    info = mj.registry.worker(wid)
    if info.status == WorkerStatus.NONE:
        raise ConfigError(f"no worker 0x{text} in the registry at {mj.registry.address}")
    fields = {
        "owner": info.owner,
        "status": info.status.name.lower(),
        "cid": info.cid,
        "capability": info.capability,
        "stake": format_swt(info.stake),
        "last score": str(info.last_score),
        "usefulness": f"{info.usefulness / 100:.2f}",
        "rounds scored": str(info.rounds_scored),
        "strikes": f"{info.strikes}/{mj.rounds.params().strike_limit}",
        "terminable": mj.rounds.terminable(wid).name.lower(),
        "last used": str(info.last_used),
    }
    if as_json:
        print_json(
            {
                "id": "0x" + text,
                **{k.replace(" ", "_"): v for k, v in fields.items()},
                "stake_wei": str(info.stake),
            }
        )
        return
    table = Table(title=f"worker 0x{text[:12]}…", show_header=False)
    for key, value in fields.items():
        table.add_row(key, value)
    console.print(table)


@worker.command("terminate")
@click.argument("worker_id")
@rpc_option(RPC_HELP)
@signer_options
def worker_terminate(
    worker_id: str, rpc_url: str | None, keystore: Path | None, account_index: int
) -> None:
    """Terminate WORKER_ID if it qualifies (strikes, or 3 sigma below its capability's mean);
    anyone may, for a bounty of half the stake it slashes. Checked before signing: a worker
    that does not qualify costs nothing."""
    wid = parse_worker_id(worker_id)
    mj = contracts_for(rpc_url)
    info = mj.registry.worker(wid)
    if info.status == WorkerStatus.NONE:
        raise ConfigError(f"no worker 0x{wid.hex()} in the registry at {mj.registry.address}")
    reason = mj.rounds.terminable(wid)
    if reason == Termination.NONE:
        raise ConfigError(
            f"worker 0x{wid.hex()[:12]}… does not qualify for termination "
            f"({info.status.name.lower()}, {info.strikes} strikes, usefulness "
            f"{info.usefulness / 100:.2f})"
        )
    bounty, tx = mj.rounds.terminate(signer_for(mj.chain, keystore, account_index), wid)
    console.print(
        f"terminated ({reason.name.lower()}); bounty {format_swt(bounty)} (tx {tx.tx_hash})"
    )
