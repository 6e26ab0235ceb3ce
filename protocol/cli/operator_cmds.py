"""``memjit operator``: who may run rounds on a deployment (the oracle's OPERATOR_ROLE).

Every node of a swarm that serves requests signs its rounds with an operator account of its
own (one account per node: rounds are nonce-ordered transactions), so the deployment's admin
grants each node's account the role."""

from __future__ import annotations

from pathlib import Path

import click
from web3 import Web3

from protocol.cli.context import RPC_HELP, contracts_for, rpc_option, signer_for, signer_options
from protocol.cli.output import console
from protocol.errors import ConfigError


def _checksummed(address: str) -> str:
    if not Web3.is_address(address):
        raise ConfigError(f"not an Ethereum address: {address!r}")
    return Web3.to_checksum_address(address)


@click.group()
def operator() -> None:
    """Grant or revoke the oracle operator role (signed by the deployment's admin)."""


@operator.command("add")
@click.argument("address")
@rpc_option(RPC_HELP)
@signer_options
def operator_add(
    address: str, rpc_url: str | None, keystore: Path | None, account_index: int
) -> None:
    """Let ADDRESS open and close rounds (a node's `--account` or `--keystore`)."""
    _set_role(address, True, rpc_url, keystore, account_index)


@operator.command("remove")
@click.argument("address")
@rpc_option(RPC_HELP)
@signer_options
def operator_remove(
    address: str, rpc_url: str | None, keystore: Path | None, account_index: int
) -> None:
    """Stop ADDRESS from running rounds (rounds it left open expire and can be abandoned)."""
    _set_role(address, False, rpc_url, keystore, account_index)


def _set_role(
    address: str, grant: bool, rpc_url: str | None, keystore: Path | None, account_index: int
) -> None:
    account = _checksummed(address)
    mj = contracts_for(rpc_url)
    admin = signer_for(mj.chain, keystore, account_index)
    tx = mj.rounds.set_operator(admin, account, grant)
    holds = mj.rounds.is_operator(account)
    console.print(
        f"{account} {'is' if holds else 'is not'} an operator of oracle {mj.rounds.address} "
        f"(tx {tx.tx_hash})",
        highlight=False,
    )
