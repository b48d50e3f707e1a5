"""The model validator (pyflow/model_checks.py, called by the reader): every signature of the mutated models that
used to escape as a raw exception is now one FlowError naming the op, the field or tensor and the bound. Each case
edits one field of a committed single-op model in place (tests/model_patch.py) and reads it back."""
import numpy as np
import pytest

import model_patch as mp
from pyflow import model_checks
from pyflow.errors import FlowError
from pyflow.tflite_reader import parse_model


def _fails(data: bytearray, *fragments: str) -> str:
    with pytest.raises(FlowError) as info:
        parse_model(bytes(data), "m")
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_unedited_models_read():
    for name in ("conv_3x3_dilated.tflite", "dwconv_3x3_dilated.tflite", "concat.tflite", "maxpool_2x2_valid.tflite",
                 "mean_spatial.tflite", "pad.tflite", "fc_per_tensor.tflite", "conv_3x3_s2_same.tflite"):
        parse_model(bytes(mp.load(name)), "m")


@pytest.mark.parametrize("model, slot, field", [
    ("conv_3x3_dilated.tflite", 14, "dilation_h_factor"), ("conv_3x3_dilated.tflite", 12, "dilation_w_factor"),
    ("dwconv_3x3_dilated.tflite", 16, "dilation_h_factor"), ("conv_3x3_s2_same.tflite", 8, "stride_h"),
    ("conv_3x3_s2_same.tflite", 6, "stride_w")])
@pytest.mark.parametrize("value", [-3, 0])
def test_stride_and_dilation_below_one(model, slot, field, value):
    op = "DEPTHWISE_CONV_2D" if model.startswith("dw") else "CONV_2D"
    _fails(mp.set_option(mp.load(model), 0, slot, value), f"op 0 {op}: {field} = {value} (must be >= 1)")


def test_huge_dilation_is_refused_before_any_allocation():
    message = _fails(mp.set_option(mp.load("conv_3x3_dilated.tflite"), 0, 14, 2 ** 31 - 1), "op 0 CONV_2D")
    assert "padded input" in message or "does not match" in message


@pytest.mark.parametrize("value", [300, -129])
def test_zero_point_outside_int8(value):
    data = mp.load("conv_3x3_s2_same.tflite")
    out = mp.op_tensors(data, 0)[1][0]
    _fails(mp.set_zero_point(data, out, value), "op 0 CONV_2D", f"zero_point = {value} (must be in -128..127")


@pytest.mark.parametrize("value", [0.0, -1.0, float("inf"), float("nan")])
def test_scale_not_positive_and_finite(value):
    _fails(mp.set_scale(mp.load("conv_3x3_s2_same.tflite"), 0, value), "graph input", "scale", "finite and > 0")


@pytest.mark.parametrize("value", [7, -5])
def test_concatenation_axis_out_of_range(value):
    _fails(mp.set_option(mp.load("concat.tflite"), 2, 4, value), "op 2 CONCATENATION: axis = ", "must be in -4..3")


def test_pool_without_options():
    _fails(mp.drop_options(mp.load("maxpool_2x2_valid.tflite"), 0), "op 0 MAX_POOL_2D: has no Pool2DOptions")


@pytest.mark.parametrize("slot, field", [(10, "filter_width"), (12, "filter_height"), (8, "stride_h")])
def test_pool_window_and_stride_below_one(slot, field):
    _fails(mp.set_option(mp.load("maxpool_2x2_valid.tflite"), 0, slot, 0), f"op 0 MAX_POOL_2D: {field} = 0")


def test_average_pool_window_wholly_outside_the_image():
    with pytest.raises(FlowError, match="lies wholly outside"):
        model_checks.pool_windows("op 3 AVERAGE_POOL_2D", (4, 4), (2, 2), (2, 2), (5, 5), (0, 0))
    model_checks.pool_windows("op 3 AVERAGE_POOL_2D", (4, 4), (2, 2), (2, 2), (2, 2), (0, 0))  # in range: passes


def test_mean_axes_out_of_range():
    data = mp.load("mean_spatial.tflite")
    axes = mp.op_tensors(data, 1)[0][1]
    _fails(mp.set_constant(data, axes, 0, 9), "op 1 MEAN: axis = 9 (must be in -4..3")


def test_pad_negative_and_inconsistent_paddings():
    data = mp.load("pad.tflite")
    paddings = mp.op_tensors(data, 0)[0][1]
    _fails(mp.set_constant(bytearray(data), paddings, 2, -4), "op 0 PAD: paddings[1] = (-4,")
    _fails(mp.set_constant(bytearray(data), paddings, 2, 7), "op 0 PAD: output shape")


def test_pad_to_a_huge_batch_is_refused_by_the_element_budget():
    data = mp.load("pad.tflite")
    out = mp.op_tensors(data, 0)[1][0]
    _fails(mp.set_dim(data, out, 0, 8_388_609), "op 0 PAD", "dimension 0 = 8388609")


def test_conv_input_channels_differ_from_the_filters():
    data = mp.load("conv_3x3_s2_same.tflite")
    _fails(mp.set_dim(data, 0, 3, 5), "op 0 CONV_2D: weights have")


def test_fully_connected_output_shape_mismatch():
    data = mp.load("fc_per_tensor.tflite")
    out = mp.op_tensors(data, 0)[1][0]
    _fails(mp.set_dim(data, out, 1, 3), "op 0 FULLY_CONNECTED: output shape")


def test_graph_without_inputs():
    _fails(mp.clear_graph_inputs(mp.load("conv_3x3_s2_same.tflite")), "the graph has 0 inputs")


def test_bias_of_the_wrong_length_or_rank():
    model_checks.bias("op 0 CONV_2D", np.zeros(8, np.int32), 8)
    with pytest.raises(FlowError, match=r"op 0 CONV_2D: bias shape \(7,\) \(must be \(8,\)"):
        model_checks.bias("op 0 CONV_2D", np.zeros(7, np.int32), 8)
    with pytest.raises(FlowError, match=r"bias shape \(2, 4\)"):
        model_checks.bias("op 0 CONV_2D", np.zeros((2, 4), np.int32), 8)


def test_dimension_and_element_budget():
    with pytest.raises(FlowError, match="dimension 1 = 0"):
        model_checks.tensor("op 0 X", "t", (1, 0, 4, 4), "int8", 0.1, 0, True)
    with pytest.raises(FlowError, match="elements"):
        model_checks.tensor("op 0 X", "t", (1, 1 << 15, 1 << 15, 1), "int8", 0.1, 0, True)


def test_scale_ratio_out_of_range_names_the_op():
    data = mp.load("conv_3x3_s2_same.tflite")
    out = mp.op_tensors(data, 0)[1][0]
    _fails(mp.set_scale(data, out, 3e-45), "op 0 CONV_2D: quantization parameters out of range")
