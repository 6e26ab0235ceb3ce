"""The kubo backend against a real IPFS node (js-ipfs from npm, same HTTP RPC as kubo)."""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path

import ipfshttpclient
import pytest

from protocol.cid import MAX_BLOCK_BYTES, cid_for
from protocol.errors import ConfigError, ContentNotFound, ContentTooLarge, StoreUnavailable
from protocol.store.kubo import KuboStore
from protocol.testing.jsipfs import IpfsNode, find_launcher, start_jsipfs
from tests.conftest import need
from tests.helpers import assert_one_line_error, memjit


@pytest.fixture(scope="module")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpfsNode]:
    try:
        find_launcher()
    except ConfigError as exc:
        need(str(exc))
    node = start_jsipfs(tmp_path_factory.mktemp("ipfs") / "repo")
    yield node
    node.stop()


@pytest.fixture
def kubo(ipfs_node: IpfsNode) -> Iterator[KuboStore]:
    store = KuboStore(ipfs_node.api, timeout_s=1.0)
    yield store
    store.close()


def _raw_client(node: IpfsNode) -> ipfshttpclient.Client:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ipfshttpclient.connect(node.api)


@pytest.mark.parametrize("size", [0, 11, MAX_BLOCK_BYTES])
def test_put_gives_the_cid_ipfs_add_gives(kubo: KuboStore, ipfs_node: IpfsNode, size: int):
    data = bytes((i * 7) % 251 for i in range(size))
    cid = kubo.put(data)
    assert cid == cid_for(data)
    # what a user's `ipfs add --cid-version 1 --raw-leaves` says, asked of the node directly
    with _raw_client(ipfs_node) as client:
        added = client.add_bytes(
            data, opts={"cid-version": 1, "raw-leaves": True, "cid-base": "base32"}
        )
    assert added == cid
    assert kubo.get(cid) == data


def test_content_added_by_other_ipfs_users_is_readable(kubo: KuboStore, ipfs_node: IpfsNode):
    with _raw_client(ipfs_node) as client:
        cid = client.add_bytes(
            b"added elsewhere", opts={"cid-version": 1, "raw-leaves": True, "cid-base": "base32"}
        )
    assert kubo.has(cid)
    assert kubo.get(cid) == b"added elsewhere"


def test_blake3_cids_match_on_the_node(ipfs_node: IpfsNode):
    store = KuboStore(ipfs_node.api, hash_function="blake3", timeout_s=1.0)
    cid = store.put(b"hello world")
    assert cid == "bafkr4igxjga67jykbseaxdmmdgc5a5o3zp3htom2l6mrjznk7fvyggu6eq"
    assert store.get(cid) == b"hello world"


def test_missing_content_is_not_found_within_the_timeout(kubo: KuboStore):
    missing = cid_for(b"nobody has this")
    assert not kubo.has(missing)
    with pytest.raises(ContentNotFound, match="looked for 1 s"):
        kubo.get(missing)


def test_pin_keeps_content(kubo: KuboStore, ipfs_node: IpfsNode):
    cid = kubo.put(b"pin me")
    kubo.pin(cid)
    with _raw_client(ipfs_node) as client:
        pins = client.pin.ls(type="recursive", opts={"cid-base": "base32"})["Keys"]
    assert cid in pins
    with pytest.raises(ContentNotFound):
        kubo.pin(cid_for(b"not on the node"))


def test_oversized_content_is_refused_before_the_node_is_asked(kubo: KuboStore):
    with pytest.raises(ContentTooLarge):
        kubo.put(bytes(MAX_BLOCK_BYTES + 1))


def test_unreachable_node_is_store_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = KuboStore(f"/ip4/127.0.0.1/tcp/{port}/http", timeout_s=1.0)
    with pytest.raises(StoreUnavailable, match="cannot reach the IPFS node"):
        store.put(b"x")


def test_cli_builds_to_ipfs_and_runs_by_cid(ipfs_node: IpfsNode, tmp_path: Path):
    env = {"MEMJIT_HOME": str(tmp_path / "home"), "MEMJIT_IPFS_TIMEOUT_S": "2"}
    flags = ["--store", "kubo", "--ipfs-api", ipfs_node.api]
    built = memjit("worker", "build", "workers/basic/echo.wat", "--json", *flags, env=env)
    assert built.returncode == 0, built.stderr
    cid = json.loads(built.stdout)["cid"]
    # a second node home with an empty cache: the module must come from IPFS
    other = {**env, "MEMJIT_HOME": str(tmp_path / "other")}
    ran = memjit("worker", "run", cid, "-i", "-", *flags, env=other, stdin="via ipfs")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0] == "via ipfs"
    missing = memjit("worker", "run", cid_for(b"absent"), "-i", "-", *flags, env=other, stdin="")
    assert_one_line_error(missing, "not available from the IPFS node")
