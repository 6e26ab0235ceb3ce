"""The benchmark tables of README.md and docs/, generated from stored results.

    python bench/tables.py --run gas sandbox   # re-run benchmarks, store bench/results/NAME.json
    python bench/tables.py --run all           # every benchmark, one at a time
    python bench/tables.py                     # render the tables into the pages
    python bench/tables.py --check             # exit 1 naming each stale block

A page holds a generated block between two markers, e.g.

    <!-- bench:gas:functions -->
    ...
    <!-- /bench:gas:functions -->

Rendering replaces what lies between them; nothing else on the page is touched.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BENCHMARKS = ("gas", "sandbox", "prover", "round", "dht", "scale", "economics", "selection")
#: Stored runs no command here re-runs: ``economics-before`` is ``bench/economics.py`` run on
#: the tree before the defences against its attacks (its record names the commit).
ARCHIVED = ("economics-before",)


def command(name: str) -> list[str]:
    return ["python", f"bench/{name}.py", "--json"]


def run(name: str) -> dict[str, Any]:
    """Runs one benchmark with ``--json`` and returns its record (figures and provenance)."""
    argv = command(name)
    started = datetime.datetime.now(datetime.UTC)
    load = os.getloadavg()[0]
    clock = time.monotonic()
    done = subprocess.run(
        [sys.executable, *argv[1:]], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench/{name}.py failed (exit {done.returncode}); nothing stored")
    return {
        "benchmark": name,
        "command": " ".join(argv),
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.monotonic() - clock, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "load_at_start": round(load, 2),
            "python": platform.python_version(),
        },
        "results": json.loads(done.stdout),
    }


def store(record: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{record['benchmark']}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return path


def load(name: str) -> dict[str, Any]:
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        raise SystemExit(f"no stored results for {name}: run `python bench/tables.py --run {name}`")
    record: dict[str, Any] = json.loads(path.read_text())
    return record


# Rendering. Each block is a function of the stored records; its id is "benchmark:table".


def regenerate_note(*names: str) -> str:
    """The visible line under a table: where its figures come from and how to remake them."""
    runs = "; ".join(
        f"`bench/{name}.py`, {load(name)['date'][:10]}, load {load(name)['machine']['load_at_start']}"
        f" on {load(name)['machine']['cpus']} CPUs"
        for name in names
    )
    return (
        f"<sub>Generated from {runs}. Regenerate: `.venv/bin/python bench/tables.py --run "
        f"{' '.join(names)} && .venv/bin/python bench/tables.py`.</sub>"
    )


def table(header: list[str], align: str, rows: list[list[str]]) -> str:
    """A Markdown table; ``align`` has one letter per column, l or r."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def n(value: float) -> str:
    return f"{value:,.0f}"


def ratio(value: float) -> str:
    return f"{value:.2f}×"


def goal(met: bool | None) -> str:
    return {None: "—", True: "met", False: "**not met**"}[met]


GAS_LABELS = {
    "register": "`register`",
    "registerWithPermit": "`registerWithPermit`",
    "addStake": "`addStake`",
    "addStakeWithPermit": "`addStakeWithPermit`",
    "exit": "`exit`",
    "withdraw": "`withdraw`",
    "slash": "`slash` (alone)",
    "openRound (5 workers)": "`openRound`, 5 workers",
    "closeRound (5 workers, 3 rewards)": "`closeRound`, 5 workers, 3 rewards",
    "closeRound (5 workers, 3 rewards, 2 slashed)": "`closeRound`, 5 workers, 3 rewards, 2 slashed",
    "closeRound (5 workers, first scores, 3 rewards)": (
        "`closeRound`, 5 workers scored for the first time, 3 rewards"
    ),
    "abandonRound": "`abandonRound`",
    "SWT.setMinter(UtilityOracle)": "`SWT.setMinter(UtilityOracle)`",
    "WorkerRegistry.setOracle(UtilityOracle)": "`WorkerRegistry.setOracle(UtilityOracle)`",
    "deploy SWT": "deploy `SWT`",
    "deploy WorkerRegistry": "deploy `WorkerRegistry`",
    "deploy UtilityOracle": "deploy `UtilityOracle`",
}
STEADY_CLOSE = "closeRound (5 workers, 3 rewards)"


