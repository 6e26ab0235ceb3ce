"""The local (embedded default) content store."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.cid import MAX_BLOCK_BYTES, cid_for
from protocol.errors import ContentMismatch, ContentNotFound, ContentTooLarge
from protocol.settings import Settings
from protocol.store import LocalStore, open_store


def test_put_get_has_round_trip(tmp_path: Path):
    store = LocalStore(tmp_path)
    cid = store.put(b"worker bytes")
    assert cid == cid_for(b"worker bytes")
    assert store.has(cid)
    assert store.get(cid) == b"worker bytes"
    assert store.put(b"worker bytes") == cid  # idempotent
    assert list(store.cids()) == [cid]


def test_blake3_store_uses_blake3_cids(tmp_path: Path):
    store = LocalStore(tmp_path, hash_function="blake3")
    cid = store.put(b"abc")
    assert cid == cid_for(b"abc", "blake3") and cid.startswith("bafkr4")
    assert store.get(cid) == b"abc"


def test_unknown_cid_is_not_found(tmp_path: Path):
    store = LocalStore(tmp_path)
    missing = cid_for(b"never stored")
    assert not store.has(missing)
    with pytest.raises(ContentNotFound, match=missing):
        store.get(missing)


def test_corrupted_block_is_an_error_and_is_dropped(tmp_path: Path):
    store = LocalStore(tmp_path)
    cid = store.put(b"original")
    block = next((tmp_path / "blocks").glob(f"*/{cid}"))
    block.write_bytes(b"tampered")
    with pytest.raises(ContentMismatch):
        store.get(cid)
    assert not store.has(cid)  # nothing unverified stays cached
    assert store.put(b"original") == cid and store.get(cid) == b"original"


def test_too_large_content_is_refused_and_nothing_is_written(tmp_path: Path):
    store = LocalStore(tmp_path)
    with pytest.raises(ContentTooLarge):
        store.put(bytes(MAX_BLOCK_BYTES + 1))
    assert list(store.cids()) == []


def test_pins_survive_removal(tmp_path: Path):
    store = LocalStore(tmp_path)
    kept, dropped = store.put(b"kept"), store.put(b"dropped")
    store.pin(kept)
    assert store.is_pinned(kept)
    assert store.remove(kept) is False and store.has(kept)
    assert store.remove(dropped) is True and not store.has(dropped)
    with pytest.raises(ContentNotFound):
        store.pin(dropped)


def test_settings_pick_the_store(tmp_path: Path):
    settings = Settings.load(env={"MEMJIT_HOME": str(tmp_path)}, hash_function="blake3")
    store = open_store(settings)
    assert isinstance(store, LocalStore) and store.hash_function == "blake3"
    assert store.root == tmp_path / "store"
