"""Settings: one typed, frozen object, from ``$MEMJIT_HOME/config.toml`` and ``MEMJIT_*`` env vars.

Environment variables win over the file; command-line flags win over both (the CLI passes
them to :meth:`Settings.load` as overrides). Nothing reads settings from globals: the object
is passed explicitly.

``config.toml`` holds top-level keys with the same names as the fields, e.g.::

    rpc_url = "http://127.0.0.1:8545"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

from protocol.cid import HashFunction
from protocol.errors import ConfigError
from protocol.units import parse_size

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_IPFS_API = "/ip4/127.0.0.1/tcp/5001/http"

StoreKind = Literal["local", "kubo"]

#: Sandbox and cache defaults, shared with :class:`protocol.sandbox.Limits` and the cache.
DEFAULT_FUEL_LIMIT = 1_000_000_000
DEFAULT_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
DEFAULT_DEADLINE_S = 5.0
DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024
DEFAULT_CACHE_MEMORY_BYTES = 1_000_000_000


@dataclass(frozen=True)
class Settings:
    """Where MemJit keeps its files and which chain it talks to."""

    #: Folder for deployment records, pid files and logs.
    home: Path
    #: JSON-RPC endpoint used by commands that need a real chain (anvil's default port).
    rpc_url: str = DEFAULT_RPC_URL
    #: Seconds to wait for one JSON-RPC answer.
    rpc_timeout_s: float = 30.0
    #: Content store: ``local`` (a directory under home) or ``kubo`` (an IPFS node's RPC).
    store: StoreKind = "local"
    #: The IPFS node's RPC API as a multiaddr (kubo's default port).
    ipfs_api: str = DEFAULT_IPFS_API
    #: Seconds to wait for the IPFS node.
    ipfs_timeout_s: float = 30.0
    #: Hash for new CIDs: ``sha2-256`` (what ``ipfs add`` uses) or ``blake3``.
    hash_function: HashFunction = "sha2-256"
    #: In-memory budget for compiled modules (sizes accept units: ``1GB``, ``256MiB``).
    cache_memory_bytes: int = DEFAULT_CACHE_MEMORY_BYTES
    #: Fuel (WebAssembly instructions, roughly) one run may burn.
    fuel_limit: int = DEFAULT_FUEL_LIMIT
    #: Linear-memory cap of one run.
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES
    #: Wall-clock deadline of one run.
    deadline_s: float = DEFAULT_DEADLINE_S
    #: Largest output one run may return.
    output_limit_bytes: int = DEFAULT_OUTPUT_LIMIT_BYTES
    #: Celery broker (``redis://host:port/db``): when set, rounds run their workers on the
    #: pool behind it (``memjit pool start``) instead of in this process.
    broker: str | None = None
    #: Seconds after which a pool task a worker took but never finished (its machine died) is
    #: handed to another worker: Redis's visibility timeout. Must exceed the longest run.
    pool_redeliver_s: float = 60.0
    #: Seconds a round waits for its runs on the pool before it is abandoned.
    pool_timeout_s: float = 300.0
    #: The operator's private canary pool (a ``memjit-pool/1`` file, :mod:`oracle.pools`) for
    #: its task's rounds. Unset: the pool that ships with the package, public but varied.
    canary_pool: Path | None = None

    def __post_init__(self) -> None:
        for name, kind in (("store", StoreKind), ("hash_function", HashFunction)):
            allowed = get_args(kind)
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"setting {name} must be {' or '.join(allowed)}, got {getattr(self, name)!r}"
                )
        for name in (
            "fuel_limit",
            "memory_limit_bytes",
            "output_limit_bytes",
            "deadline_s",
            "pool_redeliver_s",
            "pool_timeout_s",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"setting {name} must be positive")
        if self.broker is not None:
            _check_broker_url(self.broker)
            if self.pool_redeliver_s <= self.deadline_s:
                raise ConfigError(
                    f"setting pool_redeliver_s ({self.pool_redeliver_s:g} s) must exceed "
                    f"deadline_s ({self.deadline_s:g} s), or a run still going is handed out again"
                )

    @property
    def blocks_dir(self) -> Path:
        """The local content store."""
        return self.home / "store"

    @property
    def cache_dir(self) -> Path:
        """Serialized compiled modules and their usage statistics."""
        return self.home / "cache"

    @property
    def deployments_file(self) -> Path:
        """The deployment record: chain id → contract addresses."""
        return self.home / "deployments.json"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the config file and ``MEMJIT_*`` variables of ``env`` (default: the
        process environment), then ``overrides`` whose value is not None."""
        env = os.environ if env is None else env
        home = Path(env.get("MEMJIT_HOME") or Path.home() / ".memjit").expanduser()
        values: dict[str, Any] = {"home": home}
        config = home / "config.toml"
        if config.is_file():
            try:
                values.update(tomllib.loads(config.read_text(encoding="utf-8")))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{config}: not valid TOML ({exc})") from exc
        known = {f.name: f for f in fields(cls)}
        for name in known:
            key = "MEMJIT_" + name.upper()
            if key in env and name != "home":
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - set(known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        try:
            settings = cls(
                home=Path(values.pop("home")),
                **{k: _coerce(known[k].type, k, v) for k, v in values.items()},
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad setting: {exc}") from exc
        return settings


def _check_broker_url(url: str) -> None:
    """Only Redis brokers: the pool's redelivery of a dead worker's tasks is Redis's
    visibility timeout, and that is what the fault tests exercise."""
    scheme = url.partition("://")[0]
    if scheme not in ("redis", "rediss") or not url.partition("://")[2]:
        raise ConfigError(f"the broker must be a redis:// or rediss:// URL, got {url!r}")


def _coerce(kind: Any, name: str, value: Any) -> Any:
    if kind in ("int", int):
        try:
            return parse_size(value) if name.endswith("_bytes") else _whole(value)
        except ValueError as exc:
            raise ConfigError(f"setting {name} must be a whole number, got {value!r}") from exc
    if kind in ("float", float):
        try:
            return float(value)
        except ValueError as exc:
            raise ConfigError(f"setting {name} must be a number, got {value!r}") from exc
    if kind == "str | None" and value in ("", None):
        return None  # an empty MEMJIT_BROKER means "no broker"
    if kind == "Path | None":
        return None if value in ("", None) else Path(str(value)).expanduser()
    return str(value)


def _whole(value: Any) -> int:
    """``1000``, ``"1000"``, ``"1e9"`` or ``"1_000_000"`` → int; ValueError for fractions."""
    if isinstance(value, int):
        return value
    text = str(value).replace("_", "")
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{value!r} is not whole") from None
        return int(number)
