"""The engine: service requests served by rounds of competing workers (see engine.py)."""

from protocol.engine.engine import JITEngine, RequestResult, WorkerOutcome
from protocol.engine.journal import Journal

__all__ = ["JITEngine", "Journal", "RequestResult", "WorkerOutcome"]
