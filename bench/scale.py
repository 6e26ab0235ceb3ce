"""A round's runs in this process and on the Celery pool: throughput with 1 and 2 processes.

    python bench/scale.py                  # runs of 10, 50, 100, 200 ms: table
    python bench/scale.py --json           # figures for machines
    python bench/scale.py --quick          # 10 and 50 ms, ~0.5 s per cell (a smoke run)
    python bench/scale.py --workloads 50,200 --seconds 8 --workers 4

A round runs K = 4 workers (distinct modules, so distinct CIDs) on the same 64-byte batch,
one round at a time, as the engine does (one ``execute_all`` per round), on three executors:

- in-process: ``LocalExecutor``, the K runs one after another in this process;
- 1 proc: ``PoolExecutor`` on a pool worker (``memjit pool start``) with one process;
- 2 procs: ``PoolExecutor`` on ONE pool worker with ``--concurrency 2``.

Both pool workers run throughout, each on its own database of one throwaway Redis, and read
modules from the store of the temporary MEMJIT_HOME this script publishes into. The three
executors take turns workload by workload, so a change in the machine's load hits them alike.

The workers are generated WAT: ``run`` counts down a constant baked into the module, then
copies its input to its output. One in-process calibration (the best of 3 runs of a probe
module) sets the count for each workload; "run ms", the sandbox's own time per run (median),
shows how close it came, and on the pool how much CPU the runs got. Limits: fuel 1e11,
deadline 30 s. Every run must succeed, return the batch and burn the same fuel on all three
executors, or the benchmark stops.

Each cell: one warm-up round (modules loaded in the pool processes), then R rounds, R enough
for ``--seconds`` of in-process time (at least 3). Throughput: the timed rounds ÷ their total
wall time (runs/s = K × rounds/s); latency: the median round.

Goal: 2 processes ≥ 1.7× one process for runs of 50 ms and more, on 2 free cores (a pool
task's round trip, ~5 ms with Celery and Redis, weighs on the short runs). Other work on the
machine takes CPU from the pool processes: a load average of 0.5 or more at start is reported.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import wasmtime
from rich.console import Console
from rich.table import Table

from protocol.pool.executor import PoolExecutor
from protocol.runtime import Execution, Executor, LocalExecutor, WorkerRuntime
from protocol.settings import Settings
from protocol.testing.pool_workers import start_pool_worker
from protocol.testing.redis_server import start_redis

BATCH_BYTES = 64
#: Run lengths tested against the goal from this one on.
GOAL_FROM_MS = 50
GOAL = 1.7
#: A 1-minute load average at start from which the figures come with a warning.
BUSY_LOAD = 0.5
#: Loop iterations of the calibration probe (tens of ms).
PROBE_ITERATIONS = 20_000_000
#: Where a worker writes its output (its input sits at 1024, so it may be up to 31 KiB).
OUTPUT_AT = 32768
LIMITS: dict[str, Any] = {"fuel_limit": 10**11, "deadline_s": 30.0}
POOL: dict[str, Any] = {"pool_redeliver_s": 120.0, "pool_timeout_s": 600.0}
#: JSON key → column name, in the order the executors run.
CONFIGS = {"in_process": "in-process", "pool_1": "1 proc", "pool_2": "2 procs"}


def spin_wat(iterations: int, variant: int) -> str:
    """A worker that counts down ``iterations``, then returns its input; ``variant`` (a byte
    of its data section) tells apart modules of the same count."""
    return f"""
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\\{variant:02x}")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (local $n i64)
    (local.set $n (i64.const {iterations}))
    (block $done
      (loop $spin
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $spin)))
    (memory.copy (i32.const {OUTPUT_AT}) (local.get $ptr) (local.get $len))
    (i64.or (i64.shl (i64.const {OUTPUT_AT}) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
"""


def calibrate(runtime: WorkerRuntime) -> float:
    """Seconds per loop iteration in this process: the best of 3 runs of a probe."""
    probe = runtime.load(wasmtime.wat2wasm(spin_wat(PROBE_ITERATIONS, 255)))
    best = min(runtime.run(probe, bytes(BATCH_BYTES)).elapsed_s for _ in range(3))
    return best / PROBE_ITERATIONS


def check(executions: list[Execution], cids: list[str], batch: bytes, fuel: dict[str, int]) -> None:
    """Every run succeeded, returned the batch, and burnt the fuel its first run burnt."""
    if [e.cid for e in executions] != cids:
        raise RuntimeError("the executor answered for other workers than it was asked for")
    for e in executions:
        if e.failure is not None or e.output != batch:
            raise RuntimeError(f"{e.cid} on {e.host}: failed ({e.failure}) or a wrong output")
        if fuel.setdefault(e.cid, e.fuel_used) != e.fuel_used:
            raise RuntimeError(f"{e.cid} burnt {e.fuel_used} fuel on {e.host}, not {fuel[e.cid]}")


def measure(
    executor: Executor, cids: list[str], batch: bytes, rounds: int, fuel: dict[str, int]
) -> dict[str, Any]:
    check(executor.execute_all(cids, batch), cids, batch, fuel)  # the warm-up round
    latencies: list[float] = []
    runs: list[Execution] = []
    start = time.perf_counter()
    for _ in range(rounds):
        began = time.perf_counter()
        runs.extend(executor.execute_all(cids, batch))
        latencies.append(time.perf_counter() - began)
    total_s = time.perf_counter() - start
    check(runs, cids * rounds, batch, fuel)
    return {
        "rounds_per_s": round(rounds / total_s, 3),
        "runs_per_s": round(len(runs) / total_s, 3),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "run_ms_p50": round(statistics.median(e.elapsed_s for e in runs) * 1000, 1),
    }


def publish(runtime: WorkerRuntime, iterations: int, workers: int) -> list[str]:
    return [runtime.publish(wasmtime.wat2wasm(spin_wat(iterations, k))) for k in range(workers)]


def run(workloads_ms: list[int], seconds: float, workers: int) -> list[dict[str, Any]]:
    rows = []
    with ExitStack() as stack:  # on the way out: the pool, Redis, the runtime, the files
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="memjit-scale-")))
        progress = stack.enter_context(Console(stderr=True).status("starting the pool…"))
        settings = Settings.load({"MEMJIT_HOME": str(tmp / "home")}, **LIMITS, **POOL)
        env = {"MEMJIT_HOME": str(settings.home), "MEMJIT_POOL_REDELIVER_S": "120"}  # as POOL
        runtime = WorkerRuntime.from_settings(settings)
        stack.callback(runtime.close)
        redis = start_redis()
        stack.callback(redis.stop)
        executors: list[Executor] = [LocalExecutor(runtime)]
        for db, processes in ((1, 1), (2, 2)):  # a Redis database for each pool
            broker = f"redis://127.0.0.1:{redis.port}/{db}"
            log = tmp / f"pool-{processes}.log"
            stack.callback(
                start_pool_worker(broker, f"scale{processes}@bench", log, processes, env).stop
            )
            pool = PoolExecutor(replace(settings, broker=broker), runtime.vm.limits)
            stack.callback(pool.close)
            pool.check()
            executors.append(pool)
        progress.update("calibrating the workers' loop…")
        per_iteration_s = calibrate(runtime)
        for ms in workloads_ms:
            progress.update(f"runs of {ms} ms: in-process, 1 proc, 2 procs…")
            iterations = round(ms / 1000 / per_iteration_s)
            cids = publish(runtime, iterations, workers)
            batch = random.Random(ms).randbytes(BATCH_BYTES)
            rounds = max(3, math.ceil(seconds / (workers * ms / 1000)))
            fuel: dict[str, int] = {}
            cells = {
                key: measure(executor, cids, batch, rounds, fuel)
                for key, executor in zip(CONFIGS, executors, strict=True)
            }
            one, two = cells["pool_1"]["rounds_per_s"], cells["pool_2"]["rounds_per_s"]
            rows.append(
                {
                    "target_ms": ms,
                    "iterations": iterations,
                    "rounds": rounds,
                    **cells,
                    "one_proc_vs_in_process": round(one / cells["in_process"]["rounds_per_s"], 3),
                    "two_procs_vs_one_proc": round(two / one, 3),
                    "goal_met": two / one >= GOAL if ms >= GOAL_FROM_MS else None,
                }
            )
    return rows


def verdict(rows: list[dict[str, Any]]) -> str:
    tested = [row for row in rows if row["goal_met"] is not None]
    missed = [row for row in tested if not row["goal_met"]]
    if not tested:
        return f"goal not tested: no runs of {GOAL_FROM_MS} ms or more"
    if missed:
        shown = ", ".join(
            f"{r['target_ms']} ms ({r['two_procs_vs_one_proc']:.2f}×)" for r in missed
        )
        return f"goal missed: 2 procs < {GOAL}× 1 proc at {shown}"
    shown = ", ".join(f"{r['target_ms']}" for r in tested)
    return f"goal met: 2 procs ≥ {GOAL}× 1 proc at {shown} ms per run"


def print_table(report: dict[str, Any]) -> None:
    table = Table(
        title=f"rounds of {report['workers']} workers × {report['batch_bytes']} bytes, one at a "
        f"time, {report['cpu_count']} CPUs (load {report['load_avg_1m']:.2f} at start)",
        box=None,
        header_style="bold",
    )
    for name in (
        "target\nms", "rounds", "executor", "rounds/s", "runs/s", "p50\nround ms",
        "run ms\np50", "÷ row\nabove", "goal",
    ):  # fmt: skip
        table.add_column(name, justify="left" if name == "executor" else "right", no_wrap=True)
    for row in report["workloads"]:
        ratios = (
            "",
            f"{row['one_proc_vs_in_process']:.2f}×",
            f"{row['two_procs_vs_one_proc']:.2f}×",
        )
        goal = {None: "—", True: "yes", False: "[red]no[/red]"}[row["goal_met"]]
        for i, (key, name) in enumerate(CONFIGS.items()):
            cell = row[key]
            table.add_row(
                str(row["target_ms"]) if i == 0 else "", str(row["rounds"]) if i == 0 else "",
                name, f"{cell['rounds_per_s']:.2f}", f"{cell['runs_per_s']:.1f}",
                f"{cell['latency_p50_ms']:.0f}", f"{cell['run_ms_p50']:.0f}", ratios[i],
                goal if i == 2 else "",
            )  # fmt: skip
        table.add_section()
    console = Console()
    console.print(table)
    console.print(
        f"goal: 2 procs ≥ {GOAL}× 1 proc for runs of {GOAL_FROM_MS} ms and more; 2 procs: one "
        "pool worker, --concurrency 2; rounds/s: timed rounds ÷ their wall time; run ms: "
        f"the sandbox's own time per run. Total {report['total_s']:.0f} s."
    )
    if report["load_avg_1m"] >= BUSY_LOAD:
        console.print(
            f"the machine was busy (load {report['load_avg_1m']:.2f} at start): other work took "
            "CPU time from the pool processes, so 2 procs scale less than they would alone",
            style="yellow",
        )
    console.print(report["verdict"], style="bold")


def interrupted(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument("--quick", action="store_true", help="10 and 50 ms, ~0.5 s per cell")
    parser.add_argument("--workloads", default="10,50,100,200", help="ms of CPU per run")
    parser.add_argument("--seconds", type=float, default=4.0, help="in-process seconds per cell")
    parser.add_argument("--workers", type=int, default=4, help="workers per round (K)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, interrupted)  # so that Redis and the pool are stopped
    workloads = [10, 50] if args.quick else [int(ms) for ms in args.workloads.split(",")]
    seconds = 0.5 if args.quick else args.seconds
    load_avg_1m, start = os.getloadavg()[0], time.perf_counter()
    try:
        rows = run(workloads, seconds, args.workers)
    except KeyboardInterrupt:
        sys.exit(130)
    report = {
        "workers": args.workers,
        "batch_bytes": BATCH_BYTES,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "load_avg_1m": round(load_avg_1m, 2),
        "python": platform.python_version(),
        "wasmtime": version("wasmtime"),
        "celery": version("celery"),
        "throughput": "timed rounds / their total wall time",
        "goal": {"two_procs_vs_one_proc": GOAL, "from_ms": GOAL_FROM_MS},
        "workloads": rows,
        "verdict": verdict(rows),
        "total_s": round(time.perf_counter() - start, 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
