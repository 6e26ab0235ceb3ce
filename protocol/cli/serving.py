"""Running a command's HTTP server in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import socketserver
import sys
import threading
from types import FrameType

from protocol.cli.output import console


def serve_until_signalled(server: socketserver.BaseServer, ready: str) -> None:
    """Prints ``ready`` (the line a supervisor waits for), then serves until SIGINT or
    SIGTERM; the caller closes the server."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it cannot run on its thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    console.print(ready, highlight=False, soft_wrap=True)
    sys.stdout.flush()  # a supervisor reading our output learns the port now
    server.serve_forever(poll_interval=0.2)
