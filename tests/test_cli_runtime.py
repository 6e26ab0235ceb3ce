"""`memjit worker run|build|eval`, `memjit store`, `memjit cache` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protocol.cid import cid_for
from tests.helpers import ROOT, assert_one_line_error, memjit

DIGITS = ROOT / "oracle/data/digits-8x8-test.bin"


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"MEMJIT_HOME": str(tmp_path / "home")}


@pytest.fixture
def ten_digits(tmp_path: Path) -> Path:
    blob = DIGITS.read_bytes()[: 65 * 10]
    path = tmp_path / "ten.bin"
    path.write_bytes(b"".join(blob[i : i + 64] for i in range(0, len(blob), 65)))
    return path


def test_worker_run_from_source_prints_output_fuel_and_time(home: dict[str, str]):
    result = memjit("worker", "run", "workers/basic/echo.wat", "--input", "-", env=home, stdin="hi")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "hi"
    assert "fuel" in lines[1] and " ms" in lines[1]


def test_build_publishes_then_run_by_cid(home: dict[str, str], ten_digits: Path, tmp_path: Path):
    built = memjit(
        "worker", "build", "workers/digits/models/mlp.json", "-o", str(tmp_path / "w.wasm"),
        "--json", env=home,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    cid = json.loads(built.stdout)["cid"]
    assert cid == cid_for((tmp_path / "w.wasm").read_bytes())
    ran = memjit("worker", "run", cid, "--input", str(ten_digits), "--json", env=home)
    assert ran.returncode == 0, ran.stderr
    labels = bytes(DIGITS.read_bytes()[64 : 65 * 10 : 65])
    assert bytes.fromhex(json.loads(ran.stdout)["output_hex"]) == labels


def test_eval_prints_accuracies_best_first(home: dict[str, str]):
    result = memjit(
        "worker", "eval", "workers/digits/models/centroid.json",
        "workers/digits/models/mlp.json", "workers/digits/models/logistic.json",
        "workers/hostile/spin.wat", "--json", env=home,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["mlp.json", "logistic.json", "centroid.json", "spin.wat"]
    assert rows[-1]["error"] == "out-of-fuel" and rows[-1]["accuracy"] == 0


@pytest.mark.parametrize(
    "worker,extra,needles",
    [
        ("workers/hostile/spin.wat", ["--fuel", "1e6"], ["out of fuel"]),
        ("workers/hostile/spin.wat", ["--fuel", "1e15", "--deadline", "0.2"], ["timed out"]),
        ("workers/hostile/bomb.wat", ["--memory", "8MiB"], ["out of memory"]),
        ("workers/hostile/flood.wat", [], ["output of 4294967295 bytes"]),
        ("workers/hostile/clock.wat", [], ["env.now", "not allowed"]),
        ("workers/hostile/trap.wat", [], ["trapped", "division by zero"]),
        ("tests/wat/wrong_abi.wat", [], ["'run' has type"]),
        ("nosuch.wasm", [], ["no such file"]),
        ("bafkreinotacid", [], ["32-byte digest"]),
        ("b1!", [], ["not a base32 CIDv1"]),
        (cid_for(b"never stored"), [], ["not in the local store"]),
    ],
)
def test_failing_runs_are_one_line_errors(
    home: dict[str, str], worker: str, extra: list[str], needles: list[str]
):
    result = memjit("worker", "run", worker, "--input", "-", *extra, env=home, stdin="x" * 64)
    assert_one_line_error(result, *needles)


def test_bad_limits_are_one_line_errors(home: dict[str, str]):
    result = memjit(
        "worker", "run", "workers/basic/echo.wat", "-i", "-", "--memory", "lots", env=home, stdin=""
    )
    assert_one_line_error(result, "memory_limit_bytes")


def test_store_put_get_round_trip_and_tampering(home: dict[str, str], tmp_path: Path):
    put = memjit("store", "put", "workers/basic/echo.wat", "--pin", env=home)
    assert put.returncode == 0, put.stderr
    cid = put.stdout.strip()
    assert cid == cid_for((ROOT / "workers/basic/echo.wat").read_bytes())
    got = memjit("store", "get", cid, "-o", str(tmp_path / "copy.wat"), env=home)
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "copy.wat").read_bytes() == (ROOT / "workers/basic/echo.wat").read_bytes()
    block = next(Path(home["MEMJIT_HOME"]).glob(f"store/blocks/*/{cid}"))
    block.write_bytes(b"tampered")
    assert_one_line_error(memjit("store", "get", cid, env=home), "does not match")


def test_store_refuses_content_over_one_block(home: dict[str, str], tmp_path: Path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(262_145))
    assert_one_line_error(memjit("store", "put", str(big), env=home), "262144")


def test_cache_stats_and_purge(home: dict[str, str], ten_digits: Path):
    for worker in ("workers/digits/models/centroid.json", "workers/hostile/spin.wat"):
        memjit("worker", "run", worker, "--input", str(ten_digits), "--fuel", "1e7", env=home)
    stats = json.loads(memjit("cache", "stats", "--json", env=home).stdout)
    assert stats["disk_entries"] == 2
    by_runs = {m["failures"]: m for m in stats["modules"]}
    assert set(by_runs) == {0, 1} and by_runs[0]["fuel"] > 0
    purged = memjit("cache", "purge", env=home)
    assert purged.returncode == 0 and "1 module(s) evicted" in purged.stdout
    after = json.loads(memjit("cache", "stats", "--json", env=home).stdout)
    assert [m["failures"] for m in after["modules"]] == [0]
    assert "1 module(s) evicted" in memjit("cache", "purge", "--all", env=home).stdout