def gas_functions() -> str:
    gas: dict[str, int] = load("gas")["results"]["gas"]
    real = load("prover")["results"]["gas"]
    order = [key for key in GAS_LABELS if key in gas] + [k for k in gas if k not in GAS_LABELS]
    rows = []
    for key in order:
        cell = n(gas[key])
        if key == STEADY_CLOSE:
            cell += f" ({n(gas[key] / 5)} per scored worker)"
        rows.append([GAS_LABELS.get(key, f"`{key}`"), cell])
        if key == "closeRound (5 workers, first scores, 3 rewards)":
            rows.append(
                [
                    "`closeRound`, 5 workers scored for the first time, with a real proof and "
                    "the generated verifier (`bench/prover.py`)",
                    n(real["close_round_gas_5_workers"]),
                ]
            )
            rows.append(
                [
                    "`verifyProof` of the generated verifier, 10 public signals, as a transaction "
                    "(`bench/prover.py`, `eth_estimateGas`)",
                    n(real["verify_proof_gas"]),
                ]
            )
    return "\n\n".join([table(["function", "gas"], "lr", rows), regenerate_note("gas", "prover")])


def sandbox_runs() -> str:
    results = load("sandbox")["results"]
    columns = ["floor", "warm", "restart", "cold", "node:vm"]
    rows = [
        [f"`{w['workload']}`"]
        + [f"{w['per_run_us'][c]:,.1f} ({ratio(w['ratio_to_floor'][c])})" for c in columns]
        for w in results["workloads"]
    ]
    return "\n\n".join(
        [
            f"Per-run cost in µs (× the raw wasmtime-py floor of the same run), wasmtime "
            f"{results['wasmtime']}:",
            table(["workload", *(f"`{c}`" for c in columns)], "lrrrrr", rows),
            regenerate_note("sandbox"),
        ]
    )


def circuit_name(row: dict[str, Any], default: str) -> str:
    name = f"{row['workers']} × {row['canaries']}"
    return f"{name} (default)" if row["shape"] == default else name


PROVER_GOAL = 5.0  # ours ÷ snarkjs's
PROVE_GOAL_S = 10.0  # a default round's proof
DEFAULT_SHAPE = "k5-m16"


def prover_circuits() -> str:
    results = load("prover")["results"]
    rows = [
        [
            circuit_name(row, DEFAULT_SHAPE),
            n(row["constraints"]),
            f"{row['memjit_prove_s']:.2f} s",
            f"{row['snarkjs_prove_s']:.2f} s",
            ratio(row["ratio"]),
            f"{row['setup_s']:.1f} s",
            f"{row['verify_s']:.2f} s",
        ]
        for row in results["circuits"]
    ]
    worst = max(row["ratio"] for row in results["circuits"])
    default = [row for row in results["circuits"] if row["shape"] == DEFAULT_SHAPE]
    lines = [
        f"Median of {results['runs']} proofs per side; ratio = MemJit ÷ snarkjs.",
        table(
            [
                "circuit (k × m)",
                "constraints",
                "MemJit prove",
                "snarkjs prove",
                "ratio",
                "MemJit setup",
                "MemJit verify",
            ],
            "lrrrrrr",
            rows,
        ),
        f"Goal: within {PROVER_GOAL:g}× snarkjs: {goal(worst <= PROVER_GOAL)} "
        f"(at most {ratio(worst)})."
        + (
            f" A default round proves in {default[0]['memjit_prove_s']:.2f} s, against a goal "
            f"of {PROVE_GOAL_S:g} s: {goal(default[0]['memjit_prove_s'] <= PROVE_GOAL_S)}."
            if default
            else ""
        ),
        regenerate_note("prover"),
    ]
    return "\n\n".join(lines)


