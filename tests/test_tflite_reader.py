"""Reading .tflite files: the facts of the embedded model, and one clear error for every kind of bad input."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import EFFNET, MODELS
from pyflow import quant
from pyflow.errors import FlowError
from pyflow.layers import layer_table, macs, op_histogram
from pyflow.tflite_reader import parse_model, read_model


def test_embedded_model_facts(effnet):
    assert op_histogram(effnet) == {"CONV_2D": 33, "DEPTHWISE_CONV_2D": 16, "ADD": 9, "AVERAGE_POOL_2D": 1,
                                    "FULLY_CONNECTED": 1}
    assert effnet.input.shape == (1, 224, 224, 3) and effnet.input.dtype == "int8"
    assert effnet.input.scale == 1 / 128 and effnet.input.zero_point == -1
    assert effnet.output.shape == (1, 1000)
    stem = effnet.ops[0]
    assert stem.params.stride == (2, 2) and stem.params.kernel == (3, 3)
    # TF 'same' with stride 2 on an even size puts the single pad row/column at the bottom/right.
    assert (stem.params.padding.top, stem.params.padding.bottom) == (0, 1)
    assert sum(macs(effnet, op) for op in effnet.ops) == 385_187_552
    assert "FULLY_CONNECTED" in layer_table(effnet)


def test_requant_is_derived_from_double_effective_scale(effnet):
    """multiplier * 2**(shift - 31) reproduces the double effective scale to Q31 precision, per channel."""
    for op in effnet.ops:
        requant = getattr(op.params, "requant", None)
        if requant is None:
            continue
        assert requant.channels == op.params.weights.shape[0 if op.op_type != "DEPTHWISE_CONV_2D" else 3]
        for m, s, real in zip(requant.multiplier, requant.shift, requant.effective_scale):
            assert (int(m), int(s)) == quant.quantize_multiplier(float(real))
            assert abs(int(m) * 2.0 ** (int(s) - 31) - real) <= 2.0 ** (int(s) - 32)


def test_relu6_becomes_clamp(effnet):
    op = effnet.ops[0]
    out = effnet.tensor(op.output)
    assert op.params.act_min == max(-128, out.zero_point)
    assert op.params.act_max == min(127, out.zero_point + int(quant.round_half_away(6 / np.float32(out.scale))))


def test_ir_constants_are_read_only(effnet):
    with pytest.raises(ValueError):
        effnet.ops[0].params.weights[0, 0, 0, 0] = 1


@pytest.mark.parametrize("name, message", [
    ("float_model.tflite", "float (unquantized) model: op 0 CONV_2D"),
    ("unsupported_op.tflite", "unsupported op TANH at index 1"),
    ("not_a_model.tflite", "not a TensorFlow Lite flatbuffer"),
    ("truncated.tflite", "corrupt or truncated"),
])
def test_bad_models_give_one_clear_error(name, message):
    with pytest.raises(FlowError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_model(MODELS / name)


def test_missing_file(tmp_path):
    with pytest.raises(FlowError, match="model file not found"):
        read_model(tmp_path / "nope.tflite")


@pytest.mark.parametrize("cut", [8, 100, 1000, 100_000, 3_000_000])
def test_truncated_embedded_model(cut):
    data = EFFNET.read_bytes()[:cut]
    with pytest.raises(FlowError):
        parse_model(data, "cut")


def test_all_single_op_models_read():
    for path in sorted(MODELS.glob("*.tflite")):
        if path.stem in ("float_model", "unsupported_op", "not_a_model", "truncated"):
            continue
        graph = read_model(path)
        assert graph.ops, path.name
