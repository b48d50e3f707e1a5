"""The oracle runner: native crashes become clear messages; unknown oracles are refused."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import MODELS
from pyflow.errors import FlowError
from pyflow.oracle import _crash_message, run_oracle


def test_a_native_abort_becomes_a_clear_message():
    proc = subprocess.run([sys.executable, "-c", "import os, sys; sys.stderr.write('F softmax.cc:12 check failed\\n'); "
                           "sys.stderr.flush(); os.abort()"], capture_output=True, text=True)
    message = _crash_message("litert", "model.tflite", proc)
    assert message == "LiteRT (BUILTIN_REF) was killed by SIGABRT while running model.tflite: F softmax.cc:12 check failed"


def test_worker_failure_is_a_flow_error_not_a_dead_parent():
    x = np.zeros((1, 4), np.int8)  # the wrong shape for the model: the child fails, the parent reports it
    with pytest.raises(FlowError, match="LiteRT \\(BUILTIN_REF\\) failed"):
        run_oracle(MODELS / "conv_1x1.tflite", x, "litert")


def test_unknown_oracle():
    with pytest.raises(FlowError, match="unknown oracle"):
        run_oracle(MODELS / "conv_1x1.tflite", np.zeros((1, 9, 9, 20), np.int8), "onnx")


def test_default_outputs_only():
    x = np.zeros((2, 9, 9, 20), np.int8)
    result = run_oracle(MODELS / "conv_1x1.tflite", x, "tflm")
    assert list(result) and all(v.shape[0] == 2 for v in result.values())
