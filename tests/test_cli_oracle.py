"""`memjit oracle ...` and `memjit deploy --keys` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protocol.chain import Verifier
from protocol.chain.connection import connect
from tests.helpers import assert_one_line_error, memjit

MLP = "workers/digits/models/mlp.json"
CENTROID = "workers/digits/models/centroid.json"


def prove(evaluation: Path, out: Path, *args: str):
    """`memjit oracle prove` for round 1 of ``evaluation`` into ``out``."""
    return memjit(
        "oracle", "prove", "--evaluation", str(evaluation), *args, "--round", "1", "--out", str(out)
    )


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oracle") / "evaluation.json"
    result = memjit("oracle", "draw", "--canaries", "16", "-o", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def proof_dir(evaluation: Path) -> Path:
    out = evaluation.parent / "proof"
    result = memjit(
        "oracle",
        "prove",
        "--evaluation",
        str(evaluation),
        "--worker",
        MLP,
        "--worker",
        CENTROID,
        "--worker",
        "workers/hostile/spin.wat",
        "--round",
        "7",
        "--out",
        str(out),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["round_id"] == 7
    # canaries are fresh variations: the MLP gets ~96 % of them, so 4 misses in 16 are possible
    assert summary["scores"][0] >= 75 and summary["scores"][2] == 0
    assert "out-of-fuel" in result.stderr  # the spinning worker is named and scores zero
    return out


def test_commit_prints_the_evaluation_sets_commitment(evaluation: Path):
    result = memjit("oracle", "commit", str(evaluation), "--json")
    assert result.returncode == 0, result.stderr
    assert (
        json.loads(result.stdout)["commitment"] == json.loads(evaluation.read_text())["commitment"]
    )


def test_verify_exit_codes_valid_invalid_malformed(proof_dir: Path, tmp_path: Path):
    assert memjit("oracle", "verify", str(proof_dir)).returncode == 0
    public = json.loads((proof_dir / "public.json").read_text())
    assert public[0] == "7"

    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for name in ("proof.json", "verification_key.json"):
        (tampered / name).write_text((proof_dir / name).read_text())
    (tampered / "public.json").write_text(json.dumps(["8", *public[1:]]))  # another round
    result = memjit("oracle", "verify", str(tampered))
    assert result.returncode == 1 and "invalid" in result.stdout

    (tampered / "public.json").write_text(json.dumps(public[:-1]))
    result = memjit("oracle", "verify", str(tampered))
    assert result.returncode == 2
    assert_one_line_error(result, "expected 10 public signals")
    (tampered / "proof.json").write_text("{not json")
    assert_one_line_error(memjit("oracle", "verify", str(tampered)), "proof.json")


def test_prove_from_an_outputs_file_and_export_the_witness(evaluation: Path, tmp_path: Path):
    answers = json.loads(evaluation.read_text())["answers"]
    (tmp_path / "outputs.json").write_text(json.dumps([answers, None, "00" * 16]))
    result = memjit(
        "oracle",
        "prove",
        "--evaluation",
        str(evaluation),
        "--outputs",
        str(tmp_path / "outputs.json"),
        "--round",
        "3",
        "--out",
        str(tmp_path / "p"),
        "--wtns",
        str(tmp_path / "w.wtns"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["scores"][:2] == [100, 0]
    assert (tmp_path / "w.wtns").read_bytes()[:4] == b"wtns"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--outputs", "missing.json"], "cannot read"),
        (["--worker", MLP, "--outputs", "x.json"], "--worker, or their outputs with --outputs"),
        (["--worker", "no-such-file.wat"], "no such file"),
    ],
)
def test_prove_rejects_bad_input_in_one_line(evaluation: Path, tmp_path: Path, args, needle):
    assert_one_line_error(prove(evaluation, tmp_path, *args), needle)


def test_malformed_evaluation_set_and_outputs_are_one_line_errors(evaluation: Path, tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(evaluation.read_text()), "salt": "1"}))
    assert_one_line_error(memjit("oracle", "commit", str(bad)), "commitment does not match")
    (tmp_path / "outputs.json").write_text(json.dumps({"not": "a list"}))
    result = prove(evaluation, tmp_path / "p", "--outputs", str(tmp_path / "outputs.json"))
    assert_one_line_error(result, "expected a JSON list")
    (tmp_path / "outputs.json").write_text(json.dumps(["00"] * 6))
    result = prove(evaluation, tmp_path / "p", "--outputs", str(tmp_path / "outputs.json"))
    assert_one_line_error(result, "expected 1..5 workers")


def test_setup_writes_a_key_folder_that_deploy_uses(anvil, tmp_path: Path):
    keys = tmp_path / "keys"
    result = memjit("oracle", "setup", "--workers", "2", "--canaries", "4", "--out", str(keys))
    assert result.returncode == 0, result.stderr
    assert "INSECURE" in result.stderr
    assert_one_line_error(
        memjit("oracle", "setup", "--workers", "2", "--canaries", "4", "--out", str(keys)),
        "--force",
    )
    result = memjit("oracle", "circuit", "--workers", "2", "--canaries", "4", "--json")
    assert json.loads(result.stdout)["public_signals"] == 7

    result = memjit("deploy", "--rpc", anvil.url, "--keys", str(keys), "--json")
    assert result.returncode == 0, result.stderr
    address = json.loads(result.stdout)["verifier"]
    assert Verifier(connect(anvil.url), address).public_input_count() == 7
    assert_one_line_error(
        memjit("deploy", "--rpc", anvil.url, "--keys", str(keys), "--verifier", address), "not both"
    )
