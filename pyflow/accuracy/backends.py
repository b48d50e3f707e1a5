"""The int8 logits of a batch of model inputs from one backend.

- ``reference``: pyflow's numpy reference (the flavor's arithmetic);
- ``csim``: the engine library through the host runtime (pyflow.runtime, compiled once per configuration);
- ``litert`` / ``tflm``: the oracles (LiteRT BUILTIN_REF, TensorFlow Lite Micro);
- ``xnnpack``: LiteRT's default kernels (not bit-exact with the reference: they round differently).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from pyflow.errors import FlowError
from pyflow.ir import Graph

BACKENDS = ("reference", "csim", "litert", "tflm", "xnnpack")


class Backend:
    def __init__(self, name: str, logits: Callable[[np.ndarray], np.ndarray]):
        self.name, self._logits = name, logits

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(N, ...) inputs -> (N, classes) outputs."""
        out = np.asarray(self._logits(x))
        return out.reshape(x.shape[0], -1)


def open_backend(name: str, model_path: Path, graph: Graph, flavor: str, build_dir: Path, config,
                 log: Callable[[str], None] = print) -> Backend:
    if name == "reference":
        from pyflow.reference.runner import run

        return Backend(name, lambda x: run(graph, x, flavor)[graph.outputs[0]])
    if name == "csim":
        from pyflow.runtime.csim_backend import CsimBackend
        from pyflow.runtime.program import load_program
        from pyflow.runtime.sequencer import run_image

        program = load_program(model_path, config, flavor)
        engine = CsimBackend(program, build_dir, log)
        return Backend(name, lambda x: np.stack([run_image(program, engine, image).output for image in x]))
    if name in ("litert", "tflm", "xnnpack"):
        from pyflow.oracle import run_oracle

        return Backend(name, lambda x: run_oracle(model_path, x, name)[graph.outputs[0]])
    raise FlowError(f"unknown backend '{name}'; choose from {', '.join(BACKENDS)}")
