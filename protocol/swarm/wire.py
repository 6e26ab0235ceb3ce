"""The swarm's wire format: one message per frame, the same on any byte stream.

    frame   = header-length (u32 BE) · header · body-length (u32 BE) · body
    header  = a UTF-8 JSON object: {"v": 1, "type": <kind>, ...fields}
    body    = raw bytes (a module, a batch of items); empty for most kinds

The header says what a message is; bulk bytes ride in the body unencoded (no base64 of a
256 KiB module). Every message a peer sends is checked before anything acts on it: lengths
against limits set per kind *before* reading the bytes, the JSON, the version, the kind, each
field's type. A violation is :class:`~protocol.errors.MalformedMessage`, which the node logs
and charges to the peer's reputation.

Kinds:

============== =================================== ==================================
kind           header fields                       body
============== =================================== ==================================
``fetch``      ``cid`` (str)                       —
``content``    ``cid`` (str)                       the block (verified by the caller)
``seed``       ``cid`` (str)                       — (the receiver fetches it from the sender)
``execute``    ``capability`` (str)                the items, concatenated
``result``     ``result`` (object, as the HTTP API) —
``error``      ``error`` (str), ``kind`` (str)     —
============== =================================== ==================================
"""

from __future__ import annotations

import json
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from protocol.cid import MAX_BLOCK_BYTES
from protocol.errors import MalformedMessage, TruncatedMessage

VERSION = 1
#: Headers are small: ids, names, a result with five workers.
MAX_HEADER_BYTES = 64 * 1024
#: Items of one request: as much as the node's HTTP API takes.
MAX_ITEMS_BYTES = 1 << 20
#: Longest text field (a CID is ~60 characters, a capability name short, an error one line).
MAX_TEXT = 1024

_U32 = struct.Struct(">I")

#: kind -> (required header fields and their types, the largest body allowed)
KINDS: dict[str, tuple[dict[str, type], int]] = {
    "fetch": ({"cid": str}, 0),
    "content": ({"cid": str}, MAX_BLOCK_BYTES),
    "seed": ({"cid": str}, 0),
    "execute": ({"capability": str}, MAX_ITEMS_BYTES),
    "result": ({"result": dict}, 0),
    "error": ({"error": str, "kind": str}, 0),
}


@dataclass(frozen=True)
class Message:
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""

    def __post_init__(self) -> None:
        _check(self.kind, self.fields, len(self.body))


def encode(message: Message) -> bytes:
    header = json.dumps(
        {"v": VERSION, "type": message.kind, **message.fields}, separators=(",", ":")
    ).encode()
    if len(header) > MAX_HEADER_BYTES:
        raise MalformedMessage(
            f"{message.kind} header of {len(header)} bytes exceeds {MAX_HEADER_BYTES}"
        )
    return _U32.pack(len(header)) + header + _U32.pack(len(message.body)) + message.body


#: Reads exactly n bytes from a stream, or fewer if it ends (the transport's own read loop).
ReadExactly = Callable[[int], Awaitable[bytes]]


async def read_message(read_exactly: ReadExactly, expect: tuple[str, ...] | None = None) -> Message:
    """One message from a stream, checked; ``expect`` limits the kinds accepted."""
    header_size = _u32(await read_exactly(4), "header length")
    if header_size > MAX_HEADER_BYTES:
        raise MalformedMessage(f"header of {header_size} bytes exceeds {MAX_HEADER_BYTES}")
    header = _parse_header(await _exactly(read_exactly, header_size, "header"))
    kind = header.pop("type")
    if expect is not None and kind not in expect:
        raise MalformedMessage(f"expected {' or '.join(expect)}, got {kind}")
    body_size = _u32(await read_exactly(4), "body length")
    limit = KINDS[kind][1]
    if body_size > limit:
        raise MalformedMessage(f"{kind} body of {body_size} bytes exceeds {limit}")
    body = await _exactly(read_exactly, body_size, "body")
    return Message(kind, header, body)


def decode(data: bytes) -> Message:
    """One message from a complete frame (tests, datagram-style transports)."""
    view = memoryview(data)

    async def read_exactly(n: int) -> bytes:
        nonlocal view
        chunk, view = bytes(view[:n]), view[n:]
        return chunk

    coro = read_message(read_exactly)
    try:
        coro.send(None)
    except StopIteration as done:
        message: Message = done.value
    else:  # pragma: no cover - the reader above never suspends
        coro.close()
        raise RuntimeError("decode suspended")
    if len(view):
        raise MalformedMessage(f"{len(view)} bytes after the message")
    return message


def _u32(raw: bytes, what: str) -> int:
    if len(raw) != 4:
        raise TruncatedMessage(f"stream ended inside the {what}")
    (value,) = _U32.unpack(raw)
    return int(value)


async def _exactly(read_exactly: ReadExactly, size: int, what: str) -> bytes:
    data = await read_exactly(size) if size else b""
    if len(data) != size:
        raise TruncatedMessage(f"stream ended inside the {what} ({len(data)} of {size} bytes)")
    return data


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedMessage(f"header is not UTF-8 JSON: {exc}") from None
    if not isinstance(header, dict):
        raise MalformedMessage(f"header is a JSON {type(header).__name__}, not an object")
    if header.get("v") != VERSION:
        raise MalformedMessage(
            f"unsupported wire version {header.get('v')!r} (this node speaks {VERSION})"
        )
    del header["v"]
    kind = header.get("type")
    if not isinstance(kind, str) or kind not in KINDS:
        raise MalformedMessage(f"unknown message type {kind!r}")
    fields = {k: v for k, v in header.items() if k != "type"}
    _check(kind, fields, 0)
    return header


def _check(kind: str, fields: dict[str, Any], body_size: int) -> None:
    if kind not in KINDS:
        raise MalformedMessage(f"unknown message type {kind!r}")
    schema, limit = KINDS[kind]
    if set(fields) != set(schema):
        raise MalformedMessage(f"{kind} needs fields {sorted(schema)}, got {sorted(fields)}")
    for name, expected in schema.items():
        value = fields[name]
        if not isinstance(value, expected) or isinstance(value, bool):
            raise MalformedMessage(f"{kind}.{name} must be a {expected.__name__}")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise MalformedMessage(f"{kind}.{name} is longer than {MAX_TEXT} characters")
    if body_size > limit:
        raise MalformedMessage(f"{kind} body of {body_size} bytes exceeds {limit}")
