"""A long-running MemJit node: the engine behind a small local HTTP API (see server.py)."""

from protocol.api.server import NodeServer, NodeState, close_node

__all__ = ["NodeServer", "NodeState", "close_node"]
