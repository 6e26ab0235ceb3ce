"""The shape of the tree: each room does one thing, and the arrows between rooms run one way.

- Contracts are reached only through ``protocol/chain``'s typed API: nowhere else does code
  touch a web3 contract's ``functions`` or ``events``, decode logs, or bind a contract.
- The node's code outside ``protocol/chain`` does not hold a ``Web3`` connection at all.
- No two rooms of ``protocol/`` (its subpackages and top-level modules) import each other, and
  the imports between rooms have no cycle.
- ``oracle`` never imports ``protocol``.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT

CHAIN = Path("protocol/chain")
#: web3's ways into a contract: its functions and events, logs, and contract objects.
CONTRACT_ATTRIBUTES = {"functions", "events", "process_receipt", "process_log", "get_logs"}
CONTRACT_CALLS = {"contract", "encode_abi"}


def python_files() -> list[Path]:
    """Every tracked or new Python file of the tree, relative to the root."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [Path(p) for p in listed if (ROOT / p).is_file()]


def parse(path: Path) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=str(path))


def contract_access(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CONTRACT_ATTRIBUTES:
            yield node.lineno, f".{node.attr}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CONTRACT_CALLS
        ):
            yield node.lineno, f".{node.func.attr}(...)"


def test_contracts_are_reached_only_through_the_chain_layer():
    outside = [p for p in python_files() if not p.is_relative_to(CHAIN)]
    assert len(outside) > 100  # the scan sees the tree
    found = [
        f"{path}:{line}: {what}" for path in outside for line, what in contract_access(parse(path))
    ]
    assert found == []


def test_the_scan_sees_contract_access():
    """The check above can fail: it flags each way into a contract."""
    sample = ast.parse(
        "c.functions.openRound(1).call()\n"
        "c.events.RoundOpened().process_receipt(r)\n"
        "w3.eth.get_logs({})\n"
        "w3.eth.contract(address=a, abi=b)\n"
    )
    flagged = {what for _, what in contract_access(sample)}
    assert flagged == {".functions", ".events", ".process_receipt", ".get_logs", ".contract(...)"}


def test_the_node_holds_no_web3_connection_outside_the_chain_layer():
    found = []
    for path in python_files():
        if path.parts[0] != "protocol" or path.is_relative_to(CHAIN):
            continue
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Attribute) and node.attr == "w3":
                found.append(f"{path}:{node.lineno}")
    assert found == []


def room_of(module: str) -> str | None:
    """The room of ``protocol`` a dotted module name lies in (``protocol.chain.rounds`` →
    ``chain``), or None outside ``protocol``."""
    parts = module.split(".")
    if parts[0] != "protocol" or len(parts) < 2:
        return None
    return parts[1]


def imported_modules(path: Path, tree: ast.Module) -> Iterator[str]:
    """Every module ``path`` imports, lazily imported ones included, as dotted names."""
    package = ".".join(path.with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                yield f"{base}.{node.module}" if node.module else base
            elif node.module:
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)


def room_imports() -> dict[str, set[str]]:
    """room → the other rooms of ``protocol`` it imports."""
    graph: dict[str, set[str]] = {}
    for path in python_files():
        if path.parts[0] != "protocol" or len(path.parts) < 2:
            continue
        room = path.parts[1].removesuffix(".py")
        if room == "__init__":
            continue
        targets = graph.setdefault(room, set())
        for module in imported_modules(path, parse(path)):
            other = room_of(module)
            if other is not None and other != room and other != "__init__":
                targets.add(other)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles found by a depth-first search (each once per entry point)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_two_rooms_of_protocol_import_each_other():
    graph = room_imports()
    assert {"chain", "engine", "sandbox", "cli"} <= graph.keys()
    pairs = sorted(
        f"{a} <-> {b}"
        for a, targets in graph.items()
        for b in targets
        if a < b and a in graph.get(b, ())
    )
    assert pairs == []
    assert cycles(graph) == []


def test_the_cycle_search_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", ["oracle"])
def test_oracle_never_imports_protocol(package: str):
    found = [
        f"{path}: {module}"
        for path in python_files()
        if path.parts[0] == package
        for module in imported_modules(path, parse(path))
        if module.split(".")[0] == "protocol"
    ]
    assert found == []
