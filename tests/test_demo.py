"""`memjit demo`, the main job: rounds of competing workers, proved and settled on-chain."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from protocol.cli.leaderboard_plot import net_series, render_leaderboard_svg
from tests.helpers import memjit

CLASSIFIERS = {"small-mlp", "logistic-regression", "nearest-centroid"}
USELESS = {"random-guesser", "infinite-loop", "memory-bomb"}
#: Cheats: a table of the shipped digits, and a copy of the MLP under another CID and owner.
CHEATS = {"memoriser", "copycat"}


def check_summary(summary: dict, rounds: int) -> None:
    assert set(summary["contracts"]) == {
        "SWT",
        "WorkerRegistry",
        "UtilityOracle",
        "Groth16Verifier",
    }
    assert len(summary["rounds"]) == rounds
    for number, round_ in enumerate(summary["rounds"], start=1):
        assert round_["round_id"] == number
        assert set(round_["transactions"]) == {"open", "close"}
        workers = round_["workers"]
        assert len(workers) == 5
        best = max(workers, key=lambda w: w["score"])
        assert int(best["reward_wei"]) > 0  # the best is paid
        for w in workers:
            if w["name"] in USELESS:
                assert w["score"] < 20 and int(w["slashed_wei"]) > 0 and int(w["reward_wei"]) == 0
            if w["name"] == "infinite-loop":
                assert w["failure"] == "out-of-fuel"
            if w["name"] in CHEATS:
                assert int(w["reward_wei"]) == 0
            if w["name"] == "copycat":  # it repeats the MLP's answers: paid nothing, not slashed
                assert int(w["slashed_wei"]) == 0
    board = summary["leaderboard"]
    useful = {row["name"]: row["usefulness"] for row in board}
    # Darwinian selection: every classifier with a usefulness ranks above every useless worker
    # and every cheat (a classifier that has only repeated an earlier one's answers has none)
    ranked = [useful[name] for name in CLASSIFIERS if useful[name] > 0]
    assert ranked and min(ranked) > max(useful[name] for name in USELESS | CHEATS)
    assert all(int(row["rewards_wei"]) == 0 for row in board if row["name"] in USELESS | CHEATS)
    assert summary["user_items_correct"] >= 0.8 * summary["user_items"]


def test_demo_runs_rounds_on_the_embedded_chain():
    result = memjit("demo", "--json", "--rounds", "3", "--seed", "7")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["chain_id"] == 131277322940537
    check_summary(summary, 3)


def test_demo_prints_rounds_and_the_leaderboard_and_draws_it(tmp_path):
    picture = tmp_path / "board.svg"
    result = memjit("demo", "--rounds", "2", "--seed", "1", "--svg", str(picture))
    assert result.returncode == 0, result.stderr
    assert "leaderboard" in result.stdout and "round 2:" in result.stdout
    assert "INSECURE" in result.stdout
    svg = ElementTree.parse(picture).getroot()  # well-formed XML
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == len(CLASSIFIERS | USELESS | CHEATS)  # one per worker
    assert all(len(line.get("points", "").split()) == 3 for line in lines)  # rounds 0, 1, 2


def test_the_leaderboard_picture_follows_each_worker_round_by_round():
    swt = 10**18
    summary = {
        "leaderboard": [{"name": "good", "status": "active"}, {"name": "bad", "status": "terminated"}],
        "rounds": [
            {"workers": [{"name": "good", "reward_wei": str(10 * swt), "slashed_wei": "0"}]},
            {"workers": [
                {"name": "good", "reward_wei": str(5 * swt), "slashed_wei": "0"},
                {"name": "bad", "reward_wei": "0", "slashed_wei": str(20 * swt)},
            ]},
        ],
    }  # fmt: skip
    assert net_series(summary) == {"good": [0.0, 10.0, 15.0], "bad": [0.0, 0.0, -20.0]}
    svg = render_leaderboard_svg(summary)
    assert "good +15.0 (active)" in svg and "bad -20.0 (terminated)" in svg


def test_demo_runs_against_anvil(anvil):
    result = memjit("demo", "--rpc", anvil.url, "--json", "--rounds", "2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["chain_id"] == 31337
    check_summary(summary, 2)
