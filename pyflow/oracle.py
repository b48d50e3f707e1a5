"""The oracles: TensorFlow Lite's own integer reference kernels, run on the same model and inputs.

- ``litert``: LiteRT's Python interpreter with ``OpResolverType.BUILTIN_REF`` (the reference kernels, not
  XNNPACK) and ``experimental_preserve_all_tensors`` so every intermediate tensor can be read back;
- ``tflm``: TensorFlow Lite Micro's interpreter in ``kPreserveAllTensors`` mode.
- ``xnnpack``: LiteRT's default kernels; NOT an oracle (they round differently), only for benchmarks.

The runtimes are native code that can abort the whole process on some models, so they run in a child process:
a crash becomes a `FlowError` naming the runtime and the signal, never a dead parent.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pyflow.errors import FlowError
from pyflow.reference import FLAVORS, check_flavor

ORACLES = FLAVORS  # each reference flavor is bit-exact with the runtime of the same name
RUNTIMES = ORACLES + ("xnnpack",)
RUNTIME_NAMES = {"litert": "LiteRT (BUILTIN_REF)", "tflm": "TensorFlow Lite Micro", "xnnpack": "LiteRT (XNNPACK)"}


def run_oracle(model_path: str | Path, inputs: np.ndarray, oracle: str = "litert",
               tensors: list[int] | None = None, timeout: float = 3600.0) -> dict[int, np.ndarray]:
    """Run ``inputs`` (N, ...) one by one; return {tensor index: (N, ...) array} for ``tensors``
    (default: the model outputs; an index the runtime cannot expose is left out of the result)."""
    if oracle not in RUNTIMES:
        check_flavor(oracle, "oracle")
    with tempfile.TemporaryDirectory(prefix="pyflow-oracle-") as tmp:
        request = Path(tmp) / "request.npz"
        response = Path(tmp) / "response.npz"
        np.savez(request, inputs=inputs, tensors=np.array(tensors if tensors is not None else [], np.int64),
                 all_outputs=np.array(tensors is None))
        command = [sys.executable, "-m", "pyflow.oracle", oracle, str(model_path), str(request), str(response)]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FlowError(f"{RUNTIME_NAMES[oracle]} did not finish within {timeout:.0f} s") from None
        if proc.returncode != 0:
            raise FlowError(_crash_message(oracle, model_path, proc))
        with np.load(response) as data:
            return {int(key[1:]): data[key] for key in data.files if key.startswith("t")}


def time_runtime(model_path: str | Path, inputs: np.ndarray, runtime: str, repeats: int = 1) -> float:
    """Seconds per image for ``runtime`` (measured in the child, excluding start-up)."""
    with tempfile.TemporaryDirectory(prefix="pyflow-oracle-") as tmp:
        request, response = Path(tmp) / "request.npz", Path(tmp) / "response.npz"
        np.savez(request, inputs=inputs, repeats=np.array(repeats))
        command = [sys.executable, "-m", "pyflow.oracle", "time-" + runtime, str(model_path), str(request),
                   str(response)]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise FlowError(_crash_message(runtime, model_path, proc))
        with np.load(response) as data:
            return float(data["seconds_per_image"])


def _crash_message(oracle: str, model_path, proc: subprocess.CompletedProcess) -> str:
    name = RUNTIME_NAMES[oracle]
    if proc.returncode < 0:
        try:
            what = f"was killed by {signal.Signals(-proc.returncode).name}"
        except ValueError:
            what = f"was killed by signal {-proc.returncode}"
    else:
        what = f"failed (exit {proc.returncode})"
    lines = [line for line in (proc.stderr or "").strip().splitlines() if line.strip()]
    detail = lines[-1] if lines else "no message"
    return f"{name} {what} while running {Path(model_path).name}: {detail}"


# --- child process -------------------------------------------------------------------------------------------

def _litert_interpreter(model_path: str, reference: bool):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.BUILTIN_REF if reference else OpResolverType.AUTO
    interpreter = Interpreter(model_path=model_path, experimental_op_resolver_type=resolver,
                              experimental_preserve_all_tensors=reference, num_threads=2)
    interpreter.allocate_tensors()
    return interpreter


def _one(value: np.ndarray) -> np.ndarray:
    """One input's tensor without its batch dimension (pyflow.ir.batched_shape: a tensor without a leading 1
    is kept whole)."""
    return value[0] if value.ndim and value.shape[0] == 1 else value


def _run_litert(interpreter, inputs: np.ndarray, tensors: list[int]):
    input_index = interpreter.get_input_details()[0]["index"]
    results = {t: [] for t in tensors}
    for x in inputs:
        interpreter.set_tensor(input_index, x[None])
        interpreter.invoke()
        for t in tensors:
            results[t].append(_one(np.array(interpreter.get_tensor(t))))
    return results


def _tflm_interpreter(model_path: str):
    from tflite_micro.python.tflite_micro import runtime

    return runtime.Interpreter.from_file(
        model_path, arena_size=64 << 20,
        intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)


def _run_tflm(interpreter, inputs: np.ndarray, tensors: list[int]):
    results = {t: [] for t in tensors}
    for x in inputs:
        interpreter.set_input(x[None], 0)
        interpreter.invoke()
        for t in tensors:
            results[t].append(_one(np.array(interpreter.GetTensor(t, 0)["tensor_data"])))
    return results


def _open(runtime: str, model_path: str):
    """(interpreter, run function) for one runtime."""
    if runtime == "tflm":
        return _tflm_interpreter(model_path), _run_tflm
    return _litert_interpreter(model_path, reference=(runtime == "litert")), _run_litert


def _model_outputs(model_path: str) -> list[int]:
    from pyflow.tflite_reader import read_model

    return list(read_model(model_path).outputs)


def _worker(argv: list[str]) -> None:
    runtime, model_path, request, response = argv
    timing = runtime.startswith("time-")
    runtime = runtime.removeprefix("time-")
    with np.load(request) as data:
        inputs = data["inputs"]
        repeats = int(data["repeats"]) if timing else 0
        tensors = [] if timing else [int(t) for t in data["tensors"]]
        if not timing and bool(data["all_outputs"]):
            tensors = _model_outputs(model_path)
    interpreter, run = _open(runtime, model_path)
    if timing:
        run(interpreter, inputs[:1], [])  # warm-up outside the timing
        start = time.perf_counter()
        for _ in range(repeats):
            run(interpreter, inputs, [])
        seconds = (time.perf_counter() - start) / repeats / len(inputs)
        np.savez(response, seconds_per_image=np.array(seconds))
        return
    results = run(interpreter, inputs, tensors)
    np.savez(response, **{f"t{t}": np.stack(v) for t, v in results.items() if v})


if __name__ == "__main__":
    _worker(sys.argv[1:])
