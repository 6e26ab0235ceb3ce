"""Dense networks → worker modules: bring trained weights, get a WebAssembly worker.

A model file is JSON (``memjit-dense/1``)::

    {
      "format": "memjit-dense/1",
      "name": "digits-mlp",
      "task": "digits-8x8",
      "input_size": 64,
      "input_scale": 1.0,
      "layers": [
        {"weights": [[...input_size floats...], ...one row per output...],
         "bias": [...], "activation": "relu"},
        {"weights": [...], "bias": [...], "activation": "none"}
      ]
    }

The worker reads items of ``input_size`` bytes (each byte ``b`` becomes ``b × input_scale``),
runs the layers (``y = W·x + b``, then the activation) in 32-bit floats (SIMD, in a fixed
summation order), and writes one byte
per item: the index of the largest final output (so at most 256 classes). Linear models are
one layer; nearest-centroid is one too (``argmin ‖x−c‖² = argmax 2c·x − ‖c‖²``); an input
standardizer folds into the first layer's weights.

Weights live in a data segment, so the module is self-contained. The same file always gives
the same bytes: the output is a function of the weights only.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime

from protocol.errors import BuildError

FORMAT = "memjit-dense/1"
ACTIVATIONS = {"none": 0, "relu": 1}
#: A generated worker's data (weights, tables) starts here; addresses below stay unused (0 is
#: null).
DATA_BASE = 1024


@dataclass(frozen=True)
class Layer:
    inputs: int
    outputs: int
    #: Row-major ``outputs × inputs``, already rounded to float32.
    weights: tuple[float, ...]
    bias: tuple[float, ...]
    activation: str


@dataclass(frozen=True)
class DenseModel:
    name: str
    task: str
    input_size: int
    input_scale: float
    layers: tuple[Layer, ...]

    @property
    def parameters(self) -> int:
        return sum(len(layer.weights) + len(layer.bias) for layer in self.layers)


def load_model(path: Path) -> DenseModel:
    """Read and validate a ``memjit-dense/1`` JSON file."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"{path}: not a readable JSON model ({exc})") from exc
    return model_from_json(text, source=str(path))


def model_from_json(text: bytes | str, source: str = "model") -> DenseModel:
    """Decode and validate a ``memjit-dense/1`` JSON document."""
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{source}: not a readable JSON model ({exc})") from exc
    return parse_model(data, source=source)


