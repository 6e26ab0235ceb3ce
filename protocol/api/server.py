"""The node's HTTP API: service requests in, results and receipts out.

    GET  /v1/health                     the node: chain, oracle, operator, capabilities, swarm
    POST /v1/requests/<capability>      body: the items, concatenated bytes (as ``memjit
                                        request -i``) → 200 and the result with its receipt,
                                        as ``--json`` prints it, plus ``node``: who ran it
    GET  /v1/swarm/peers                the swarm peers this node knows, best first
    GET  /v1/swarm/providers/<capability>  the swarm nodes serving a capability, best first

A request for a capability the node serves runs here; any other goes to the best node of the
swarm that serves it (the caller sees the same result either way; ``node`` says where it ran).

Errors are JSON ``{"error": "<one line>", "kind": "<ExceptionName>"}`` with a status that names
the cause: 400 input that is not whole items, 404 unknown capability or path, 411/413 missing
or oversized body, 502 round abandoned, 503 no eligible worker or serving node, the chain or
the pool unreachable, 500 anything else. The node logs the error and keeps serving.

Decisions:
- One round at a time. Rounds are transactions from one operator account (nonces) recorded in
  one journal; concurrent requests queue on a lock, while /v1/health still answers.
- Loopback by default, no authentication: every request spends the operator's gas. Exposing
  the port is the operator's decision (``--host``), best behind a proxy that authenticates.
- The standard library's threading HTTP server: a handful of requests per second at most (a
  round takes a proof and two transactions), so nothing faster is needed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from protocol import __version__
from protocol.engine import JITEngine, ServedRequest
from protocol.engine.capabilities import CAPABILITIES, capability_for, split_items
from protocol.errors import (
    ChainError,
    MemJitError,
    NoEligibleWorkers,
    PoolError,
    RoundFailed,
    SwarmError,
    UnknownCapability,
)
from protocol.json_http import ApiError, JsonHandler

if TYPE_CHECKING:  # the swarm is an optional extra (py-libp2p)
    from protocol.swarm.service import SwarmService

log = logging.getLogger(__name__)

#: The largest request body the node reads: 16,384 digits, far above any sane round.
MAX_BODY = 1 << 20
REQUESTS_PATH = "/v1/requests/"
PROVIDERS_PATH = "/v1/swarm/providers/"


@dataclass
class NodeState:
    """What the handlers share: the engine behind the lock that serializes rounds, the
    capabilities served here, and the swarm (when the node is in one)."""

    engine: JITEngine
    capabilities: tuple[str, ...] = tuple(CAPABILITIES)
    swarm: SwarmService | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)
    rounds_served: int = 0
    rounds_failed: int = 0
    routed: int = 0

    def health(self) -> dict[str, Any]:
        mj = self.engine.mj
        swarm = None
        if self.swarm is not None:
            node = self.swarm.node
            swarm = {
                "peer_id": self.swarm.peer_id,
                "address": self.swarm.address,
                "modules_served": node.modules_served,
                "modules_fetched": node.modules_fetched,
            }
        return {
            "status": "ok",
            "version": __version__,
            "chain_id": mj.chain.chain_id,
            "oracle": mj.rounds.address,
            "operator": self.engine.operator.address,
            "capabilities": {
                name: {"item_size": CAPABILITIES[name].item_size} for name in self.capabilities
            },
            "swarm": swarm,
            "runs_on": self.engine.executor.where,
            "rounds_served": self.rounds_served,
            "rounds_failed": self.rounds_failed,
            "requests_routed": self.routed,
            "busy": self.lock.locked(),
            "uptime_s": round(time.monotonic() - self.started, 1),
        }

    def serve(self, capability: str, data: bytes) -> ServedRequest:
        """Serve a request here when the node has the capability, else on a peer."""
        if capability in self.capabilities:
            return self.serve_local(capability, data)
        if self.swarm is None:
            raise NoEligibleWorkers(
                f"this node does not serve {capability!r} and is in no swarm (--bootstrap)"
            )
        split_items(capability_for(capability), data)  # a malformed request never leaves the node
        result, peer = self.swarm.execute(capability, data)
        self.routed += 1
        log.info("request for %s served by %s", capability, peer)
        return ServedRequest(result, peer)

    def serve_local(self, capability: str, data: bytes) -> ServedRequest:
        """One round here (for this node's HTTP clients and for peers)."""
        with self.lock:
            try:
                result = self.engine.serve(capability, data)
            except MemJitError as exc:
                self.rounds_failed += isinstance(exc, RoundFailed)
                raise
            except Exception:
                self.rounds_failed += 1
                raise
            self.rounds_served += 1
        log.info("round %d served %s", result.round_id, capability)
        return ServedRequest(result, None if self.swarm is None else self.swarm.peer_id)


def status_for(exc: MemJitError) -> HTTPStatus:
    """The HTTP status that names an engine error's cause."""
    if isinstance(exc, UnknownCapability):
        return HTTPStatus.BAD_REQUEST
    if isinstance(exc, NoEligibleWorkers | ChainError | SwarmError | PoolError):
        return HTTPStatus.SERVICE_UNAVAILABLE
    if isinstance(exc, RoundFailed):
        return HTTPStatus.BAD_GATEWAY
    return HTTPStatus.INTERNAL_SERVER_ERROR


class NodeHandler(JsonHandler):
    server: NodeServer

    def do_GET(self) -> None:
        path = self.path.rstrip("/")
        state = self.server.state
        try:
            if path == "/v1/health":
                self.send_json(HTTPStatus.OK, state.health())
            elif path == "/v1/swarm/peers":
                peers = self._swarm().peers()
                self.send_json(HTTPStatus.OK, {"peers": [p.to_json() for p in peers]})
            elif path.startswith(PROVIDERS_PATH):
                capability = path[len(PROVIDERS_PATH) :]
                found = self._swarm().find(capability)
                self.send_json(HTTPStatus.OK, {"providers": [p.to_json() for p in found]})
            else:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no such path {self.path}", "NotFound")
        except ApiError as exc:
            self.send_api_error(exc)
        except MemJitError as exc:
            self.send_api_error(ApiError(status_for(exc), str(exc), type(exc).__name__))

    def _swarm(self) -> SwarmService:
        swarm = self.server.state.swarm
        if swarm is None:
            raise ApiError(
                HTTPStatus.NOT_FOUND, "this node is in no swarm (--swarm, --bootstrap)", "NotFound"
            )
        return swarm

    def do_POST(self) -> None:
        try:
            capability = self._capability()
            data = self._body()
            self.send_json(HTTPStatus.OK, self._serve(capability, data).to_json())
        except ApiError as exc:
            self.send_api_error(exc)

    def _capability(self) -> str:
        if not self.path.startswith(REQUESTS_PATH):
            raise ApiError(HTTPStatus.NOT_FOUND, f"no such path {self.path}", "NotFound")
        capability = self.path[len(REQUESTS_PATH) :].rstrip("/")
        try:
            capability_for(capability)
        except UnknownCapability as exc:
            raise ApiError(HTTPStatus.NOT_FOUND, str(exc), type(exc).__name__) from None
        return capability

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise ApiError(
                HTTPStatus.LENGTH_REQUIRED, "the request needs a Content-Length", "BadRequest"
            )
        size = int(length)
        if size > MAX_BODY:
            self.close_connection = True  # the body stays unread
            raise ApiError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"body of {size} bytes exceeds {MAX_BODY}",
                "BadRequest",
            )
        return self.rfile.read(size)

    def _serve(self, capability: str, data: bytes) -> ServedRequest:
        try:
            return self.server.state.serve(capability, data)
        except MemJitError as exc:
            log.warning("request for %s failed: %s", capability, exc)
            raise ApiError(status_for(exc), str(exc), type(exc).__name__) from None
        except Exception as exc:  # a bug must not take the node down
            log.exception("request for %s failed unexpectedly", capability)
            raise ApiError(
                HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {exc}", type(exc).__name__
            ) from None


class NodeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: NodeState) -> None:
        super().__init__(address, NodeHandler)
        self.state = state

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def close_node(server: NodeServer) -> None:
    """Stop taking requests from peers, finish the round in flight, close the port."""
    if server.state.swarm is not None:
        server.state.swarm.stop()
    with server.state.lock:
        server.server_close()
