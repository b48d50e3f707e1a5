"""The ops beyond EfficientNet-lite (tests/models/breadth/, tests/models/keras_apps/): the reference against both
oracles on every tensor, the shape folding of free-batch exports, and the errors for what stays unsupported."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import MODELS, assert_matches_oracle, random_inputs
from pyflow.errors import FlowError
from pyflow.tflite_reader import read_model
from single_op_cases import make_test

BREADTH = sorted(p.name for p in (MODELS / "breadth").glob("*.tflite"))
# TFLM cannot run these: no RELU_N1_TO_1 kernel; the free-batch squeeze keeps dynamic shapes it cannot allocate
LITERT_ONLY = {"relu_n1_to_1.tflite", "squeeze_free_batch.tflite"}

test_breadth_ops = make_test([f"breadth/{name}" for name in BREADTH if name not in LITERT_ONLY])


@pytest.mark.parametrize("name", sorted(LITERT_ONLY))
def test_litert_only_models(name):
    path = MODELS / "breadth" / name
    graph = read_model(path)
    assert_matches_oracle(path, random_inputs(graph, 24, seed=7), "litert", graph)


@pytest.mark.slow
@pytest.mark.parametrize("oracle", ["litert", "tflm"])
@pytest.mark.parametrize("name", ["mobilenet_v1_050_160", "mobilenet_v3_small_128", "efficientnet_b0_96"])
def test_keras_applications_networks(name, oracle):
    """Whole networks exported from tf.keras.applications (random weights, free batch): every tensor bit-exact."""
    path = MODELS / "keras_apps" / f"{name}.tflite"
    graph = read_model(path)
    compared = assert_matches_oracle(path, random_inputs(graph, 2, seed=11), oracle, graph)
    assert compared == len(graph.ops)


def test_free_batch_shape_arithmetic_is_folded():
    graph = read_model(MODELS / "breadth" / "free_batch.tflite")
    assert [(f.source_index, f.op_type, f.value) for f in graph.folded] == [
        (1, "SHAPE", (1, 7, 5, 5)), (2, "STRIDED_SLICE", (1,)), (3, "PACK", (1, 175))]
    assert [(op.index, op.source_index, op.op_type) for op in graph.ops] == [
        (0, 0, "CONV_2D"), (1, 4, "RESHAPE"), (2, 5, "FULLY_CONNECTED")]
    squeeze = read_model(MODELS / "breadth" / "squeeze_free_batch.tflite")
    assert {f.op_type for f in squeeze.folded} == {"SHAPE", "GATHER", "REDUCE_PROD", "CONCATENATION", "PACK"}
    fc = next(op for op in squeeze.ops if op.op_type == "FULLY_CONNECTED")
    assert squeeze.tensor(fc.output).shape == (9, 5)  # inferred: the file says [1, 5] with signature [-1, 5]


def test_constant_operands_and_broadcast_shapes():
    graph = read_model(MODELS / "keras_apps" / "mobilenet_v3_small_128.tflite")
    constants = [op for op in graph.ops if getattr(op.params, "constant", None) is not None]
    assert constants and all(len(op.inputs) == 1 for op in constants)
    se = read_model(MODELS / "breadth" / "mul_se.tflite")
    mul = next(op for op in se.ops if op.op_type == "MUL")
    assert [se.tensor(t).shape for t in mul.inputs] == [(1, 9, 11, 12), (1, 1, 1, 12)]


def test_logistic_flavors_differ_and_each_matches_its_runtime(tmp_path):
    """LiteRT's reference LOGISTIC is a float32-built table, TFLM's the gemmlowp fixed-point logistic. They
    rarely differ (2 of 2000 random input scales): logistic.tflite's LOGISTIC input is patched to one such
    quantization (scale 0.12072428, zero point 3, where input byte 16 maps to different outputs), and each flavor
    must be bit-exact with its own runtime on every tensor."""
    from model_patch import load, op_tensors, set_scale, set_zero_point
    from pyflow.reference.activations import logistic

    data = load("breadth/logistic.tflite")
    graph = read_model(MODELS / "breadth" / "logistic.tflite")
    position = next(op.source_index for op in graph.ops if op.op_type == "LOGISTIC")
    x_tensor = op_tensors(data, position)[0][0]
    set_zero_point(set_scale(data, x_tensor, 0.12072428315877914), x_tensor, 3)
    path = tmp_path / "logistic_patched.tflite"
    path.write_bytes(bytes(data))
    patched = read_model(path)
    op = next(op for op in patched.ops if op.op_type == "LOGISTIC")
    sweep = np.arange(-128, 128, dtype=np.int8)[None]
    lite, micro = logistic(sweep, op.params, "litert"), logistic(sweep, op.params, "tflm")
    assert np.count_nonzero(lite != micro) == 1
    x = random_inputs(patched, 200, seed=2)
    from pyflow.reference.runner import run

    assert np.any(run(patched, x, "litert")[op.output] != run(patched, x, "tflm")[op.output])  # the byte occurs
    for oracle in ("litert", "tflm"):
        assert_matches_oracle(path, x, oracle, patched)


def test_every_breadth_fixture_has_a_csim_case():
    from test_hls_breadth import HOST

    assert {name.removesuffix(".tflite") for name in BREADTH} == set(HOST)


def test_resize_flags_and_transpose_conv_geometry_are_read():
    nearest = read_model(MODELS / "breadth" / "resize_nearest.tflite")
    p = next(op.params for op in nearest.ops if op.op_type == "RESIZE_NEAREST_NEIGHBOR")
    assert (p.bilinear, p.align_corners, p.half_pixel_centers) == (False, False, True)
    corners = read_model(MODELS / "breadth" / "resize_bilinear_align_corners.tflite")
    p = next(op.params for op in corners.ops if op.op_type == "RESIZE_BILINEAR")
    assert (p.bilinear, p.align_corners, p.half_pixel_centers) == (True, True, False)
    tconv = read_model(MODELS / "breadth" / "transpose_conv_s2_same.tflite")
    op = next(op for op in tconv.ops if op.op_type == "TRANSPOSE_CONV")
    assert op.params.stride == (2, 2) and op.params.weights.shape == (5, 3, 3, 8)
    assert tconv.tensor(op.output).shape == (1, 10, 14, 5)


def test_unsupported_op_names_itself_its_index_and_the_nearest_alternative():
    with pytest.raises(FlowError, match=r"unsupported op TANH at index 1; nearest supported: LOGISTIC"):
        read_model(MODELS / "unsupported_op.tflite")