ROUND_GOAL_MS = 500  # everything but the proof
GAS_GOAL_PER_WORKER = 70_000


def round_phases() -> str:
    results = load("round")["results"]
    phases = results["phases_s"]
    but_proof = results["all_but_proof_s"] * 1000
    rows = [
        ["ms"]
        + [f"{seconds * 1000:,.1f}" for seconds in phases.values()]
        + [f"**{but_proof:,.1f}**", f"{results['total_s'] * 1000:,.1f}"]
    ]
    header = ["phase", *phases, "all but the proof", "total"]
    return "\n\n".join(
        [
            f"{results['workers']} workers × {results['items_per_worker']} items, median of "
            f"{results['rounds']} rounds:",
            table(header, "l" + "r" * (len(header) - 1), rows),
            f"All but the proof, goal ≤ {ROUND_GOAL_MS} ms: {goal(but_proof <= ROUND_GOAL_MS)}.",
            regenerate_note("round"),
        ]
    )


def round_gas() -> str:
    results = load("round")["results"]
    per_worker = results["gas_per_scored_worker"]
    return "\n\n".join(
        [
            f"Median of {results['rounds']} rounds of {results['workers']} workers: `openRound` "
            f"{n(results['gas_open'])} + `closeRound` {n(results['gas_close'])} = "
            f"{n(results['gas_per_round'])} gas per round, **{n(per_worker)} per scored "
            f"worker**; the goal of {n(GAS_GOAL_PER_WORKER)} is "
            f"{goal(per_worker <= GAS_GOAL_PER_WORKER)}.",
            regenerate_note("round"),
        ]
    )


def dht_sizes() -> str:
    results = load("dht")["results"]
    rows = [
        [
            str(row["nodes"]),
            str(row["processes"]),
            f"{row['log2_nodes']:.0f}",
            f"{row['hops_p50']:g} / {row['hops_mean']:.2f} / {row['hops_max']}",
            f"{row['hops_per_log2']:.2f}",
            f"{row['messages_mean']:.0f}",
            f"{row['latency_p50_ms']:,.0f} / {row['latency_p95_ms']:,.0f}",
            f"{row['found']}/{row['lookups']}",
            f"{row['startup_s']:,.0f}",
        ]
        for row in results["sizes"]
    ]
    header = [
        "N",
        "processes",
        "log2 N",
        "hops p50 / mean / max",
        "hops ÷ log2 N",
        "messages",
        "latency p50 / p95 ms",
        "found",
        "start s",
    ]
    return "\n\n".join(
        [
            f"py-libp2p {results['libp2p']}, α = {results['alpha']}, k = {results['k']}, "
            f"{results['lookups']} lookups per N:",
            table(header, "r" * len(header), rows),
            regenerate_note("dht"),
        ]
    )


def scale_workloads() -> str:
    results = load("scale")["results"]
    target = results["goal"]["two_procs_vs_one_proc"]
    rows = [
        [
            str(row["target_ms"]),
            f"{row['in_process']['rounds_per_s']:.2f}",
            f"{row['pool_1']['rounds_per_s']:.2f}",
            f"{row['pool_2']['rounds_per_s']:.2f}",
            ratio(row["one_proc_vs_in_process"]),
            ratio(row["two_procs_vs_one_proc"]),
            f"{row['in_process']['latency_p50_ms']:,.0f} / {row['pool_2']['latency_p50_ms']:,.0f}",
            goal(row["goal_met"]),
        ]
        for row in results["workloads"]
    ]
    header = [
        "run ms",
        "in-process rounds/s",
        "1 proc rounds/s",
        "2 procs rounds/s",
        "1 proc ÷ in-process",
        "2 procs ÷ 1 proc",
        "p50 round ms, in-process / 2 procs",
        f"goal ≥ {target:g}×",
    ]
    return "\n\n".join(
        [
            f"Rounds of {results['workers']} workers, one at a time; {results['verdict']}.",
            table(header, "r" * (len(header) - 1) + "l", rows),
            regenerate_note("scale"),
        ]
    )


