"""Talking to a running node's HTTP API (see http_api.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from protocol import errors
from protocol.errors import EngineError

#: A round is a proof and two transactions, and requests queue behind each other.
REQUEST_TIMEOUT_S = 600.0


def request_from_node(
    url: str, capability: str, data: bytes, timeout_s: float = REQUEST_TIMEOUT_S
) -> dict[str, Any]:
    """POST a request to the node at ``url``; its result and receipt, or the node's error
    raised as the same MemJit error class (one line, with the node's message)."""
    endpoint = f"{url.rstrip('/')}/v1/requests/{capability}"
    req = urllib.request.Request(
        endpoint, data=data, method="POST", headers={"Content-Type": "application/octet-stream"}
    )
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


def _node_error(exc: urllib.error.HTTPError) -> EngineError:
    try:
        body = json.loads(exc.read())
        message, kind = str(body["error"]), str(body.get("kind", ""))
    except (ValueError, KeyError, TypeError):
        return EngineError(f"node answered HTTP {exc.code} {exc.reason}")
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, EngineError):
        return cls(message)
    return EngineError(f"node: {message}")
