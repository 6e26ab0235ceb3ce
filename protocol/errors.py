"""The MemJit exception tree.

Every error the library raises on purpose derives from :class:`MemJitError`, so callers (the
CLI above all) can catch one class and show one line::

    MemJitError
    ├── ConfigError        bad settings, keys, deployment files
    ├── CompileError       the Solidity toolchain failed or artifacts are stale
    └── ChainError         talking to a chain failed
        ├── RpcUnavailable     the node cannot be reached
        ├── ContractReverted   a call or transaction reverted (custom error decoded)
        └── NotDeployed        no deployment is known for this chain

Third-party exceptions (web3, requests, solcx) are translated into these at the boundary.
"""

from __future__ import annotations

from typing import Any


class MemJitError(Exception):
    """Root of every error MemJit raises on purpose."""


class ConfigError(MemJitError):
    """Settings, keys or files given to MemJit are unusable."""


class CompileError(MemJitError):
    """Compiling the contracts failed, or the committed artifacts are stale."""


class ChainError(MemJitError):
    """Talking to an EVM chain failed."""


class RpcUnavailable(ChainError):
    """The JSON-RPC endpoint cannot be reached."""


class NotDeployed(ChainError):
    """No MemJit deployment is known for the chain."""


class ContractReverted(ChainError):
    """A contract call or transaction reverted.

    ``name`` and ``args`` hold the decoded custom error (``WorkerRegistryStakeTooLow`` and its
    arguments), or ``Error``/``Panic`` for string and panic reverts; ``name`` is ``None`` when
    the revert data matched nothing known.
    """

    def __init__(self, name: str | None, args: dict[str, Any], data: bytes) -> None:
        self.name = name
        self.error_args = args
        self.data = data
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.name is None:
            if not self.data:
                return "transaction reverted without a reason"
            return f"transaction reverted with unknown error data 0x{self.data.hex()}"
        inner = ", ".join(f"{key}={_show(value)}" for key, value in self.error_args.items())
        return f"reverted: {self.name}({inner})"


def _show(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)