def selection_sizes() -> str:
    results = load("selection")["results"]
    rows = [
        [
            n(row["workers"]),
            f"{row['old_ms']:,.1f}",
            f"**{row['index_ms']:,.2f}** (sync {row['index_sync_ms']:,.2f})",
            f"{row['ratio']:,.0f}×",
            f"{row['catch_up_s']:,.2f} s",
            f"{n(row['catch_up_worker_events'])} / {n(row['catch_up_blocks'])} / "
            f"{row['catch_up_log_reads']}",
        ]
        for row in results["sizes"]
    ]
    header = [
        "active workers",
        "registry reads, ms",
        "index, ms (of which the sync)",
        "registry ÷ index",
        "a fresh index's catch-up",
        "catch-up: events / blocks / `eth_getLogs`",
    ]
    target = results["goal"]
    *runs, last = [str(row["old_runs"]) for row in results["sizes"]]
    old_runs = f"{', '.join(runs)} and {last}" if runs else last
    return "\n\n".join(
        [
            f"A request's {results['slots']} workers, chosen by `select_workers` among N active "
            f"workers of one capability. Median of {results['requests']} requests through the "
            "index, each after one more score (one new block to sync), and of "
            f"{old_runs} through the registry reads (as many as fit in 10 s, at most 5), N "
            "in order.",
            table(header, "r" * len(header), rows),
            f"Goal ≤ {target['index_ms']:g} ms at {n(target['workers'])} workers: "
            f"{goal(target['met'])}.",
            regenerate_note("selection"),
        ]
    )


def signed(value: float) -> str:
    return f"{value:+.2f}"


def percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def scenario_cells(scenario: dict[str, Any], baseline: dict[str, Any] | None) -> list[str]:
    """An economics scenario's figures: the attacker's net SWT per SWT staked, the weakest
    honest worker above 90 %'s, the honest workers' earnings against the baseline, ρ, the
    honest workers' rounds marked copies, the users' answers right, the attacker's slots, its
    canary score against its accuracy."""
    attacker = scenario["attacker"]
    weakest = scenario["weakest_honest_above_90"]
    honest = (
        percent(scenario["honest_net_swt"] / baseline["honest_net_swt"])
        if baseline and baseline["honest_net_swt"]
        else "—"
    )
    rho = scenario["honest_rho"]
    copies = scenario.get("honest_duplicate_rounds")  # not recorded before the defences
    return [
        signed(attacker["net_per_swt_staked"]) if attacker else "—",
        signed(weakest["net_per_swt_staked"]) if weakest else "—",
        honest,
        "—" if rho is None else f"{rho:.2f}",
        "—" if copies is None else f"{copies} of {scenario['honest_rounds']}",
        percent(scenario["users_right"]),
        percent(scenario["attacker_slots"]) if attacker else "—",
        f"{attacker['mean_score']:.0f} / {100 * attacker['accuracy']:.0f}"
        if attacker and attacker["mean_score"] is not None
        else "—",
    ]


ECONOMICS_HEADER = [
    "attacker",
    "attacker: net SWT per SWT staked",
    "weakest honest worker above 90 %",
    "honest workers' net SWT vs the baseline",
    "honest ρ(accuracy, net SWT)",
    "honest workers' rounds marked copies",
    "users' answers right",
    "attacker's share of the slots",
    "attacker's canary score / % right on new data",
]


#: The columns of :func:`scenario_cells` the before-and-after table compares (the honest
#: workers' figures were not all recorded before the defences).
BEFORE_AFTER_COLUMNS = (0, 1, 5, 6, 7)


