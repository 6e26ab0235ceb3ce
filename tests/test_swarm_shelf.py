"""The shelf of modules a node keeps for the swarm: least recently used out first, saved
across restarts, and never a way to drop the node's own modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.swarm.shelf import Shelf


def test_the_least_recently_used_module_goes_first(tmp_path: Path):
    shelf = Shelf(tmp_path / "shelf.json", capacity=2)
    assert shelf.add("a") == [] and shelf.add("b") == []
    shelf.use("a")  # served or run: now the newest
    assert shelf.add("c") == ["b"]
    assert shelf.cids() == ["a", "c"] and "b" not in shelf and len(shelf) == 2
    shelf.use("own")  # not on the shelf: nothing happens
    assert shelf.discard(["own", "a"]) == ["a"]  # the node's own module is never dropped here


def test_the_shelf_survives_a_restart_and_an_unreadable_one_keeps_everything(tmp_path: Path):
    path = tmp_path / "shelf.json"
    shelf = Shelf(path, capacity=3)
    for cid in ("a", "b", "c"):
        shelf.add(cid)
    shelf.use("a")
    assert Shelf(path, capacity=3).cids() == ["b", "c", "a"]
    path.write_text("{torn")
    assert Shelf(path).cids() == []  # unknown provenance: nothing is treated as evictable
    with pytest.raises(ValueError, match="at least one"):
        Shelf(capacity=0)
