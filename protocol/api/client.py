"""Talking to a running node's HTTP API (see server.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from protocol.engine.results import ServedRequest
from protocol.errors import EngineError, MemJitError, rebuild

#: A round is a proof and two transactions, and requests queue behind each other.
REQUEST_TIMEOUT_S = 600.0
#: A swarm lookup waits at most one 10 s query timeout per round of the lookup.
QUERY_TIMEOUT_S = 120.0


def request_from_node(
    url: str, capability: str, data: bytes, timeout_s: float = REQUEST_TIMEOUT_S
) -> ServedRequest:
    """POST a request to the node at ``url``; its result and receipt, or the node's error
    raised as the same MemJit error class (one line, with the node's message)."""
    req = urllib.request.Request(
        f"{url.rstrip('/')}/v1/requests/{capability}",
        data=data,
        method="POST",
        headers={"Content-Type": "application/octet-stream"},
    )
    answer = _exchange(url, req, timeout_s)
    try:
        return ServedRequest.from_json(answer)
    except EngineError as exc:
        raise EngineError(
            f"node at {url} answered something that is not a MemJit result: {exc}"
        ) from None


def get_from_node(url: str, path: str, timeout_s: float = QUERY_TIMEOUT_S) -> dict[str, Any]:
    """GET ``path`` (e.g. ``/v1/swarm/peers``) from the node at ``url``."""
    return _exchange(url, urllib.request.Request(f"{url.rstrip('/')}{path}"), timeout_s)


def _exchange(url: str, req: urllib.request.Request, timeout_s: float) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as response:
            body: dict[str, Any] = json.load(response)
            return body
    except urllib.error.HTTPError as exc:
        raise _node_error(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EngineError(f"node at {url} is unreachable: {reason}") from None
    except ValueError as exc:  # not JSON, or a malformed URL
        raise EngineError(
            f"node at {url} answered something that is not a MemJit result: {exc}"
        ) from None


def _node_error(exc: urllib.error.HTTPError) -> MemJitError:
    try:
        body = json.loads(exc.read())
        message, kind = str(body["error"]), str(body.get("kind", ""))
    except (ValueError, KeyError, TypeError):
        return EngineError(f"node answered HTTP {exc.code} {exc.reason}")
    return rebuild(kind, message)
