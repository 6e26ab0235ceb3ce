"""`memjit node start`: a real node process on a real anvil, serving requests over HTTP,
recovering what a killed request left open, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oracle.datasets import load_digits_test
from protocol.chain import RoundStatus
from tests.helpers import ROOT, assert_one_line_error, kill_during, memjit

URL_LINE = re.compile(r"node serving on (http://\S+)")
SWARM_LINE = re.compile(r"swarm peer (/\S+)")


class Node:
    def __init__(self, rpc_url: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "protocol.cli.main", "node", "start", "--rpc", rpc_url, "--port", "0", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        self.lines: list[str] = []
        self.swarm_address = ""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if match := SWARM_LINE.search(line):
                self.swarm_address = match.group(1)
            if match := URL_LINE.search(line):
                self.url = match.group(1)
                return
        raise AssertionError(f"the node never served: {self.lines} {self.process.stderr.read()}")  # type: ignore[union-attr]

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        return self._send(urllib.request.Request(self.url + path))

    def post(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        return self._send(urllib.request.Request(self.url + path, data=body, method="POST"))

    @staticmethod
    def _send(req: urllib.request.Request) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(req, timeout=120) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, "".join(self.lines) + out + err


@pytest.fixture
def node(network) -> Iterator[tuple[Node, Any]]:
    started = Node(network[0].url)
    yield started, network
    started.stop()


def test_the_node_serves_requests_over_http_and_keeps_serving_after_bad_ones(node):
    server, (_anvil, mj, items, _settings) = node
    status, health = server.get("/v1/health")
    assert status == 200
    assert health["chain_id"] == mj.chain.chain_id
    assert health["oracle"] == mj.rounds.address
    assert health["capabilities"] == {"digits-8x8": {"item_size": 64}}

    status, body = server.post("/v1/requests/speech-to-text", b"x" * 64)
    assert (status, body["kind"]) == (404, "UnknownCapability")
    status, body = server.post("/v1/requests/digits-8x8", b"x" * 63)
    assert (status, body["kind"]) == (400, "UnknownCapability")
    assert "64 bytes" in body["error"]
    status, body = server.get("/v1/nothing")
    assert status == 404

    # The CLI as a client of the node: the same result and receipt as a local request.
    result = memjit("request", "digits-8x8", "-i", str(items), "--node", server.url, "--json")
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    assert served["answers"] == list(load_digits_test().labels[:5])
    assert mj.rounds.get(served["round_id"]).status == RoundStatus.CLOSED

    status, health = server.get("/v1/health")
    assert (health["rounds_served"], health["rounds_failed"]) == (1, 0)
    code, output = server.stop()
    assert code == 0, output
    assert "node stopped" in output
    assert "Traceback" not in output


def test_a_node_recovers_the_round_a_killed_request_left_open(network):
    anvil, mj, items, settings = network
    kill_during("executed", anvil, items, settings)
    server = Node(anvil.url)
    try:
        assert any("recovered round 1: resumed and closed" in line for line in server.lines), (
            server.lines
        )
        assert mj.rounds.get(1).status == RoundStatus.CLOSED
    finally:
        code, output = server.stop()
    assert code == 0, output


def test_a_request_to_a_node_that_is_not_there_is_one_line(tmp_path: Path):
    items = tmp_path / "items.bin"
    items.write_bytes(bytes(64))
    result = memjit("request", "digits-8x8", "-i", str(items), "--node", "http://127.0.0.1:9")
    assert_one_line_error(result, "unreachable", "127.0.0.1:9")


def test_a_taken_port_is_one_line(network):
    anvil, _mj, _items, _settings = network
    first = Node(anvil.url)
    try:
        port = first.url.rsplit(":", 1)[1]
        second = memjit("node", "start", "--rpc", anvil.url, "--port", port)
        assert_one_line_error(second, "cannot listen", port)
    finally:
        first.stop()
