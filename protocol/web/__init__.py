"""The dashboard page ``memjit web`` serves: a read model of a deployment (``chain_view``),
the HTTP server and JSON API (``server``), and the built page (``static/``, from ``web/``)."""

from protocol.web.chain_view import ChainView
from protocol.web.server import WebServer, WebState

__all__ = ["ChainView", "WebServer", "WebState"]
