"""Who signs transactions: a private key, an encrypted keystore, or a devnet's known key.

Keys come from, in order: ``--keystore FILE`` (password from ``MEMJIT_KEYSTORE_PASSWORD`` or a
prompt), the ``MEMJIT_PRIVATE_KEY`` variable, and, on local development chains only, the
chain's well-known funded accounts (``--account N``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from protocol.chain.connection import Chain
from protocol.errors import ConfigError

#: anvil's (and hardhat's) default mnemonic: public knowledge, for local chains only.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
DEVNET_ACCOUNTS = 10


@dataclass(frozen=True)
class Signer:
    """An account that signs locally."""

    account: LocalAccount

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address


def signer_from_key(key: str) -> Signer:
    """A signer from a hex private key (with or without 0x)."""
    text = key.strip()
    body = text[2:] if text.startswith(("0x", "0X")) else text
    if len(body) != 64:
        raise ConfigError("private key must be 32 bytes of hex (64 hex digits)")
    try:
        return Signer(Account.from_key(bytes.fromhex(body)))
    except ValueError as exc:
        raise ConfigError(f"private key is not valid hex or not a valid key: {exc}") from exc


def signer_from_keystore(path: Path, password: str) -> Signer:
    """A signer from an eth-account (Web3 Secret Storage) keystore file."""
    try:
        encrypted = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"keystore file not found: {path}") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a readable keystore JSON file: {exc}") from exc
    try:
        key = Account.decrypt(encrypted, password)
    except ValueError as exc:
        raise ConfigError(
            f"cannot decrypt keystore {path}: wrong password or damaged file"
        ) from exc
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a keystore file (missing {exc})") from exc
    return Signer(Account.from_key(key))


def devnet_signer(chain: Chain, index: int = 0) -> Signer:
    """Funded account ``index`` of a local development chain."""
    if not chain.is_devnet:
        raise ConfigError(
            f"chain {chain.chain_id} is not a local devnet: pass --keystore FILE or set MEMJIT_PRIVATE_KEY"
        )
    if not 0 <= index < DEVNET_ACCOUNTS:
        raise ConfigError(f"devnet account index must be 0-{DEVNET_ACCOUNTS - 1}, got {index}")
    if chain.kind == "embedded":
        # eth-tester funds the accounts whose private keys are 1, 2, ..., 10.
        return Signer(Account.from_key((index + 1).to_bytes(32, "big")))
    Account.enable_unaudited_hdwallet_features()
    return Signer(Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"))


def resolve_signer(
    chain: Chain,
    env: Mapping[str, str],
    keystore: Path | None = None,
    account_index: int = 0,
    prompt: Callable[[str], str] | None = None,
) -> Signer:
    """The signer the user asked for (see the module docstring for the order)."""
    if keystore is not None:
        password = env.get("MEMJIT_KEYSTORE_PASSWORD")
        if password is None:
            if prompt is None:
                raise ConfigError("keystore password needed: set MEMJIT_KEYSTORE_PASSWORD")
            password = prompt(f"Password for {keystore}")
        return signer_from_keystore(keystore, password)
    key = env.get("MEMJIT_PRIVATE_KEY")
    if key:
        try:
            return signer_from_key(key)
        except ConfigError as exc:
            raise ConfigError(f"MEMJIT_PRIVATE_KEY: {exc}") from exc
    return devnet_signer(chain, account_index)
