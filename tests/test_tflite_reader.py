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


def _file_scales(path, tensor_index):
    """The float32 scales of one tensor, read straight from the flatbuffer with the tflite package."""
    import tflite

    model = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    return model.Subgraphs(0).Tensors(tensor_index).Quantization().ScaleAsNumpy()


def test_requant_is_derived_from_double_effective_scale(effnet):
    """Independently of the reader: effective scale = double(s_in) * double(s_w) / double(s_out) from the file's
    float32 scales, and (multiplier, shift) = QuantizeMultiplier of it (checked vs C in test_quant.py)."""
    import tflite

    model = tflite.Model.GetRootAsModel(EFFNET.read_bytes(), 0)
    for op in effnet.ops:
        if op.op_type not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        weights_index = int(model.Subgraphs(0).Operators(op.index).Inputs(1))
        w_scales = _file_scales(EFFNET, weights_index).astype(np.float64)
        s_in = float(np.float32(effnet.tensor(op.inputs[0]).scale))
        s_out = float(np.float32(effnet.tensor(op.output).scale))
        expected = s_in * w_scales / s_out
        requant = op.params.requant
        np.testing.assert_array_equal(requant.effective_scale, expected)
        for m, s, real in zip(requant.multiplier, requant.shift, expected):
            assert (int(m), int(s)) == quant.quantize_multiplier(float(real))


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
