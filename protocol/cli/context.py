"""Options shared by commands that talk to a chain, and the objects they resolve to."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from protocol.chain.connection import Chain, connect
from protocol.chain.signers import Signer, resolve_signer
from protocol.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


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


def load_settings() -> Settings:
    return Settings.load()


def connect_chain(settings: Settings, rpc_url: str | None, embedded_default: bool) -> Chain:
    """``--rpc`` if given; else the embedded chain or the configured RPC URL."""
    if rpc_url is None and embedded_default:
        return connect(None)
    return connect(rpc_url or settings.rpc_url, timeout_s=settings.rpc_timeout_s)


def signer_for(chain: Chain, keystore: Path | None, account_index: int) -> Signer:
    def prompt(text: str) -> str:
        return str(click.prompt(text, hide_input=True))

    return resolve_signer(
        chain, os.environ, keystore=keystore, account_index=account_index, prompt=prompt
    )
