"""The example workers: dense models built from weights, compiled sources, their accuracy."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oracle.datasets import load_digits_test
from oracle.scoring import accuracy
from protocol.errors import BuildError
from protocol.sandbox import DarwinVM
from protocol.toolchain.dense import build_dense_worker, load_model, parse_model
from protocol.toolchain.sources import build_file, compile_c, compile_wat, find_c_toolchain
from tests.conftest import need
from tests.helpers import MODELS, ROOT


def _accuracy(vm: DarwinVM, wasm: bytes) -> float:
    digits = load_digits_test()
    return accuracy(vm.run(vm.compile(wasm), digits.batch()).output, digits.labels)


def test_digit_workers_are_clearly_ordered_and_match_their_training(vm: DarwinVM):
    scores = {}
    for name in ("centroid", "logistic", "mlp"):
        path = MODELS / f"{name}.json"
        scores[name] = _accuracy(vm, build_file(path))
        recorded = json.loads(path.read_text())["trained"]["test_accuracy"]
        # float32 in the sandbox vs float64 in training: at most one item in 450 may flip
        assert abs(scores[name] - recorded) <= 1 / 450 + 1e-9, name
    assert 0.85 < scores["centroid"] < scores["logistic"] < scores["mlp"]
    assert scores["mlp"] >= 0.97


def test_random_worker_is_no_better_than_chance(vm: DarwinVM):
    assert _accuracy(vm, build_file(ROOT / "workers/hostile/random.wat")) < 0.2


def test_building_is_reproducible():
    model = load_model(MODELS / "mlp.json")
    assert build_dense_worker(model) == build_dense_worker(load_model(MODELS / "mlp.json"))
    assert model.parameters == 64 * 64 + 64 + 64 * 10 + 10


def _model() -> dict[str, Any]:
    return json.loads((MODELS / "logistic.json").read_text())


def _broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(_model())
    layer = data["layers"][0]
    if change == "format":
        data["format"] = "onnx"
    elif change == "row":
        layer["weights"][3] = layer["weights"][3][:-1]
    elif change == "bias":
        layer["bias"].append(0.0)
    elif change == "activation":
        layer["activation"] = "gelu"
    elif change == "nan":
        layer["weights"][0][0] = float("nan")
    elif change == "overflow":
        layer["weights"][0][0] = 1e300
    elif change == "classes":
        layer["weights"] = [[0.0] * 64] * 300
        layer["bias"] = [0.0] * 300
    return data


@pytest.mark.parametrize(
    "change,fragment",
    [
        ("format", "not a memjit-dense/1 model"),
        ("row", "weight row 3 must have 64 values"),
        ("bias", "'bias' must have 10 values"),
        ("activation", "activation 'gelu'"),
        ("nan", "finite number"),
        ("overflow", "32-bit float"),
        ("classes", "at most 256"),
    ],
)
def test_bad_models_are_refused_with_the_reason(change: str, fragment: str):
    with pytest.raises(BuildError, match=fragment):
        parse_model(_broken(change))


def test_unreadable_model_file_is_a_build_error(tmp_path: Path):
    bad = tmp_path / "model.json"
    bad.write_text("{not json")
    with pytest.raises(BuildError, match="not a readable JSON model"):
        load_model(bad)


def test_wat_syntax_errors_are_build_errors():
    with pytest.raises(BuildError, match="WAT does not parse"):
        compile_wat('(module (func (export "run") (param i32 $x i32)))')


def test_unknown_source_type_is_refused(tmp_path: Path):
    odd = tmp_path / "worker.py"
    odd.write_text("print('no')")
    with pytest.raises(BuildError, match="unknown source type"):
        build_file(odd)


C_WORKER = """
#include <stdint.h>
#include <stdlib.h>

void *alloc(int size) { return malloc(size); }

/* Reverses its input; 64-bit arithmetic pulls in compiler-rt builtins. */
uint64_t run(const unsigned char *in, int len) {
    unsigned char *out = malloc(len);
    for (int i = 0; i < len; i++) out[i] = in[len - 1 - i];
    volatile unsigned __int128 wide = (unsigned __int128)len * 0x10000000000ull;
    (void)wide;
    return ((uint64_t)(uintptr_t)out << 32) | (uint32_t)len;
}
"""


def _need_clang() -> None:
    try:
        find_c_toolchain()
    except BuildError as exc:
        need(str(exc))


def test_c_source_compiles_to_a_worker(vm: DarwinVM):
    _need_clang()
    wasm = compile_c(C_WORKER)
    assert vm.run(vm.compile(wasm), b"stressed").output == b"desserts"


def test_c_compile_errors_name_the_problem():
    _need_clang()
    with pytest.raises(BuildError, match=r"clang failed: worker\.c"):
        compile_c("int run( {")


def test_training_reproduces_the_committed_test_set_and_accuracies(tmp_path: Path):
    pytest.importorskip("sklearn", reason="retraining needs the [train] extra")
    subprocess.run(
        [sys.executable, str(ROOT / "workers/digits/train.py"), "--models", str(tmp_path),
         "--test-set", str(tmp_path / "test.bin")],
        check=True, capture_output=True,
    )  # fmt: skip
    assert (tmp_path / "test.bin").read_bytes() == (
        ROOT / "oracle/data/digits-8x8-test.bin"
    ).read_bytes()
    for name in ("centroid", "logistic", "mlp"):
        fresh = json.loads((tmp_path / f"{name}.json").read_text())["trained"]
        committed = json.loads((MODELS / f"{name}.json").read_text())["trained"]
        assert fresh == committed, name


def test_a_request_can_carry_source_instead_of_a_cid(tmp_path: Path):
    from protocol.cid import cid_for
    from protocol.runtime import WorkerRuntime
    from protocol.settings import Settings

    settings = Settings.load(env={"MEMJIT_HOME": str(tmp_path)})
    with WorkerRuntime.from_settings(settings) as runtime:
        source = (ROOT / "workers/basic/echo.wat").read_bytes()
        cid = runtime.publish_source(source, "wat")
        assert runtime.store.has(cid)
        assert cid == cid_for(compile_wat(source.decode()))
        assert runtime.run(runtime.fetch_module(cid), b"on demand").output == b"on demand"
        weights = (MODELS / "centroid.json").read_bytes()
        assert runtime.publish_source(weights, "dense") == cid_for(
            build_file(MODELS / "centroid.json")
        )
        with pytest.raises(BuildError, match="not a readable JSON model"):
            runtime.publish_source(b"{", "dense")
