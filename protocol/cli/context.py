"""Options shared by commands that talk to a chain, and the objects they resolve to."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from protocol.chain import MemJitContracts
from protocol.chain.connection import Chain, connect
from protocol.chain.deployment import load_deployment
from protocol.chain.signers import Signer, resolve_signer
from protocol.errors import ConfigError
from protocol.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

RPC_HELP = "JSON-RPC endpoint [default: the configured one, http://127.0.0.1:8545]."


def rpc_option(help_text: str) -> Callable[[F], F]:
    return click.option("--rpc", "rpc_url", metavar="URL", default=None, help=help_text)


def signer_options(func: F) -> F:
    func = click.option(
        "--account",
        "account_index",
        type=click.IntRange(0, 9),
        default=0,
        show_default=True,
        help="Which well-known devnet account signs (local chains only).",
    )(func)
    func = click.option(
        "--keystore",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Encrypted key file; password from MEMJIT_KEYSTORE_PASSWORD or a prompt.",
    )(func)
    return func


def load_settings(**overrides: Any) -> Settings:
    """Settings from file and environment; ``overrides`` (command-line flags) win when set."""
    return Settings.load(**overrides)


def json_option(what: str) -> Callable[[F], F]:
    """``--json``: print ``what`` for machines instead of tables."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


def out_option(help_text: str) -> Callable[[F], F]:
    """``-o/--out FILE``: a file the command writes."""
    return click.option(
        "-o",
        "--out",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help=help_text,
    )


def input_option(help_text: str) -> Callable[[F], F]:
    """``-i/--input FILE``: the input bytes, a file or - for stdin (see :func:`read_input`)."""
    return click.option(
        "-i",
        "--input",
        "input_file",
        required=True,
        type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
        help=help_text,
    )


def store_options(func: F) -> F:
    """``--store`` and ``--ipfs-api``: which content store a command uses."""
    func = click.option(
        "--ipfs-api",
        metavar="MULTIADDR",
        default=None,
        help="IPFS RPC API for --store kubo [default: /ip4/127.0.0.1/tcp/5001/http].",
    )(func)
    func = click.option(
        "--store",
        type=click.Choice(["local", "kubo"]),
        default=None,
        help="Content store [default: the configured one, local].",
    )(func)
    return func


def broker_option(func: F) -> F:
    """``--broker``: run the round's workers on the Celery pool behind this Redis."""
    return click.option(
        "--broker",
        metavar="URL",
        default=None,
        help="Run workers on the Celery pool behind this Redis (redis://host:port/db) "
        "[default: $MEMJIT_BROKER, else in this process].",
    )(func)


def canary_pool_option(func: F) -> F:
    """``--canary-pool FILE``: the operator's private canary pool."""
    return click.option(
        "--canary-pool",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Draw canaries from this private pool (memjit-pool/1, see docs/oracle.md) "
        "[default: $MEMJIT_CANARY_POOL, else the shipped pool, varied].",
    )(func)


def connect_chain(settings: Settings, rpc_url: str | None, embedded_default: bool) -> Chain:
    """``--rpc`` if given; else the embedded chain or the configured RPC URL."""
    if rpc_url is None and embedded_default:
        return connect(None)
    return connect(rpc_url or settings.rpc_url, timeout_s=settings.rpc_timeout_s)


def contracts_for(rpc_url: str | None, settings: Settings | None = None) -> MemJitContracts:
    """The deployment recorded for the chain at ``--rpc`` (or the configured RPC URL)."""
    settings = settings or load_settings()
    chain = connect_chain(settings, rpc_url, embedded_default=False)
    return MemJitContracts(chain, load_deployment(settings.deployments_file, chain))


def signer_for(chain: Chain, keystore: Path | None, account_index: int) -> Signer:
    def prompt(text: str) -> str:
        return str(click.prompt(text, hide_input=True))

    return resolve_signer(
        chain, os.environ, keystore=keystore, account_index=account_index, prompt=prompt
    )


def read_input(file: Path) -> bytes:
    """The bytes of ``file``, or of stdin for ``-``; a ConfigError names an unreadable file."""
    if str(file) == "-":
        return sys.stdin.buffer.read()
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror or exc}") from exc
