"""Proving keys on disk.

A proving key is a few hundred kilobytes of curve points, so it is stored in binary::

    b"MEMJIT-GROTH16-PK\\n"             magic
    u32 header length, header JSON      counts, circuit digest, shape, the setup's label
    points                              32-byte big-endian coordinates, affine, infinity = 0
    sha256 of everything above          corruption is found at load, not as a bad proof

Point order: vk (α, β, γ, δ, IC…), β₁, δ₁, A query, B₁ query, B₂ query, L query, H query.
G2 coordinates as (x.c0, x.c1, y.c0, y.c1). The verification key also goes to
``verification_key.json`` in snarkjs's format (:mod:`oracle.snarkjs`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oracle.errors import MalformedInput
from oracle.field import Q
from oracle.files import PUBLIC_MODE, write_atomic
from oracle.keys import G1, G2, ProvingKey, VerifyingKey

MAGIC = b"MEMJIT-GROTH16-PK\n"
FORMAT_VERSION = 1
_WORD = 32


def _g1_words(p: G1) -> Iterator[int]:
    yield from p


def _g2_words(p: G2) -> Iterator[int]:
    yield from (*p[0], *p[1])


def encode_proving_key(pk: ProvingKey, meta: dict[str, Any] | None = None) -> bytes:
    """The key as bytes; ``meta`` (JSON-able) is stored in the header and returned by
    :func:`decode_proving_key`."""
    vk = pk.vk
    header = {
        "version": FORMAT_VERSION,
        "curve": "bn128",
        "circuit_digest": pk.circuit_digest.hex(),
        "domain_size": pk.domain_size,
        "n_wires": pk.n_wires,
        "n_public": vk.n_public,
        "l_query": len(pk.l_query),
        "h_query": len(pk.h_query),
        "meta": meta or {},
    }
    words: list[int] = []
    words.extend(_g1_words(vk.alpha))
    for g2 in (vk.beta, vk.gamma, vk.delta):
        words.extend(_g2_words(g2))
    for p in (*vk.ic, pk.beta_g1, pk.delta_g1, *pk.a_query, *pk.b_g1_query):
        words.extend(_g1_words(p))
    for q in pk.b_g2_query:
        words.extend(_g2_words(q))
    for p in (*pk.l_query, *pk.h_query):
        words.extend(_g1_words(p))
    head = json.dumps(header, sort_keys=True).encode()
    body = MAGIC + len(head).to_bytes(4, "big") + head
    body += b"".join(w.to_bytes(_WORD, "big") for w in words)
    return body + hashlib.sha256(body).digest()


class _Reader:
    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.offset = offset

    def word(self) -> int:
        end = self.offset + _WORD
        value = int.from_bytes(self.data[self.offset : end], "big")
        self.offset = end
        if value >= Q:
            raise MalformedInput("proving key holds a coordinate outside the field")
        return value

    def g1(self) -> G1:
        return self.word(), self.word()

    def g2(self) -> G2:
        return (self.word(), self.word()), (self.word(), self.word())


def decode_proving_key(data: bytes) -> tuple[ProvingKey, dict[str, Any]]:
    """The key and its ``meta``; :class:`MalformedInput` for anything not written by
    :func:`encode_proving_key` or altered since."""
    if not data.startswith(MAGIC):
        raise MalformedInput("not a MemJit proving key (bad magic)")
    if len(data) < len(MAGIC) + 4 + 32 or hashlib.sha256(data[:-32]).digest() != data[-32:]:
        raise MalformedInput("proving key is truncated or corrupted (checksum mismatch)")
    start = len(MAGIC) + 4
    head_len = int.from_bytes(data[len(MAGIC) : start], "big")
    try:
        header = json.loads(data[start : start + head_len])
        n_public = int(header["n_public"])
        n_wires = int(header["n_wires"])
        n_l = int(header["l_query"])
        n_h = int(header["h_query"])
        domain = int(header["domain_size"])
        digest = bytes.fromhex(header["circuit_digest"])
        version = int(header["version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedInput(f"proving key header is malformed: {exc}") from exc
    if version != FORMAT_VERSION:
        raise MalformedInput(
            f"proving key format {version} is not supported (want {FORMAT_VERSION})"
        )
    g1_count = 1 + (n_public + 1) + 2 + 2 * n_wires + n_l + n_h
    g2_count = 3 + n_wires
    expected = start + head_len + (2 * g1_count + 4 * g2_count) * _WORD + 32
    if len(data) != expected or n_l != n_wires - n_public - 1:
        raise MalformedInput("proving key sizes do not add up")
    r = _Reader(data, start + head_len)
    alpha = r.g1()
    beta, gamma, delta = r.g2(), r.g2(), r.g2()
    ic = tuple(r.g1() for _ in range(n_public + 1))
    beta_g1, delta_g1 = r.g1(), r.g1()
    a_query = tuple(r.g1() for _ in range(n_wires))
    b_g1 = tuple(r.g1() for _ in range(n_wires))
    b_g2 = tuple(r.g2() for _ in range(n_wires))
    l_query = tuple(r.g1() for _ in range(n_l))
    h_query = tuple(r.g1() for _ in range(n_h))
    vk = VerifyingKey(alpha=alpha, beta=beta, gamma=gamma, delta=delta, ic=ic)
    pk = ProvingKey(
        vk=vk,
        circuit_digest=digest,
        domain_size=domain,
        n_wires=n_wires,
        beta_g1=beta_g1,
        delta_g1=delta_g1,
        a_query=a_query,
        b_g1_query=b_g1,
        b_g2_query=b_g2,
        l_query=l_query,
        h_query=h_query,
    )
    return pk, dict(header.get("meta") or {})


def save_proving_key(path: Path, pk: ProvingKey, meta: dict[str, Any] | None = None) -> None:
    write_atomic(path, encode_proving_key(pk, meta), PUBLIC_MODE)


def load_proving_key(path: Path) -> tuple[ProvingKey, dict[str, Any]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedInput(f"cannot read proving key {path}: {exc.strerror}") from exc
    return decode_proving_key(data)
