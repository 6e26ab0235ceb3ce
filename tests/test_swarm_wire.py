"""The swarm's wire format: round trips, and every way a hostile peer can break a frame is
refused with MalformedMessage before anything acts on it (or reads a huge body)."""

from __future__ import annotations

import asyncio
import json
import struct

import pytest

from protocol.cid import MAX_BLOCK_BYTES
from protocol.errors import MalformedMessage
from protocol.swarm.wire import MAX_HEADER_BYTES, Message, decode, encode, read_message

CID = "bafkreidunizgh4pd326owaax4wslpwdfrnsxku4d35cmw4s6fktn5hvfcy"


def frame(header: object, body: bytes = b"", header_bytes: bytes | None = None) -> bytes:
    raw = json.dumps(header).encode() if header_bytes is None else header_bytes
    return struct.pack(">I", len(raw)) + raw + struct.pack(">I", len(body)) + body


@pytest.mark.parametrize(
    "message",
    [
        Message("fetch", {"cid": CID}),
        Message("content", {"cid": CID}, b"\0asm" + bytes(1000)),
        Message("execute", {"capability": "digits-8x8"}, bytes(64 * 5)),
        Message("result", {"result": {"round_id": 3, "answers": [1, 2]}}),
        Message("error", {"error": "no active worker", "kind": "NoEligibleWorkers"}),
    ],
)
def test_messages_round_trip(message: Message) -> None:
    assert decode(encode(message)) == message


@pytest.mark.parametrize(
    "data,why",
    [
        (b"", "ended inside the header length"),
        (b"\0\0", "ended inside the header length"),
        (struct.pack(">I", MAX_HEADER_BYTES + 1), "exceeds"),
        (struct.pack(">I", 10) + b"{}", "ended inside the header"),
        (frame(None, header_bytes=b"\xff\xfe"), "not UTF-8 JSON"),
        (frame(None, header_bytes=b"{nope"), "not UTF-8 JSON"),
        (frame([1, 2]), "not an object"),
        (frame({"type": "fetch", "cid": CID}), "unsupported wire version"),
        (frame({"v": 2, "type": "fetch", "cid": CID}), "unsupported wire version"),
        (frame({"v": 1, "type": "shutdown"}), "unknown message type"),
        (frame({"v": 1, "type": "fetch"}), "needs fields"),
        (frame({"v": 1, "type": "fetch", "cid": CID, "extra": 1}), "needs fields"),
        (frame({"v": 1, "type": "fetch", "cid": 7}), "must be a str"),
        (frame({"v": 1, "type": "result", "result": True}), "must be a dict"),
        (frame({"v": 1, "type": "fetch", "cid": "x" * 5000}), "longer than"),
        (frame({"v": 1, "type": "fetch", "cid": CID}, b"x"), "body of 1 bytes exceeds 0"),
        (frame({"v": 1, "type": "content", "cid": CID}, bytes(MAX_BLOCK_BYTES + 1)), "exceeds"),
        (frame({"v": 1, "type": "fetch", "cid": CID})[:-2], "ended inside the body length"),
        (frame({"v": 1, "type": "content", "cid": CID}, b"abc")[:-1], "ended inside the body"),
        (frame({"v": 1, "type": "fetch", "cid": CID}) + b"!", "bytes after the message"),
    ],
)
def test_broken_frames_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(MalformedMessage, match=why):
        decode(data)


def test_a_huge_declared_body_is_refused_before_it_is_read() -> None:
    header = json.dumps({"v": 1, "type": "execute", "capability": "digits-8x8"}).encode()
    reads: list[int] = []
    chunks = [struct.pack(">I", len(header)), header, struct.pack(">I", 2**31)]

    async def read_exactly(n: int) -> bytes:
        reads.append(n)
        return chunks.pop(0)

    with pytest.raises(MalformedMessage, match="exceeds"):
        asyncio.run(read_message(read_exactly))
    assert reads == [4, len(header), 4]  # the 2 GiB body was never asked for


def test_a_reader_can_insist_on_the_kind_it_waits_for() -> None:
    data = encode(Message("fetch", {"cid": CID}))

    async def read_exactly(n: int) -> bytes:
        nonlocal data
        chunk, data = data[:n], data[n:]
        return chunk

    with pytest.raises(MalformedMessage, match="expected content or error, got fetch"):
        asyncio.run(read_message(read_exactly, ("content", "error")))


def test_messages_we_build_are_checked_too() -> None:
    with pytest.raises(MalformedMessage, match="needs fields"):
        Message("fetch", {})
    with pytest.raises(MalformedMessage, match="unknown message type"):
        Message("gossip", {})
