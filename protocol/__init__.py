"""MemJit node: content store, sandbox, module cache, chain access, rounds, swarm, CLI."""

__version__ = "0.1.0"
