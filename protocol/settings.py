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
from typing import Any

from protocol.errors import ConfigError

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


@dataclass(frozen=True)
class Settings:
    """Where MemJit keeps its files and which chain it talks to."""

    #: Folder for deployment records, pid files and logs.
    home: Path
    #: JSON-RPC endpoint used by commands that need a real chain (anvil's default port).
    rpc_url: str = DEFAULT_RPC_URL
    #: Seconds to wait for one JSON-RPC answer.
    rpc_timeout_s: float = 30.0

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


def _coerce(kind: Any, name: str, value: Any) -> Any:
    if kind in ("float", float):
        try:
            return float(value)
        except ValueError as exc:
            raise ConfigError(f"setting {name} must be a number, got {value!r}") from exc
    return str(value)