def economics_strategies() -> str:
    results = load("economics")["results"]
    scenarios = results["scenarios"]
    baseline = next((s for s in scenarios if s["name"] == "baseline"), None)
    honest = ", ".join(f"{w['name']} {percent(w['accuracy'])}" for w in results["honest"])
    rows = [[s["label"], *scenario_cells(s, baseline)] for s in scenarios]
    return "\n\n".join(
        [
            f"{results['rounds']} rounds per scenario, one per simulated hour, each "
            f"{results['workers_per_round']} workers on {results['user_items']} user items and "
            f"{results['canaries']} canaries. Honest workers (accuracy on new data): {honest}.",
            table(ECONOMICS_HEADER, "l" + "r" * (len(ECONOMICS_HEADER) - 1), rows),
            regenerate_note("economics"),
        ]
    )


def economics_targets() -> str:
    before = {t["target"]: t for t in load("economics-before")["results"]["targets"]}
    rows = []
    for target in load("economics")["results"]["targets"]:
        was = before.get(target["target"])
        rows.append(
            [
                target["target"],
                "—" if was is None else f"{was['measured']}: {goal(was['met'])}",
                f"{target['measured']}: {goal(target['met'])}",
            ]
        )
    return "\n\n".join(
        [
            table(["target", "before the defences", "now"], "lll", rows),
            regenerate_note("economics"),
        ]
    )


def economics_before_after() -> str:
    before = {s["name"]: s for s in load("economics-before")["results"]["scenarios"]}
    record = load("economics-before")
    rows = []
    for scenario in load("economics")["results"]["scenarios"]:
        was = before.get(scenario["name"])
        if scenario["attacker"] is None or was is None:
            continue
        then = scenario_cells(was, None)
        now = scenario_cells(scenario, None)
        first, *rest = BEFORE_AFTER_COLUMNS
        rows.append(
            [
                scenario["label"],
                f"{then[first]} → **{now[first]}**",
                *(f"{then[i]} → {now[i]}" for i in rest),
            ]
        )
    header = [ECONOMICS_HEADER[0], *(ECONOMICS_HEADER[1 + i] for i in BEFORE_AFTER_COLUMNS)]
    return "\n\n".join(
        [
            f"Before: `{record['command']}` on {record['commit']}, {record['date'][:10]}, before "
            f"the defences: {record['note']} Now: the run above.",
            table(header, "l" + "r" * (len(header) - 1), rows),
        ]
    )


def economics_selection() -> str:
    """Per scenario: exploration, terminations, how soon a newcomer is ranked, and what a
    round pays per score point to fresh identities against incumbents."""
    results = load("economics")["results"]
    rows = []
    for scenario in results["scenarios"]:
        attackers = [w for w in scenario["workers"] if w["strategy"] != "honest"]
        ended = [w["rounds_to_termination"] for w in attackers if w["terminated"]]
        ranked = [w["rounds_to_top_five"] for w in attackers if w["strategy"] == "newcomer"]
        fresh = [w["reward_per_point_swt"] for w in attackers if w["strategy"] == "churn"]
        incumbent = scenario["honest_reward_per_point_swt"]
        rows.append(
            [
                scenario["name"],
                f"{scenario.get('interval_s', results['round_interval_s']) // 3600} h",
                str(scenario["explored_rounds"]),
                str(scenario["terminations"]),
                ", ".join(f"{r} rounds" for r in ended) or "—",
                "—" if not ranked or ranked[0] is None else f"{ranked[0]} rounds",
                "—"
                if not fresh or fresh[0] is None or not incumbent
                else f"{fresh[0]:.4f} vs {incumbent:.4f}",
            ]
        )
    header = [
        "scenario",
        "between rounds",
        "exploration picks",
        "terminations",
        "terminated, rounds after its first score",
        "newcomer: rounds to the top five",
        "SWT per score point: fresh identity vs incumbents",
    ]
    return "\n\n".join([table(header, "lrrrrrr", rows), regenerate_note("economics")])


