"""Per-run cost of the sandbox: instantiate + run + teardown, side by side with its peers.

    python bench/sandbox.py              # table
    python bench/sandbox.py --json       # figures for machines
    python bench/sandbox.py --quick      # fewer repetitions (a smoke run)

Workloads: ``echo`` (the trivial worker, 64 input bytes), ``mlp-1`` (the best digit
classifier on one item) and ``mlp-450`` (the same on the whole held-out set).

Each is run, in the same process and the same minute, by:

* ``floor``   — raw wasmtime-py: a default engine (no fuel, no epochs), the module compiled
  once; per run a Store, an Instance and the ABI's calls (alloc, write, run, read) with no
  limits and no checks. Nothing that runs a worker can be cheaper from Python.
* ``warm``    — MemJit's node path, ``WorkerRuntime.run`` on a module from the memory cache:
  fresh store with fuel, memory cap, epoch deadline, output checks, usage accounting.
* ``restart`` — the module loaded from the disk cache (serialized code) on every run, as after
  a restart, then run as ``warm``.
* ``cold``    — compiled from the WebAssembly bytes on every run (ABI checks included).
* ``node:vm`` — the original design's sketch: the same logic in JavaScript, a fresh
  ``node:vm`` context per call with a timeout (bench/peers/node_vm.mjs; needs Node).

Times are the median of five batches, in microseconds per run; ratios are to ``floor``. The
goal: ``warm`` within 1.5× of ``floor``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import wasmtime
from rich.console import Console
from rich.table import Table

from oracle.datasets import load_digits_test
from protocol.cid import cid_for
from protocol.runtime import WorkerRuntime
from protocol.sandbox import DarwinVM, ModuleCache
from protocol.sandbox.wasm_engine import wasmtime_version
from protocol.store import LocalStore
from protocol.toolchain.sources import build_file

ROOT = Path(__file__).resolve().parent.parent
APPROACHES = ("floor", "warm", "restart", "cold", "node:vm")


def per_run_us(run: Callable[[], object], runs: int) -> float:
    """Median over five batches of ``runs // 5`` calls, after a warm-up."""
    for _ in range(min(runs, 20)):
        run()
    batch = max(1, runs // 5)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(batch):
            run()
        samples.append((time.perf_counter() - start) / batch * 1e6)
    return statistics.median(samples)


def floor_runner(wasm: bytes, data: bytes) -> Callable[[], bytes]:
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, wasm)

    def run() -> bytes:
        store = wasmtime.Store(engine)
        exports = wasmtime.Instance(store, module, []).exports(store)
        memory, alloc, entry = exports["memory"], exports["alloc"], exports["run"]
        ptr = alloc(store, len(data))  # type: ignore[operator]
        memory.write(store, data, ptr)  # type: ignore[union-attr]
        packed = entry(store, ptr, len(data)) & (2**64 - 1)  # type: ignore[operator]
        return bytes(memory.read(store, packed >> 32, (packed >> 32) + (packed & 0xFFFFFFFF)))  # type: ignore[union-attr]

    return run


def node_per_run_us(workload: str, data: bytes, runs: int, expected: bytes) -> float | None:
    node = shutil.which("node")
    if node is None:
        return None
    kind = "echo" if workload == "echo" else "dense"
    done = subprocess.run(
        [
            node,
            str(ROOT / "bench/peers/node_vm.mjs"),
            kind,
            data.hex(),
            str(runs),
            str(ROOT / "workers/digits/models/mlp.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    if bytes.fromhex(result["output_hex"]) != expected:
        raise SystemExit(f"node:vm peer disagrees with the sandbox on {workload}")
    return float(result["per_run_us"])


def measure(quick: bool) -> list[dict[str, object]]:
    digits = load_digits_test()
    echo = build_file(ROOT / "workers/basic/echo.wat")
    mlp = build_file(ROOT / "workers/digits/models/mlp.json")
    workloads = [
        ("echo", echo, bytes(range(64)), 2000),
        ("mlp-1", mlp, digits.inputs[0], 2000),
        ("mlp-450", mlp, digits.batch(), 100),
    ]
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="memjit-bench-") as tmp:
        runtime = WorkerRuntime(
            LocalStore(Path(tmp) / "store"), vm := DarwinVM(), ModuleCache(vm, Path(tmp) / "c")
        )
        for name, wasm, data, runs in workloads:
            runs = max(10, runs // 10) if quick else runs
            cid = cid_for(wasm)
            worker = runtime.load(wasm)
            expected = runtime.run(worker, data).output
            floor = floor_runner(wasm, data)
            assert floor() == expected
            # a cache with no memory budget serves every load from disk
            disk_only = ModuleCache(vm, Path(tmp) / "c", memory_budget_bytes=0)

            def restart(cache: ModuleCache = disk_only, data: bytes = data, cid: str = cid) -> None:
                module = cache.get(cid)
                assert module is not None
                vm.run(module, data)

            def cold(wasm: bytes = wasm, data: bytes = data) -> None:
                vm.run(vm.compile(wasm), data)

            timings: dict[str, float | None] = {
                "floor": per_run_us(floor, runs),
                "warm": per_run_us(lambda w=worker, d=data: runtime.run(w, d), runs),
                "restart": per_run_us(restart, runs),
                "cold": per_run_us(cold, max(10, runs // 20)),
                "node:vm": node_per_run_us(name, data, runs, expected),
            }
            base = timings["floor"]
            assert base is not None
            rows.append(
                {
                    "workload": name,
                    "per_run_us": {k: v and round(v, 1) for k, v in timings.items()},
                    "ratio_to_floor": {k: v and round(v / base, 2) for k, v in timings.items()},
                }
            )
        runtime.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-run cost of the MemJit sandbox.")
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    rows = measure(args.quick)
    if args.json:
        print(json.dumps({"wasmtime": wasmtime_version(), "workloads": rows}, indent=2))
        return
    table = Table(title="per-run cost, µs (× the raw wasmtime-py floor)")
    table.add_column("workload")
    for approach in APPROACHES:
        table.add_column(approach, justify="right")
    for row in rows:
        us = row["per_run_us"]
        ratio = row["ratio_to_floor"]
        assert isinstance(us, dict) and isinstance(ratio, dict)
        table.add_row(
            str(row["workload"]),
            *(
                "n/a (no node)" if us[a] is None else f"{us[a]:,.1f} ({ratio[a]:.2f}×)"
                for a in APPROACHES
            ),
        )
    Console().print(table)


if __name__ == "__main__":
    main()
