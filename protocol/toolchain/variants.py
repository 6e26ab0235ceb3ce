"""Variants of a worker: a copy under another CID, and a dense model with noise on its weights.

* :func:`tagged_copy` is the copycat of the threat model: the same module with a custom
  section appended, which the runtime ignores, so it behaves exactly like the original while
  its bytes, and so its CID, differ.
* :func:`noised_model` adds seeded Gaussian noise to a dense model's weights, which lowers
  its accuracy by an amount the noise scale sets: a population of honest workers of several
  known accuracies from one trained model.

Both are deterministic: the same inputs always give the same bytes.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import replace

from protocol.errors import BuildError
from protocol.toolchain.dense import DenseModel, Layer

#: The custom section a copy carries its tag in.
COPY_SECTION = "memjit.copy"
_WASM_HEADER = b"\0asm\x01\0\0\0"


def tagged_copy(module: bytes, tag: str) -> bytes:
    """``module`` with a custom section holding ``tag`` appended: the same behaviour under
    another CID (a different ``tag``, another CID again)."""
    if not module.startswith(_WASM_HEADER):
        raise BuildError("not a WebAssembly module (no \\0asm version 1 header)")
    name = COPY_SECTION.encode()
    body = _leb128(len(name)) + name + tag.encode("utf-8")
    return module + b"\x00" + _leb128(len(body)) + body


def noised_model(model: DenseModel, scale: float, seed: int) -> DenseModel:
    """``model`` with Gaussian noise added to every weight: in each layer, ``scale`` times the
    root mean square of that layer's weights (biases stay). ``seed`` fixes the noise."""
    if not math.isfinite(scale) or scale < 0:
        raise BuildError(f"the noise scale must be a finite number >= 0, got {scale}")
    rng = random.Random(seed)
    layers = []
    for layer in model.layers:
        rms = math.sqrt(sum(w * w for w in layer.weights) / len(layer.weights))
        sigma = scale * rms
        weights = tuple(_f32(w + rng.gauss(0.0, sigma)) for w in layer.weights)
        layers.append(Layer(layer.inputs, layer.outputs, weights, layer.bias, layer.activation))
    return replace(model, name=f"{model.name}~noise{scale:g}s{seed}", layers=tuple(layers))


def _f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def _leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
