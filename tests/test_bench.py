"""The benchmarks still run (a quick pass; figures are not judged here, only produced)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

from tests.conftest import need
from tests.helpers import ROOT


def quick_run(script: str, timeout: int, env: dict[str, str] | None = None) -> Any:
    """The JSON report of ``script --quick --json``, run as a user runs it (``env`` is added
    to this process's environment)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / script), "--quick", "--json"],
        capture_output=True, text=True, check=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    return json.loads(done.stdout)


def test_sandbox_benchmark_runs_and_reports_every_approach():
    if shutil.which("node") is None:
        need("the node:vm peer needs Node.js")
    report = quick_run("bench/sandbox.py", timeout=300)
    assert [w["workload"] for w in report["workloads"]] == ["echo", "mlp-1", "mlp-450"]
    for workload in report["workloads"]:
        ratios = workload["ratio_to_floor"]
        assert set(ratios) == {"floor", "warm", "restart", "cold", "node:vm"}
        assert ratios["floor"] == 1.0
        assert all(value > 0 for value in ratios.values())


def test_prover_benchmark_runs_against_snarkjs_and_reports_gas(ptau):
    report = quick_run("bench/prover.py", timeout=600, env={"MEMJIT_PTAU_DIR": str(ptau.parent)})
    (row,) = report["circuits"]
    assert row["shape"] == "k2-m4" and row["constraints"] > 600
    assert row["memjit_prove_s"] > 0 and row["snarkjs_prove_s"] > 0 and row["ratio"] > 0
    assert 200_000 < report["gas"]["verify_proof_gas"] < 400_000
    assert report["gas"]["close_round_gas_5_workers"] > report["gas"]["verify_proof_gas"]


def test_round_benchmark_runs_on_anvil_and_reports_phases_and_gas(anvil):
    report = quick_run("bench/round.py", timeout=600)
    assert set(report["phases_s"]) == {"select", "open", "execute", "prove", "close"}
    assert report["items_per_worker"] == 21 and report["workers"] == 5
    assert 0 < report["all_but_proof_s"] < report["total_s"]
    assert report["gas_per_round"] == report["gas_open"] + report["gas_close"]


def test_dht_benchmark_counts_lookup_hops_against_log2_n():
    report = quick_run("bench/dht.py", timeout=300)
    assert report["alpha"] >= 1 and report["k"] >= 1
    (row,) = report["sizes"]
    assert row["nodes"] == 16 and row["log2_nodes"] == 4 and row["lookups"] == 10
    assert 1 <= row["hops_p50"] <= row["hops_max"] and 1 <= row["hops_mean"] <= row["hops_max"]
    assert abs(row["hops_per_log2"] - row["hops_mean"] / row["log2_nodes"]) < 0.01
    assert row["messages_mean"] >= row["hops_mean"]  # every round asks at least one peer
    assert 0 < row["found"] <= row["lookups"]
    assert 0 < row["latency_p50_ms"] <= row["latency_p95_ms"]
    assert row["startup_s"] > 0 and row["processes"] >= 1


def test_scale_benchmark_runs_in_process_and_on_1_and_2_pool_processes(redis):
    report = quick_run("bench/scale.py", timeout=300)
    assert [row["target_ms"] for row in report["workloads"]] == [10, 50]
    for row in report["workloads"]:
        for key in ("in_process", "pool_1", "pool_2"):
            assert row[key]["rounds_per_s"] > 0 and row[key]["run_ms_p50"] > 0
        assert row["two_procs_vs_one_proc"] > 0 and row["one_proc_vs_in_process"] > 0
    assert report["workloads"][1]["goal_met"] in (True, False)


def test_economics_simulator_shows_that_memorising_and_copying_do_not_pay(anvil):
    report = quick_run("bench/economics.py", timeout=300)
    scenarios = {s["name"]: s for s in report["scenarios"]}
    assert set(scenarios) == {"memoriser", "copycat"}
    assert report["new_data_items"] == 900 and len(report["honest"]) == 4

    def worker(scenario: str, name: str) -> dict:
        (found,) = [w for w in scenarios[scenario]["workers"] if w["name"] == name]
        return found

    for name, scenario in scenarios.items():
        assert scenario["rounds"] == 5
        honest = [w for w in scenario["workers"] if w["strategy"] == "honest"]
        best = max(w["net_swt"] for w in honest)
        assert best > 0, name
        assert worker(name, name)["net_swt"] < best
    memoriser = worker("memoriser", "memoriser")
    assert memoriser["rounds"] > 0  # it was selected: the figures below mean something
    assert memoriser["accuracy"] < 0.2  # a table of shipped digits knows no new digit
    assert abs(memoriser["mean_score"] - 100 * memoriser["accuracy"]) <= 10
    copy = worker("copycat", "copycat")
    assert copy["accuracy"] == worker("copycat", "mlp")["accuracy"]  # it behaves as the MLP
    assert copy["rounds"] == 0  # so it is in the MLP's answer class: never selected
    assert copy["rewards_swt"] == copy["shares_swt"] == copy["slashed_swt"] == 0


def test_selection_benchmark_times_registry_reads_against_the_index(anvil):
    report = quick_run("bench/selection.py", timeout=300)
    assert report["selection"] == "protocol.engine.selection.select_workers"
    assert [row["workers"] for row in report["sizes"]] == [10, 100]
    for row in report["sizes"]:
        assert row["old_ms"] > 0 and row["index_ms"] > 0 and row["ratio"] > 0
        assert row["old_runs"] >= 1 and row["index_max_ms"] >= row["index_ms"]
        assert row["catch_up_s"] > 0 and row["catch_up_log_reads"] == 1
        assert row["catch_up_worker_events"] >= row["workers"]
    assert report["goal"]["met"] is None  # a quick run stops short of 10,000 workers
