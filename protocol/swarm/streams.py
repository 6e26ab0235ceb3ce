"""One request, one reply, over a libp2p stream: the shape every MemJit protocol between nodes
has (fetch, seed, execute). The client side turns every transport failure into one error
class; the server side charges malformed requests to the peer that sent them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import trio
from libp2p.abc import IHost, INetStream
from libp2p.custom_types import TProtocol
from libp2p.network.stream.exceptions import StreamEOF
from libp2p.peer.id import ID as PeerID

from protocol.errors import MalformedMessage, MemJitError, SwarmError, TruncatedMessage
from protocol.swarm.reputation import Reputation
from protocol.swarm.wire import Message, encode, read_message

log = logging.getLogger(__name__)


class PeerUnreachable(SwarmError):
    """The peer did not answer: dial refused, stream reset, or no reply in time."""


class StreamReader:
    """Exact-length reads over a libp2p stream (whose read() raises StreamEOF at the end)."""

    def __init__(self, stream: INetStream) -> None:
        self.stream = stream
        self.buffer = bytearray()

    async def read_exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            try:
                chunk = await self.stream.read(max(n - len(self.buffer), 65536))
            except StreamEOF:
                break
            if not chunk:
                break
            self.buffer += chunk
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data


async def exchange(
    host: IHost,
    peer: str,
    protocol: TProtocol,
    request: Message,
    expect: tuple[str, ...],
    timeout_s: float,
) -> Message:
    """Send ``request`` to ``peer`` on a new stream and read its reply (one of ``expect``).

    :class:`PeerUnreachable` when the peer cannot be dialled, the stream breaks, or no reply
    comes within ``timeout_s``; :class:`MalformedMessage` when the reply is not well formed.
    """
    try:
        with trio.fail_after(timeout_s):
            stream = await host.new_stream(PeerID.from_base58(peer), [protocol])
            try:
                await stream.write(encode(request))
                return await read_message(StreamReader(stream).read_exactly, expect)
            finally:
                await stream.close()
    except trio.TooSlowError:
        raise PeerUnreachable(f"peer {peer} sent no reply within {timeout_s:g} s") from None
    except TruncatedMessage as exc:
        raise PeerUnreachable(f"peer {peer} hung up mid-reply ({exc})") from None
    except MalformedMessage as exc:
        raise MalformedMessage(f"peer {peer}: {exc}") from None
    except MemJitError:
        raise
    except Exception as exc:  # py-libp2p's dial and stream errors share no base class
        raise PeerUnreachable(f"peer {peer}: {type(exc).__name__}: {exc}") from None


#: Answers a request from a peer (its id, the message) with one reply.
Responder = Callable[[str, Message], Awaitable[Message]]


async def respond(
    stream: INetStream,
    expect: tuple[str, ...],
    responder: Responder,
    reputation: Reputation,
) -> None:
    """Serve one request on ``stream``. A malformed request is charged to its sender; an
    error while answering it (the responder's, or a reply too big to encode) goes back as an
    ``error`` message; nothing a peer sends can take the handler down."""
    peer = str(stream.muxed_conn.peer_id)
    what = "/".join(expect)
    try:
        try:
            request = await read_message(StreamReader(stream).read_exactly, expect)
        except TruncatedMessage as exc:  # it hung up: a dead peer is no liar
            log.info("peer %s hung up inside a %s request: %s", peer, what, exc)
            return
        except MalformedMessage as exc:
            reputation.misbehaved(peer)
            log.warning("peer %s sent a malformed %s request: %s", peer, what, exc)
            return
        try:
            payload = encode(await responder(peer, request))
        except MemJitError as exc:
            payload = encode(error_reply(exc))
        except Exception as exc:  # a bug here: the peer still gets an answer
            log.exception("serving %s to %s failed unexpectedly", what, peer)
            payload = encode(error_reply(exc))
        await stream.write(payload)
    except Exception as exc:  # a peer's stream dying must not take the handler down
        log.info("serving %s to %s failed: %s", what, peer, exc)
    finally:
        await stream.close()


def error_reply(exc: Exception) -> Message:
    """An ``error`` message carrying ``exc``'s class name and one-line message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Message("error", {"error": text[:1000], "kind": type(exc).__name__})
