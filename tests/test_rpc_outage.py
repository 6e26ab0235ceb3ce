"""The RPC endpoint goes away mid-round: the request fails with one line, the journal keeps
the round, and recovery (once the endpoint is back) closes it once. A real anvil behind a TCP
relay the test can cut, as a load balancer or a network partition would."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from typing import Any

import pytest

from protocol.chain import RoundStatus
from protocol.cli.engine_context import EngineOptions, open_engine
from protocol.errors import RpcUnavailable


class Relay(socketserver.ThreadingTCPServer):
    """Forwards TCP to ``target``; while ``down``, every connection is cut at once."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.down = threading.Event()
        self.open: set[socket.socket] = set()
        super().__init__(("127.0.0.1", 0), RelayHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def cut(self) -> None:
        self.down.set()
        for sock in list(self.open):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.down.clear()


class RelayHandler(socketserver.BaseRequestHandler):
    server: Relay

    def handle(self) -> None:
        if self.server.down.is_set():
            return  # closed at once
        upstream = socket.create_connection(self.server.target)
        self.server.open.update((self.request, upstream))
        pump = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
        pump.start()
        _pump(self.request, upstream)
        pump.join()
        self.server.open.difference_update((self.request, upstream))
        upstream.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_an_rpc_lost_mid_round_loses_nothing_and_recovery_closes_the_round(network: Any) -> None:
    anvil, mj, items, _settings = network
    host, port = anvil.url.removeprefix("http://").split(":")
    relay = Relay((host, int(port)))
    staked_before = mj.registry.total_staked()
    try:
        with open_engine(EngineOptions(rpc_url=relay.url)) as engine:
            run = engine.runtime.run

            def run_then_lose_the_rpc(*args: Any, **kwargs: Any) -> Any:
                relay.cut()  # the round is open; the workers run; the chain is gone
                return run(*args, **kwargs)

            engine.runtime.run = run_then_lose_the_rpc  # type: ignore[method-assign]
            with pytest.raises(RpcUnavailable, match="lost the RPC endpoint"):
                engine.serve("digits-8x8", items.read_bytes())
            (pending,) = engine.journal.pending()
            assert pending.round_id == 1
        assert mj.rounds.get(1).status == RoundStatus.OPEN
        assert mj.registry.total_staked() == staked_before  # nothing settled, nothing lost

        relay.restore()
        with open_engine(EngineOptions(rpc_url=relay.url)) as engine:
            assert engine.recover() == [(1, "resumed and closed")]
            assert engine.recover() == []
        assert mj.rounds.get(1).status == RoundStatus.CLOSED
        assert mj.registry.total_staked() == mj.token.balance_of(mj.registry.address)
    finally:
        relay.shutdown()
        relay.server_close()
