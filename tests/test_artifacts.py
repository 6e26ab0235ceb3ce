"""The committed artifacts are exactly what the pinned compiler makes of the sources."""

from __future__ import annotations

import shutil

import pytest

from protocol.artifacts import DEPLOYABLE, load_artifact
from protocol.compiler import compile_all
from tests.conftest import need
from tests.helpers import ROOT

EIP170_LIMIT = 24_576


@pytest.mark.node
def test_committed_artifacts_match_a_fresh_compile():
    if shutil.which("node") is None or not (ROOT / "node_modules" / "solc").is_dir():
        need("Node and `npm install` are needed to compile")
    report = compile_all(ROOT, check=True)
    assert report.stale == (), f"stale artifacts: {report.stale}; run `memjit compile`"


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_deployable_contracts_fit_the_code_size_limit(name: str):
    runtime = bytes.fromhex(load_artifact(name).deployed_bytecode[2:])
    assert 0 < len(runtime) <= EIP170_LIMIT


def test_the_test_only_verifier_is_not_packaged():
    packaged = {p.stem for p in (ROOT / "protocol" / "artifacts").glob("*.json")}
    assert packaged == set(DEPLOYABLE)
