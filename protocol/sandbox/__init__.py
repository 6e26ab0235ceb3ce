"""The sandbox: wasmtime with fuel, memory, time and output limits (``DarwinVM``), the worker
ABI it enforces, and the compiled-module cache."""

from protocol.sandbox.cache import CacheStats, ModuleCache
from protocol.sandbox.usage import ModuleUsage, UsageBook
from protocol.sandbox.vm import DarwinVM, Limits, RunResult

__all__ = [
    "CacheStats",
    "DarwinVM",
    "Limits",
    "ModuleCache",
    "ModuleUsage",
    "RunResult",
    "UsageBook",
]
