"""The MemJit exception tree.

Every error the library raises on purpose derives from :class:`MemJitError`, so callers (the
CLI above all) can catch one class and show one line::

    MemJitError
    ├── ConfigError        bad settings, keys, deployment files, missing tools
    ├── CompileError       the Solidity toolchain failed or artifacts are stale
    ├── ChainError         talking to a chain failed
    │   ├── RpcUnavailable     the node cannot be reached
    │   ├── ContractReverted   a call or transaction reverted (custom error decoded)
    │   └── NotDeployed        no deployment is known for this chain
    ├── StoreError         the content store failed
    │   ├── ContentNotFound    no block for the CID
    │   ├── ContentMismatch    fetched bytes do not hash to the CID (nothing is cached)
    │   ├── ContentTooLarge    more than one block; MemJit does not chunk
    │   ├── BadCid             not a CID MemJit can verify
    │   └── StoreUnavailable   the IPFS node cannot be reached
    ├── BuildError         a worker could not be built from source or weights
    ├── ProofError         a proof, key or evaluation set is malformed or does not fit
    │   └── SnarkjsError       the snarkjs CLI failed (protocol.testing, the tests' peer)
    ├── SwarmError         talking to peers failed
    │   ├── PeerUnreachable    a peer did not answer: dial refused, stream reset, timeout
    │   │                      (protocol.swarm.streams)
    │   └── MalformedMessage   a peer sent bytes that break the wire format
    │       └── TruncatedMessage   the stream ended inside a message
    ├── PoolError          the Celery pool lost, timed out or garbled a round's runs
    │   └── PoolUnavailable    the broker cannot be reached, or no pool worker answers
    ├── EngineError        a service request could not be served
    │   ├── UnknownCapability  no capability of that name, or input that is not whole items
    │   ├── NoEligibleWorkers  no active worker has the capability
    │   │   └── NoServingPeer  no node of the swarm serves it, or none answered
    │   └── RoundFailed        the round was abandoned (nothing paid, nothing slashed)
    └── SandboxError       a worker run failed (the worker scores zero; the node goes on)
        ├── InvalidModule      not valid WebAssembly, or the worker ABI is not met
        ├── ForbiddenImport    the module imports something not allow-listed
        ├── OutOfFuel          the fuel budget ran out
        ├── OutOfMemory        the memory cap was reached
        ├── Timeout            the wall-clock deadline passed
        ├── WorkerTrap         the worker trapped (unreachable, bad memory access, ...)
        ├── BadOutput          the output breaks the ABI or the output cap
        └── WorkerUnavailable  a round's worker whose module could not be fetched or
                               compiled

The oracle library (``oracle``, no I/O) has its own root, ``oracle.errors.OracleError``; the
node wraps it in :class:`ProofError` at the boundary. The HTTP servers' ``ApiError``
(protocol.json_http) is an answer to send, not an error MemJit raises.

Third-party exceptions (web3, requests, solcx, wasmtime, ipfshttpclient) are translated into these at the boundary.
"""

from __future__ import annotations

from typing import Any


class MemJitError(Exception):
    """Root of every error MemJit raises on purpose."""

    #: The CLI's exit status for this error.
    exit_code: int = 1

    def __init__(self, *args: Any, exit_code: int | None = None) -> None:
        super().__init__(*args)
        if exit_code is not None:
            self.exit_code = exit_code


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


class StoreError(MemJitError):
    """The content store failed."""


class ContentNotFound(StoreError):
    """The store holds no content for the CID."""


class ContentMismatch(StoreError):
    """Bytes fetched for a CID do not hash to it; they were discarded."""


class ContentTooLarge(StoreError):
    """The content exceeds one block (MemJit stores single-block content only)."""


class BadCid(StoreError):
    """The text is not a CID MemJit can verify (CIDv1, raw codec, sha2-256 or BLAKE3)."""


class StoreUnavailable(StoreError):
    """The IPFS node cannot be reached or answered with an error."""


class BuildError(MemJitError):
    """A worker module could not be built from source or weights."""


class ProofError(MemJitError):
    """A proof, key or evaluation set is malformed, or does not fit the circuit (wraps the
    oracle library's errors at the node's boundary)."""


class SwarmError(MemJitError):
    """Talking to a peer of the swarm failed."""


class MalformedMessage(SwarmError):
    """A peer sent bytes that break the wire format (see protocol/swarm/wire.py)."""


class TruncatedMessage(MalformedMessage):
    """The stream ended inside a message: the peer died or hung up, more often than not."""


class PoolError(MemJitError):
    """The Celery pool failed a round's runs (lost them, timed out, or answered nonsense)."""


class PoolUnavailable(PoolError):
    """The pool's broker cannot be reached, or no pool worker answers on it."""


class EngineError(MemJitError):
    """A service request could not be served."""


class UnknownCapability(EngineError):
    """No task has that name, or the input is not a whole number of its items."""


class NoEligibleWorkers(EngineError):
    """No active worker is registered for the capability."""


class NoServingPeer(NoEligibleWorkers):
    """No node of the swarm serves the capability, or none of those tried answered."""


class RoundFailed(EngineError):
    """The round could not be completed and was abandoned: nothing paid, nothing slashed."""


class SandboxError(MemJitError):
    """A worker run failed. ``fuel_used`` is what the run burned before failing (0 when it
    never started)."""

    #: Short stable name for tables and JSON (``out-of-fuel``, ``timeout``, ...).
    kind = "sandbox-error"

    def __init__(self, message: str, fuel_used: int = 0) -> None:
        super().__init__(message)
        self.fuel_used = fuel_used


class InvalidModule(SandboxError):
    """Not valid WebAssembly, or the module does not implement the worker ABI."""

    kind = "invalid-module"


class ForbiddenImport(SandboxError):
    """The module imports a function that is not on the allow-list."""

    kind = "forbidden-import"


class OutOfFuel(SandboxError):
    """The run used up its fuel budget."""

    kind = "out-of-fuel"


class OutOfMemory(SandboxError):
    """The run hit the memory cap."""

    kind = "out-of-memory"


class Timeout(SandboxError):
    """The run passed its wall-clock deadline."""

    kind = "timeout"


class WorkerTrap(SandboxError):
    """The worker trapped: ``unreachable``, an out-of-bounds access, a division by zero..."""

    kind = "trap"


class BadOutput(SandboxError):
    """The worker returned an output that breaks the ABI or exceeds the output cap."""

    kind = "bad-output"


class WorkerUnavailable(SandboxError):
    """A round's worker whose module could not be fetched or compiled: it scores zero like
    any other failure of the worker's."""

    kind = "unavailable"


def rebuild(kind: str, message: str) -> MemJitError:
    """The error another process reported as its class name and message (a node's HTTP API, a
    peer of the swarm): the same class when it is a request error (an :class:`EngineError`),
    otherwise an :class:`EngineError` carrying the message. Only request errors are rebuilt
    so that a remote failure is never mistaken for a local one (a peer's ``RpcUnavailable``
    is not this node's chain being down)."""
    cls = globals().get(kind)
    if isinstance(cls, type) and issubclass(cls, EngineError):
        return cls(message)
    return EngineError(f"{message} ({kind})" if kind else message)