def all_runs() -> str:
    rows = []
    for name in (*BENCHMARKS, *ARCHIVED):
        record = load(name)
        on = f" on {record['commit']}" if "commit" in record else ""
        rows.append(
            [
                f"`{record['command']}`{on}",
                record["date"].replace("T", " ").removesuffix("Z") + " UTC",
                f"{record['seconds']:,.0f} s",
                f"{record['machine']['cpus']} / {record['machine']['load_at_start']}",
            ]
        )
    return table(["command", "run", "took", "CPUs / load at start"], "lllr", rows)


BLOCKS: dict[str, Callable[[], str]] = {
    "gas:functions": gas_functions,
    "sandbox:runs": sandbox_runs,
    "prover:circuits": prover_circuits,
    "round:phases": round_phases,
    "round:gas": round_gas,
    "dht:sizes": dht_sizes,
    "scale:workloads": scale_workloads,
    "economics:strategies": economics_strategies,
    "economics:targets": economics_targets,
    "economics:before-after": economics_before_after,
    "economics:selection": economics_selection,
    "selection:sizes": selection_sizes,
    "all:runs": all_runs,
}
# Markers stand alone on their lines (a marker quoted in prose is not one).
BLOCK = re.compile(
    r"^(?P<open><!-- bench:(?P<id>[\w:-]+) -->\n)(?P<body>.*?)^(?P<close><!-- /bench:(?P=id) -->)$",
    re.DOTALL | re.MULTILINE,
)
OPENING = re.compile(r"^<!-- bench:([\w:-]+) -->$", re.MULTILINE)


def render(text: str, page: str) -> tuple[str, list[str]]:
    """The page with its blocks regenerated, and the ids of the blocks that changed."""
    opened = OPENING.findall(text)
    closed = [m.group("id") for m in BLOCK.finditer(text)]
    if opened != closed:
        unclosed = sorted(set(opened) - set(closed))
        raise SystemExit(f"{page}: no closing marker for {', '.join(unclosed)}")
    changed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        block = match.group("id")
        if block not in BLOCKS:
            raise SystemExit(f"{page}: unknown block bench:{block} (known: {', '.join(BLOCKS)})")
        body = BLOCKS[block]() + "\n"
        if body != match.group("body"):
            changed.append(block)
        return match.group("open") + body + match.group("close")

    return BLOCK.sub(replace, text), changed


def render_pages(check: bool) -> int:
    """Writes (or with ``check`` only compares) every page's blocks; returns the stale count."""
    stale = 0
    for path in PAGES:
        page = str(path.relative_to(ROOT))
        text = path.read_text()
        new, changed = render(text, page)
        for block in changed:
            stale += 1
            print(
                f"{page}: block bench:{block} is {'stale' if check else 'regenerated'}",
                file=sys.stderr,
            )
        if changed and not check:
            path.write_text(new)
    return stale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--run", nargs="+", metavar="NAME", help=f"re-run benchmarks: {', '.join(BENCHMARKS)}, all"
    )
    parser.add_argument("--check", action="store_true", help="fail if a page is stale")
    args = parser.parse_args()
    if args.run:
        names = list(BENCHMARKS) if args.run == ["all"] else args.run
        unknown = sorted(set(names) - set(BENCHMARKS))
        if unknown:
            parser.error(f"unknown benchmark {', '.join(unknown)}")
        for name in names:
            print(f"bench/{name}.py …", file=sys.stderr, flush=True)
            record = run(name)
            path = store(record)
            print(f"{path.relative_to(ROOT)}: {record['seconds']} s", file=sys.stderr)
        return
    stale = render_pages(check=args.check)
    if args.check and stale:
        raise SystemExit(
            f"{stale} stale benchmark table(s): run `python bench/tables.py` and commit the pages"
        )


if __name__ == "__main__":
    main()
