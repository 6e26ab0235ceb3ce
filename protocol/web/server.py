"""``memjit web``'s HTTP server: the dashboard page and the read-only JSON API it reads.

    GET /                       the page (static/index.html, app.css, app.js)
    GET /api/config             chain, contract addresses and ABIs, token, capabilities
    GET /api/dashboard          supply, parameters, populations, leaderboard, recent rounds,
                                terminations
    GET /api/account/<address>  an account's SWT balance and its workers
    GET /api/modules/<cid>      200 if the content store holds a worker module at the CID

Errors are JSON ``{"error": "<one line>", "kind": "<ExceptionName>"}``: 400 bad input, 404
unknown path or CID, 422 content that is not a worker module, 503 chain or store unreachable.

Decisions:
- Read-only. The server holds no key and sends no transaction: the page signs and sends
  through the user's wallet. It does not proxy JSON-RPC either, so no website can reach the
  node's unlocked devnet accounts through it.
- On loopback (the default) the Host header must name the address the server listens on or
  localhost: a page on another site cannot read the API through DNS rebinding. Listening on
  another address (``--host``) is the operator's choice to expose it; any Host is accepted.
- The standard library's threading server, as the node's: one user, a poll every few seconds.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from importlib import resources
from typing import Any

from eth_utils.address import is_address

from protocol import __version__
from protocol.artifacts import load_artifact
from protocol.chain import MemJitContracts
from protocol.chain.token import PERMIT_TTL_S
from protocol.cid import parse_cid
from protocol.engine.capabilities import CAPABILITIES
from protocol.errors import (
    BadCid,
    ChainError,
    ContentNotFound,
    MemJitError,
    SandboxError,
    StoreError,
    StoreUnavailable,
)
from protocol.json_http import ApiError, JsonHandler
from protocol.runtime import WorkerRuntime
from protocol.web.chain_view import ChainView

log = logging.getLogger(__name__)

#: The page's files: name → content type. Nothing else is served from disk.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
}
CONTRACTS = ("SWT", "WorkerRegistry", "UtilityOracle")


@dataclass
class WebState:
    """What the handlers share: the chain view, and the runtime that checks modules."""

    view: ChainView
    runtime: WorkerRuntime
    module_lock: threading.Lock = field(default_factory=threading.Lock)
    _config: dict[str, Any] | None = None

    @property
    def mj(self) -> MemJitContracts:
        return self.view.mj

    def config(self) -> dict[str, Any]:
        if self._config is None:
            mj = self.mj
            chain = mj.chain
            token = mj.token.metadata()
            self._config = {
                "version": __version__,
                "chain": {
                    "id": chain.chain_id,
                    "name": chain.name,
                    "rpc_url": chain.url,
                    "wallet_reachable": chain.kind == "rpc",
                },
                "contracts": {
                    "SWT": mj.deployment.swt,
                    "WorkerRegistry": mj.deployment.registry,
                    "UtilityOracle": mj.deployment.oracle,
                    "Groth16Verifier": mj.deployment.verifier,
                },
                "abis": {name: load_artifact(name).abi for name in CONTRACTS},
                "token": {
                    "name": token.name,
                    "symbol": token.symbol,
                    "decimals": token.decimals,
                },
                "capabilities": sorted(CAPABILITIES),
                "permit_ttl_s": PERMIT_TTL_S,
            }
        return self._config

    def account(self, address: str) -> dict[str, Any]:
        if not is_address(address):
            raise ApiError(
                HTTPStatus.BAD_REQUEST, f"{address!r} is not an Ethereum address", "BadAddress"
            )
        return self.view.account(address).to_json()

    def module(self, cid: str) -> dict[str, Any]:
        """Checks that the store holds a worker module at ``cid`` (fetched, verified against
        the CID, compiled and checked against the worker ABI, as a round would)."""
        with self.module_lock:
            try:
                cid = str(parse_cid(cid))
                wasm = self.runtime.store.get(cid)
                self.runtime.cache.get_or_compile(cid, wasm)
            except BadCid as exc:
                raise ApiError(HTTPStatus.BAD_REQUEST, str(exc), type(exc).__name__) from None
            except ContentNotFound as exc:
                raise ApiError(
                    HTTPStatus.NOT_FOUND,
                    f"{exc}: publish it first (memjit worker publish)",
                    type(exc).__name__,
                ) from None
            except StoreUnavailable as exc:
                raise ApiError(
                    HTTPStatus.SERVICE_UNAVAILABLE, str(exc), type(exc).__name__
                ) from None
            except (SandboxError, StoreError) as exc:
                raise ApiError(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    f"{cid} is not a worker module: {exc}",
                    type(exc).__name__,
                ) from None
        return {"cid": cid, "size_bytes": len(wasm)}


class WebHandler(JsonHandler):
    server: WebServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        state = self.server.state
        try:
            self._check_host()
            if path in ("/", "/index.html"):
                self._send_static("index.html")
            elif path.lstrip("/") in STATIC_FILES:
                self._send_static(path.lstrip("/"))
            elif path == "/api/config":
                self.send_json(HTTPStatus.OK, state.config())
            elif path == "/api/dashboard":
                self.send_json(HTTPStatus.OK, state.view.dashboard().to_json())
            elif path.startswith("/api/account/"):
                self.send_json(HTTPStatus.OK, state.account(path.removeprefix("/api/account/")))
            elif path.startswith("/api/modules/"):
                self.send_json(HTTPStatus.OK, state.module(path.removeprefix("/api/modules/")))
            else:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no such path {path}", "NotFound")
        except ApiError as exc:
            self.send_api_error(exc)
        except ChainError as exc:
            log.warning("GET %s: %s", path, exc)
            self.send_api_error(
                ApiError(HTTPStatus.SERVICE_UNAVAILABLE, str(exc), type(exc).__name__)
            )
        except MemJitError as exc:
            self.send_api_error(ApiError(HTTPStatus.BAD_REQUEST, str(exc), type(exc).__name__))
        except Exception as exc:  # a bug must not take the server down
            log.exception("GET %s failed unexpectedly", path)
            self.send_api_error(
                ApiError(
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    f"internal error: {type(exc).__name__}: {exc}",
                    type(exc).__name__,
                )
            )

    def _check_host(self) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        allowed = self.server.allowed_hosts
        if allowed is not None and host not in allowed:
            raise ApiError(
                HTTPStatus.FORBIDDEN,
                f"requests must be addressed to this server, not {host!r}",
                "ForbiddenHost",
            )

    def _send_static(self, name: str) -> None:
        body = resources.files("protocol.web").joinpath("static", name).read_bytes()
        self.send_payload(HTTPStatus.OK, STATIC_FILES[name], body)


class WebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: WebState) -> None:
        super().__init__(address, WebHandler)
        self.state = state
        host = str(self.server_address[0])
        # Once bound, the address is numeric ("localhost" has become 127.0.0.1).
        self.allowed_hosts: frozenset[str] | None = (
            frozenset({host, "localhost", "127.0.0.1", "::1"})
            if ipaddress.ip_address(host).is_loopback
            else None
        )

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"
