"""Worker modules built from what people write or train: WebAssembly text, C, or the weights
of a dense network (``memjit-dense/1``). Building only makes modules; running them is the
runtime's (:mod:`protocol.runtime`)."""

from protocol.toolchain.dense import DenseModel, build_dense_worker, load_model, model_from_json
from protocol.toolchain.sources import SourceKind, build_file, build_source, source_kind

__all__ = [
    "DenseModel",
    "SourceKind",
    "build_dense_worker",
    "build_file",
    "build_source",
    "load_model",
    "model_from_json",
    "source_kind",
]
