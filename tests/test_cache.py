"""The compiled-module cache: memory LRU by bytes, disk cache across restarts, usage, purge."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from protocol.cid import cid_for
from protocol.sandbox import DarwinVM, ModuleCache
from protocol.sandbox.usage import UsageBook
from protocol.sandbox.wasm_engine import engine_fingerprint
from protocol.toolchain.sources import compile_wat
from tests.helpers import wat_module


def _variant(tag: int) -> tuple[str, bytes]:
    """Distinct small workers (the tag changes a constant)."""
    wasm = compile_wat(
        f"""(module (memory (export "memory") 1)
        (func (export "alloc") (param i32) (result i32) (i32.const {1024 + tag}))
        (func (export "run") (param i32 i32) (result i64) (i64.const 0)))"""
    )
    return cid_for(wasm), wasm


@pytest.fixture
def vm():
    sandbox = DarwinVM()
    yield sandbox
    sandbox.close()


def test_second_load_is_a_memory_hit(vm: DarwinVM, tmp_path: Path):
    cache = ModuleCache(vm, tmp_path)
    cid, wasm = _variant(1)
    assert cache.get(cid) is None
    module = cache.compile(cid, wasm)
    assert cache.get(cid) is module
    (usage,) = cache.usage.all()
    assert (usage.compiles, usage.hits) == (1, 1)


def test_restart_loads_from_disk_without_compiling(
    vm: DarwinVM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    wasm = wat_module("workers/basic/echo.wat")
    cid = cid_for(wasm)
    ModuleCache(vm, tmp_path).compile(cid, wasm)
    assert (tmp_path / engine_fingerprint() / f"{cid}.cwasm").is_file()

    restarted = DarwinVM()
    monkeypatch.setattr(restarted, "compile", lambda wasm: pytest.fail("compiled again"))
    module = ModuleCache(restarted, tmp_path).get(cid)
    assert module is not None
    assert restarted.run(module, b"still works").output == b"still works"


def test_corrupted_disk_entry_is_discarded(vm: DarwinVM, tmp_path: Path):
    cid, wasm = _variant(2)
    ModuleCache(vm, tmp_path).compile(cid, wasm)
    path = tmp_path / engine_fingerprint() / f"{cid}.cwasm"
    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0xFF
    path.write_bytes(bytes(blob))
    assert ModuleCache(vm, tmp_path).get(cid) is None
    assert not path.exists()


def test_memory_is_an_lru_bounded_in_bytes(vm: DarwinVM):
    probe = ModuleCache(vm, None)
    for tag in range(3):
        cid, wasm = _variant(10 + tag)
        probe.compile(cid, wasm)
    sizes = [u.size_bytes for u in probe.usage.all()]
    budget = sizes[0] * 2 + sizes[0] // 2  # room for two modules, not three
    cache = ModuleCache(vm, None, memory_budget_bytes=budget)
    (a, wa), (b, wb), (c, wc) = (_variant(10 + tag) for tag in range(3))
    cache.compile(a, wa)
    cache.compile(b, wb)
    assert cache.get(a) is not None  # a is now the most recently used
    cache.compile(c, wc)
    assert cache.get(b) is None  # b was the least recently used
    assert cache.get(a) is not None and cache.get(c) is not None
    assert cache.stats().memory_bytes <= budget


def test_usage_adds_up_across_processes_sharing_a_folder(tmp_path: Path):
    first, second = UsageBook(tmp_path / "u.sqlite"), UsageBook(tmp_path / "u.sqlite")
    first.record_run("bafkx", fuel=10, failed=False)
    second.record_run("bafkx", fuel=5, failed=True)
    first.flush()
    second.flush()
    (usage,) = UsageBook(tmp_path / "u.sqlite").all()
    assert (usage.runs, usage.failures, usage.fuel) == (2, 1, 15)


def test_purge_low_utility_keeps_useful_modules(vm: DarwinVM, tmp_path: Path):
    cache = ModuleCache(vm, tmp_path)
    (good, wg), (bad, wb), (idle, wi) = (_variant(20 + tag) for tag in range(3))
    for cid, wasm in ((good, wg), (bad, wb), (idle, wi)):
        cache.compile(cid, wasm)
    for _ in range(3):
        cache.usage.record_run(good, fuel=1, failed=False)
        cache.usage.record_run(bad, fuel=1, failed=True)
    cache.usage.flush()
    purged = cache.purge_low_utility(min_utility=0.5)
    assert set(purged) == {bad, idle}
    assert cache.cached_cids() == [good]
    # a month later even the good one has decayed below the bar
    month = 30 * 86_400
    assert cache.purge_low_utility(min_utility=0.5, now=cache.usage.all()[0].last_used + month) == [
        good
    ]
    assert cache.stats().disk_entries == 0


def test_a_module_serialized_by_another_engine_config_is_not_loaded(tmp_path: Path):
    other = wasmtime.Engine()  # default config: no fuel, no epochs
    wasm = wat_module("workers/basic/echo.wat")
    cid = cid_for(wasm)
    folder = tmp_path / engine_fingerprint()
    folder.mkdir()
    code = wasmtime.Module(other, wasm).serialize()
    import hashlib

    (folder / f"{cid}.cwasm").write_bytes(hashlib.sha256(code).digest() + code)
    vm = DarwinVM()
    assert ModuleCache(vm, tmp_path).get(cid) is None
