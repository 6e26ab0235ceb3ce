"""DarwinVM: the worker ABI, every way a run can fail, isolation, determinism."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from protocol.errors import (
    BadOutput,
    ForbiddenImport,
    InvalidModule,
    OutOfFuel,
    OutOfMemory,
    SandboxError,
    Timeout,
    WorkerTrap,
)
from protocol.sandbox import DarwinVM, Limits
from protocol.toolchain.sources import build_file
from tests.helpers import ROOT, wat_module

SMALL = Limits(fuel_limit=50_000_000, memory_limit_bytes=16 * 1024 * 1024, deadline_s=5.0)


@pytest.fixture(scope="module")
def vm():
    sandbox = DarwinVM(SMALL)
    yield sandbox
    sandbox.close()


def test_echo_worker_returns_its_input_and_reports_fuel(vm: DarwinVM):
    result = vm.run(vm.compile(wat_module("workers/basic/echo.wat")), b"hello sandbox")
    assert result.output == b"hello sandbox"
    assert result.fuel_used > 0
    assert result.elapsed_s > 0


def test_empty_input_is_a_valid_run(vm: DarwinVM):
    assert vm.run(vm.compile(wat_module("workers/basic/echo.wat")), b"").output == b""


@pytest.mark.parametrize(
    "path,error,fragment",
    [
        ("workers/hostile/spin.wat", OutOfFuel, "out of fuel"),
        ("workers/hostile/bomb.wat", OutOfMemory, "memory cap"),
        ("workers/hostile/flood.wat", BadOutput, "exceeds the cap"),
        ("workers/hostile/trap.wat", WorkerTrap, "integer division by zero"),
        ("tests/wat/recurse.wat", WorkerTrap, "stack overflow"),
        ("tests/wat/start_spin.wat", OutOfFuel, "out of fuel"),
        ("tests/wat/wild_output.wat", BadOutput, "outside the memory"),
        ("tests/wat/wild_alloc.wat", BadOutput, "outside the memory"),
        ("tests/wat/big_memory.wat", OutOfMemory, "memory"),
    ],
)
def test_each_failure_has_its_own_error(vm: DarwinVM, path: str, error: type, fragment: str):
    module = vm.compile(wat_module(path))
    with pytest.raises(error, match=fragment) as caught:
        vm.run(module, bytes(64))
    assert isinstance(caught.value, SandboxError)
    # the sandbox keeps serving after every hostile run
    assert vm.run(vm.compile(wat_module("workers/basic/echo.wat")), b"ok").output == b"ok"


def test_out_of_fuel_reports_the_whole_budget(vm: DarwinVM):
    with pytest.raises(OutOfFuel) as caught:
        vm.run(vm.compile(wat_module("workers/hostile/spin.wat")), b"")
    assert caught.value.fuel_used == SMALL.fuel_limit


def test_wall_clock_deadline_stops_a_worker_with_fuel_to_spare(vm: DarwinVM):
    limits = SMALL.but(fuel_limit=10**15, deadline_s=0.2)
    with pytest.raises(Timeout, match=r"0\.2 s deadline"):
        vm.run(vm.compile(wat_module("workers/hostile/spin.wat")), b"", limits)


def test_deadline_bounds_a_start_function_too(vm: DarwinVM):
    limits = SMALL.but(fuel_limit=10**15, deadline_s=0.1)
    with pytest.raises(Timeout):
        vm.run(vm.compile(wat_module("tests/wat/start_spin.wat")), b"", limits)


def test_imports_are_refused_unless_allow_listed(vm: DarwinVM):
    with pytest.raises(ForbiddenImport, match=r"env\.now"):
        vm.compile(wat_module("workers/hostile/clock.wat"))
    with pytest.raises(ForbiddenImport, match=r"memjit\.log"):
        vm.compile(wat_module("tests/wat/log.wat"))


def test_allow_listed_log_import_is_served_and_captured():
    logging_vm = DarwinVM(SMALL.but(allowed_imports=frozenset({"memjit.log"})))
    result = logging_vm.run(logging_vm.compile(wat_module("tests/wat/log.wat")), b"hi there")
    assert result.output == b"hi there"
    assert result.logs == ("hi there",)
    # allow-listing a name does not make up host functions that do not exist
    env_vm = DarwinVM(SMALL.but(allowed_imports=frozenset({"env.now"})))
    with pytest.raises(ForbiddenImport):
        env_vm.compile(wat_module("workers/hostile/clock.wat"))


@pytest.mark.parametrize(
    "wasm,fragment",
    [
        (b"", "not a WebAssembly binary"),
        (b"(module)", "not a WebAssembly binary"),
        (b"\0asm\x01\0\0\0garbage", "not a valid WebAssembly module"),
    ],
)
def test_malformed_modules_are_invalid(vm: DarwinVM, wasm: bytes, fragment: str):
    with pytest.raises(InvalidModule, match=fragment):
        vm.compile(wasm)


def test_modules_without_the_abi_are_invalid(vm: DarwinVM):
    from protocol.toolchain.sources import compile_wat

    with pytest.raises(InvalidModule, match="'memory'"):
        vm.compile(compile_wat("(module)"))
    with pytest.raises(InvalidModule, match="'run' has type"):
        vm.compile(wat_module("tests/wat/wrong_abi.wat"))


def test_every_run_starts_from_a_fresh_instance(vm: DarwinVM):
    module = vm.compile(wat_module("tests/wat/counter.wat"))
    outputs = {vm.run(module, b"x").output for _ in range(5)}
    assert outputs == {struct.pack("<II", 1, 1)}


def test_nans_are_canonical(vm: DarwinVM):
    module = vm.compile(wat_module("tests/wat/nan.wat"))
    payload_nan = struct.pack("<I", 0x7FA0_0001)
    assert struct.unpack("<I", vm.run(module, payload_nan).output)[0] == 0x7FC0_0000


def test_concurrent_runs_do_not_interfere(vm: DarwinVM):
    module = vm.compile(wat_module("workers/basic/echo.wat"))
    results: dict[int, bytes] = {}

    def go(index: int) -> None:
        results[index] = vm.run(module, bytes([index]) * 1000).output

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: bytes([i]) * 1000 for i in range(8)}


def test_same_module_and_input_give_the_same_output_and_fuel_in_another_process(tmp_path: Path):
    model = ROOT / "workers/digits/models/mlp.json"
    batch = (ROOT / "oracle/data/digits-8x8-test.bin").read_bytes()[: 65 * 20]
    items = b"".join(batch[i : i + 64] for i in range(0, len(batch), 65))
    (tmp_path / "input.bin").write_bytes(items)
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "protocol.cli.main", "worker", "run", str(model),
             "--input", str(tmp_path / "input.bin"), "--json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append(json.loads(done.stdout))
    vm = DarwinVM()
    here = vm.run(vm.compile(build_file(model)), items)
    assert runs[0]["output_hex"] == runs[1]["output_hex"] == here.output.hex()
    assert runs[0]["fuel_used"] == runs[1]["fuel_used"] == here.fuel_used


def _epoch_threads() -> int:
    return sum(t.name == "memjit-epoch" and t.is_alive() for t in threading.enumerate())


def test_the_epoch_clock_stops_on_close_and_when_a_vm_is_dropped():
    """The clock holds its engine and its owner stops it: no tick can reach an engine that is
    being freed (wasmtime-py frees it in __del__, before weak references are cleared)."""
    import gc

    before = _epoch_threads()
    closed = DarwinVM()
    dropped = DarwinVM()
    assert _epoch_threads() == before + 2
    closed.close()
    assert _epoch_threads() == before + 1
    del dropped
    gc.collect()
    assert _epoch_threads() == before
    closed.close()  # idempotent
