"""FULLY_CONNECTED: per-channel and per-tensor weights; behind a RESHAPE. The two oracles round differently
here (LiteRT in double, TFLM with the Q31 multiplier), and each flavor must match its own oracle."""
import numpy as np

from conftest import MODELS, random_inputs
from pyflow.reference.runner import run
from pyflow.tflite_reader import read_model
from single_op_cases import make_test

test_fully_connected_matches_oracle = make_test(
    ["fc_per_channel.tflite", "fc_per_tensor.tflite", "reshape.tflite"], count=400)


def test_flavors_differ_somewhere_on_fc():
    """The flavor switch is real: over many inputs the two roundings disagree on at least one output."""
    graph = read_model(MODELS / "fc_per_channel.tflite")
    x = random_inputs(graph, 4000, seed=3)
    a, b = run(graph, x, "litert"), run(graph, x, "tflm")
    out = graph.ops[-1].output
    assert np.abs(a[out].astype(int) - b[out].astype(int)).max() <= 1
    assert np.any(a[out] != b[out])
