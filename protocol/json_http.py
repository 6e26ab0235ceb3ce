"""What the node's API and the dashboard's server share: JSON answers and errors that name
their cause, ``{"error": "<one line>", "kind": "<ExceptionName>"}``, over the standard
library's HTTP server."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from protocol import __version__

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer with an error status; the handler sends it as JSON."""

    def __init__(self, status: HTTPStatus, message: str, kind: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler that answers JSON (or a static file) and logs through ``logging``."""

    server_version = f"memjit/{__version__}"
    protocol_version = "HTTP/1.1"

    def send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        self.send_payload(status, "application/json", json.dumps(body).encode() + b"\n")

    def send_api_error(self, exc: ApiError) -> None:
        self.send_json(exc.status, {"error": str(exc), "kind": exc.kind})

    def send_payload(self, status: HTTPStatus, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)
