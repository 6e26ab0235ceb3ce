"""A long-running MemJit node: the engine behind a small local HTTP API (see http_api.py)."""

from protocol.node.http_api import NodeServer, NodeState, close_node

__all__ = ["NodeServer", "NodeState", "close_node"]
