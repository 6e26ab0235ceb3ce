"""Fetching a module from peers: best peer first, wrong bytes never returned and charged to
the liar, dead providers skipped, and a clear error when nobody serves the block."""

from __future__ import annotations

import asyncio

import pytest

from protocol.cid import MAX_BLOCK_BYTES, cid_for
from protocol.errors import BadCid, ContentNotFound, SwarmError
from protocol.swarm.fetching import fetch_verified
from protocol.swarm.reputation import Reputation

MODULE = b"\0asm\x01\0\0\0" + bytes(100)
CID = cid_for(MODULE)


def transport(behaviour: dict[str, object], calls: list[str]):
    async def fetch_from(peer: str, cid: str) -> bytes:
        calls.append(peer)
        what = behaviour[peer]
        if isinstance(what, Exception):
            raise what
        assert isinstance(what, bytes)
        return what

    return fetch_from


def fetch(
    providers: list[str], behaviour: dict[str, object], rep: Reputation, calls: list[str], **kw
):
    return asyncio.run(fetch_verified(CID, providers, transport(behaviour, calls), rep, **kw))


def test_the_best_peer_serves_and_earns_credit() -> None:
    rep, calls = Reputation(), []
    rep.outcome("good", succeeded=True)
    data, peer = fetch(["other", "good"], {"good": MODULE, "other": MODULE}, rep, calls)
    assert (data, peer, calls) == (MODULE, "good", ["good"])
    assert rep.peers["good"].bytes_served == len(MODULE)


def test_a_liar_is_skipped_and_punished_and_its_bytes_never_returned() -> None:
    rep, calls = Reputation(), []
    rep.outcome("liar", succeeded=True)  # looked best
    tampered = MODULE[:-1] + b"\x01"
    data, peer = fetch(["liar", "honest"], {"liar": tampered, "honest": MODULE}, rep, calls)
    assert (data, peer, calls) == (MODULE, "honest", ["liar", "honest"])
    # uptime 2/3 (it answered), reliability 2/3, halved for the lie
    assert rep.score("liar") == pytest.approx(2 / 3 * 2 / 3 / 2)
    assert rep.rank(["liar", "honest"]) == ["honest", "liar"]


def test_dead_providers_are_skipped() -> None:
    rep, calls = Reputation(), []
    behaviour = {"gone": ConnectionRefusedError(), "slow": TimeoutError(), "up": MODULE}
    _data, peer = fetch(["gone", "slow", "up"], behaviour, rep, calls)
    assert peer == "up"
    assert rep.peers["gone"].checks == 1 and rep.peers["gone"].up == 0


def test_nobody_serving_is_a_clear_error_naming_each_peer() -> None:
    rep, calls = Reputation(), []
    behaviour = {"a": SwarmError("stream reset"), "b": b"not it", "c": bytes(MAX_BLOCK_BYTES + 1)}
    with pytest.raises(ContentNotFound, match=r"a: SwarmError; b: wrong bytes; c: wrong bytes"):
        fetch(["a", "b", "c"], behaviour, rep, calls)
    with pytest.raises(ContentNotFound, match="no providers"):
        fetch([], {}, rep, calls)


def test_attempts_are_bounded_and_duplicates_asked_once() -> None:
    rep, calls = Reputation(), []
    behaviour = {p: OSError("down") for p in "abcdef"}
    with pytest.raises(ContentNotFound):
        fetch(list("aabbcdef"), behaviour, rep, calls, attempts=3)
    assert calls == ["a", "b", "c"]


def test_a_bad_cid_asks_nobody() -> None:
    rep, calls = Reputation(), []
    with pytest.raises(BadCid):
        asyncio.run(fetch_verified("not-a-cid", ["a"], transport({"a": MODULE}, calls), rep))
    assert calls == []
