"""The engine: service requests served by rounds of competing workers (see engine.py)."""

from protocol.engine.engine import JITEngine
from protocol.engine.journal import Journal
from protocol.engine.results import RequestResult, ServedRequest, WorkerOutcome

__all__ = ["JITEngine", "Journal", "RequestResult", "ServedRequest", "WorkerOutcome"]