def parse_model(data: Any, source: str = "model") -> DenseModel:
    """Validate a decoded ``memjit-dense/1`` document; :class:`BuildError` names the problem."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise BuildError(f"{source}: not a {FORMAT} model (missing or wrong 'format')")
    input_size = _positive_int(data.get("input_size"), f"{source}: input_size")
    scale = _finite(data.get("input_scale", 1.0), f"{source}: input_scale")
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, Sequence) or not raw_layers:
        raise BuildError(f"{source}: 'layers' must be a non-empty list")
    layers: list[Layer] = []
    width = input_size
    for index, raw in enumerate(raw_layers):
        where = f"{source}: layer {index}"
        layer = _parse_layer(raw, width, where)
        layers.append(layer)
        width = layer.outputs
    if width > 256:
        raise BuildError(f"{source}: {width} classes; one output byte holds at most 256")
    return DenseModel(
        name=str(data.get("name", "dense")),
        task=str(data.get("task", "")),
        input_size=input_size,
        input_scale=scale,
        layers=tuple(layers),
    )


def _parse_layer(raw: Any, inputs: int, where: str) -> Layer:
    if not isinstance(raw, Mapping):
        raise BuildError(f"{where}: must be an object with weights, bias, activation")
    rows = raw.get("weights")
    if not isinstance(rows, Sequence) or not rows:
        raise BuildError(f"{where}: 'weights' must be a non-empty list of rows")
    weights: list[float] = []
    for number, row in enumerate(rows):
        if not isinstance(row, Sequence) or len(row) != inputs:
            raise BuildError(f"{where}: weight row {number} must have {inputs} values")
        weights.extend(_f32(value, f"{where}: weight") for value in row)
    bias = raw.get("bias")
    if not isinstance(bias, Sequence) or len(bias) != len(rows):
        raise BuildError(f"{where}: 'bias' must have {len(rows)} values, one per row")
    activation = raw.get("activation", "none")
    if activation not in ACTIVATIONS:
        raise BuildError(f"{where}: activation {activation!r} is not one of {sorted(ACTIVATIONS)}")
    return Layer(
        inputs=inputs,
        outputs=len(rows),
        weights=tuple(weights),
        bias=tuple(_f32(value, f"{where}: bias") for value in bias),
        activation=str(activation),
    )


def _positive_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise BuildError(f"{what} must be a positive whole number, got {value!r}")
    return value


def _finite(value: Any, what: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise BuildError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _f32(value: Any, what: str) -> float:
    number = _finite(value, what)
    try:
        return float(struct.unpack("<f", struct.pack("<f", number))[0])
    except OverflowError as exc:
        raise BuildError(f"{what} {number} does not fit a 32-bit float") from exc


@dataclass(frozen=True)
class DenseCode:
    """A model as parts of a module: its weights as a data segment placed at a given address,
    and the WAT that classifies one item. Other generated workers embed it
    (:mod:`protocol.toolchain.lookup`)."""

    #: The weights and biases, layer by layer, to be placed at the address given.
    segment: bytes
    #: Bytes each of the two scratch buffers ``$a`` and ``$b`` must hold.
    buffer_bytes: int
    #: Statements that read the item at local ``$src`` and run the layers; they use the i32
    #: locals ``$a``, ``$b`` (the buffers) and ``$i``.
    classify: str
    #: An i32 expression, after ``classify``: the class.
    answer: str


def dense_code(model: DenseModel, base: int) -> DenseCode:
    """The parts of ``model``'s worker, its weights placed at ``base``; the functions they
    call are :data:`DENSE_FUNCTIONS`."""
    segment = bytearray()
    calls: list[str] = []
    widest = max([model.input_size, *(layer.outputs for layer in model.layers)])
    src, dst = "$a", "$b"
    for layer in model.layers:
        offset = base + len(segment)
        segment += struct.pack(f"<{len(layer.weights)}f", *layer.weights)
        segment += struct.pack(f"<{len(layer.bias)}f", *layer.bias)
        calls.append(
            f"(call $dense (i32.const {offset}) (local.get {src}) (local.get {dst})"
            f" (i32.const {layer.inputs}) (i32.const {layer.outputs})"
            f" (i32.const {ACTIVATIONS[layer.activation]}))"
        )
        src, dst = dst, src
    scale = struct.unpack("<f", struct.pack("<f", model.input_scale))[0]
    classify = _CLASSIFY.format(input_size=model.input_size, scale=scale.hex())
    return DenseCode(
        segment=bytes(segment),
        buffer_bytes=4 * widest,
        classify="\n        ".join([classify, *calls]),
        answer=f"(call $argmax (local.get {src}) (i32.const {model.layers[-1].outputs}))",
    )


def wat_bytes(data: bytes) -> str:
    """``data`` as the body of a WAT string literal."""
    return "".join(f"\\{byte:02x}" for byte in data)


def heap_start(end: int) -> int:
    """The first 16-byte aligned address at or after ``end``: where the heap begins."""
    return (end + 15) // 16 * 16


def model_to_wat(model: DenseModel) -> str:
    """The worker's WebAssembly text."""
    code = dense_code(model, DATA_BASE)
    heap = heap_start(DATA_BASE + len(code.segment))
    return _TEMPLATE.format(
        name=model.name.replace('"', "'"),
        pages=max(1, -(-heap // 65536)),
        heap=heap,
        base=DATA_BASE,
        data=wat_bytes(code.segment),
        alloc=ALLOC_FUNCTION,
        functions=DENSE_FUNCTIONS,
        input_size=model.input_size,
        buffer_bytes=code.buffer_bytes,
        classify=code.classify,
        answer=code.answer,
    )


def build_dense_worker(model: DenseModel) -> bytes:
    """The worker module (WebAssembly binary) for ``model``."""
    return bytes(wasmtime.wat2wasm(model_to_wat(model)))


#: The ABI's bump allocator over the heap that starts at global ``$heap``; it grows memory as
#: needed and answers 0 when it cannot.
ALLOC_FUNCTION = """\
(func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 15))
                             (i32.const -16)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then (return (i32.const 0))))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have))
                                                     (i32.const 65535))
                                            (i32.const 16)))
                    (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))"""

#: ``$dense`` (one layer) and ``$argmax``, which :class:`DenseCode` calls.
DENSE_FUNCTIONS = """\
;; y[o] = act(bias[o] + sum_i w[o][i] * x[i]); the bias follows the weights at $w.
  ;; Four lanes of partial sums (f32x4), then a scalar tail: a fixed order, so every node
  ;; gets the same bits.
  (func $dense (param $w i32) (param $x i32) (param $y i32)
               (param $n_in i32) (param $n_out i32) (param $relu i32)
    (local $o i32) (local $wp i32) (local $xp i32) (local $x4 i32) (local $xn i32)
    (local $bias i32) (local $lanes v128) (local $acc f32)
    (local.set $bias (i32.add (local.get $w)
                              (i32.shl (i32.mul (local.get $n_in) (local.get $n_out)) (i32.const 2))))
    (local.set $x4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n_in) (i32.const -4)) (i32.const 2))))
    (local.set $xn (i32.add (local.get $x) (i32.shl (local.get $n_in) (i32.const 2))))
    (local.set $wp (local.get $w))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $o) (local.get $n_out)))
        (local.set $lanes (f32x4.splat (f32.const 0)))
        (local.set $xp (local.get $x))
        (block $quads_done
          (loop $quads
            (br_if $quads_done (i32.ge_u (local.get $xp) (local.get $x4)))
            (local.set $lanes (f32x4.add (local.get $lanes)
                                         (f32x4.mul (v128.load (local.get $wp)) (v128.load (local.get $xp)))))
            (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $quads)))
        (local.set $acc
          (f32.add (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))))
                   (f32.add (f32.add (f32x4.extract_lane 0 (local.get $lanes))
                                     (f32x4.extract_lane 1 (local.get $lanes)))
                            (f32.add (f32x4.extract_lane 2 (local.get $lanes))
                                     (f32x4.extract_lane 3 (local.get $lanes))))))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $xp) (local.get $xn)))
            (local.set $acc (f32.add (local.get $acc)
                                     (f32.mul (f32.load (local.get $wp)) (f32.load (local.get $xp)))))
            (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (br $tail)))
        (if (local.get $relu)
          (then (local.set $acc (f32.max (local.get $acc) (f32.const 0)))))
        (f32.store (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $acc))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $rows))))

  ;; The first index of the largest of $n floats at $v.
  (func $argmax (param $v i32) (param $n i32) (result i32)
    (local $i i32) (local $best i32) (local $top f32) (local $x f32)
    (local.set $top (f32.load (local.get $v)))
    (local.set $i (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f32.load (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.gt (local.get $x) (local.get $top))
          (then (local.set $top (local.get $x)) (local.set $best (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $best))"""

# The item's bytes, scaled, as floats in $a.
_CLASSIFY = """\
(local.set $i (i32.const 0))
        (block $scaled
          (loop $scale
            (br_if $scaled (i32.ge_u (local.get $i) (i32.const {input_size})))
            (f32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))
                       (f32.mul (f32.convert_i32_u (i32.load8_u (i32.add (local.get $src) (local.get $i))))
                                (f32.const {scale})))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $scale)))"""

_TEMPLATE = """\
;; {name}: a dense network worker generated by `memjit worker build` (format memjit-dense/1).
;; Regenerate from the model's JSON; do not edit.
(module
  (memory (export "memory") {pages})
  (global $heap (mut i32) (i32.const {heap}))
  (data (i32.const {base}) "{data}")

  {alloc}

  {functions}

  ;; run(ptr, len): len / {input_size} items in, one class byte per item out.
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $out i32) (local $a i32) (local $b i32) (local $item i32) (local $i i32)
    (local $src i32)
    (if (i32.rem_u (local.get $len) (i32.const {input_size})) (then unreachable))
    (local.set $n (i32.div_u (local.get $len) (i32.const {input_size})))
    (local.set $out (call $alloc (local.get $n)))
    (local.set $a (call $alloc (i32.const {buffer_bytes})))
    (local.set $b (call $alloc (i32.const {buffer_bytes})))
    (if (i32.eqz (local.get $b)) (then unreachable))
    (block $items_done
      (loop $items
        (br_if $items_done (i32.ge_u (local.get $item) (local.get $n)))
        (local.set $src (i32.add (local.get $ptr) (i32.mul (local.get $item) (i32.const {input_size}))))
        {classify}
        (i32.store8 (i32.add (local.get $out) (local.get $item)) {answer})
        (local.set $item (i32.add (local.get $item) (i32.const 1)))
        (br $items)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (local.get $n)))))
"""
