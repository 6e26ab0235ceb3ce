"""A local IPFS node for tests and development: js-ipfs from npm, started on a free port.

kubo cannot be installed offline (its npm package downloads the binary at install time);
the npm ``ipfs`` package is a real IPFS node with the same HTTP RPC. ``npm install`` in the
repository fetches it and patches it (``tools/ipfs``); :func:`start_jsipfs` runs it with its
repository in a folder of the caller's, offline, listening on loopback only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from protocol.errors import ConfigError, StoreUnavailable
from protocol.processes import ChildProcess, search_folders

READY_TIMEOUT_S = 60.0
_LISTENING = re.compile(r"HTTP API listening on (\S+)")
#: Offline, loopback, nothing but the RPC API (port 0: the OS picks one).
_CONFIG = {
    "Addresses": {
        "API": "/ip4/127.0.0.1/tcp/0",
        "Gateway": "",
        "RPC": "",
        "Swarm": [],
        "Delegates": [],
    },
    "Bootstrap": [],
    "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
}


def find_launcher() -> Path:
    """``tools/ipfs/node.mjs`` in a checkout whose ``npm install`` has fetched js-ipfs."""
    for folder in search_folders(Path.cwd()):
        launcher = folder / "tools" / "ipfs" / "node.mjs"
        if launcher.is_file() and (folder / "node_modules" / "ipfs-daemon").is_dir():
            return launcher
    raise ConfigError("js-ipfs not found: run `npm install` in the repository")


@dataclass(kw_only=True)
class IpfsNode(ChildProcess):
    """A running js-ipfs node started by us."""

    repo: Path
    #: The RPC API's multiaddr, e.g. ``/ip4/127.0.0.1/tcp/40123/http`` (once ready).
    api: str = ""

    kind = "js-ipfs"
    start_error = StoreUnavailable


def start_jsipfs(repo: Path, timeout_s: float = READY_TIMEOUT_S) -> IpfsNode:
    """Start a node with its repository in ``repo`` (created if missing) and wait until its
    API answers."""
    launcher = find_launcher()
    node = shutil.which("node")
    if node is None:
        raise ConfigError("js-ipfs needs Node.js: apt-get install nodejs")
    repo.mkdir(parents=True, exist_ok=True)
    config = repo.parent / f"{repo.name}.config.json"
    config.write_text(json.dumps(_CONFIG), encoding="utf-8")
    polyfill = launcher.parent / "polyfill.cjs"
    env = {
        **os.environ,
        "IPFS_PATH": str(repo),
        "NODE_OPTIONS": f"--require {polyfill}",
    }
    process = subprocess.Popen(
        [node, str(launcher), str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=launcher.parent.parent.parent,
    )
    api: list[str] = []
    ready = threading.Event()
    output: list[str] = []

    def watch() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip())
            found = _LISTENING.search(line)
            if found:
                api.append(found.group(1))
            if "Daemon is ready" in line:
                ready.set()
        ready.set()  # the process ended

    threading.Thread(target=watch, name="jsipfs-output", daemon=True).start()
    ipfs = IpfsNode(process, repo=repo)
    ipfs.wait_ready(
        lambda: ready.is_set() and bool(api) and process.poll() is None,
        timeout_s,
        said=lambda: " | ".join(output[-3:]) or "no output",
    )
    ipfs.api = api[0]
    return ipfs
