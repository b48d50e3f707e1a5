"""Generate the small int8 .tflite fixtures in tests/models/.

Run once by a developer who has TensorFlow installed (tests never import TF):

    pip install -e .[model,test]
    python tests/models/make_single_op_models.py

Every model is a tiny Keras model built from a fixed seed, converted with
full-integer post-training quantization (representative dataset: 32
deterministic random float inputs) and written atomically next to this file.
Each file is then loaded with the LiteRT reference kernels (BUILTIN_REF), run
once on a random input and checked for the intended op(s).  Finally README.md
is rewritten from the op lists actually found in the files.
"""

import contextlib
import io
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import keras
from keras import layers
from ai_edge_litert.interpreter import Interpreter, OpResolverType
import tflite

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
NUM_CALIB = 32
MAX_BYTES = 200 * 1024

# Uniform range of the calibration inputs.  The default gives an input zero
# point near 0; OFFSET gives a clearly non-zero input zero point, which matters
# wherever padding is involved (padding must use the real value 0).
DEFAULT_RANGE = (-1.0, 1.0)
OFFSET_RANGE = (-0.5, 1.5)

def rand_init():
    # A new initializer per layer: an unseeded Keras initializer draws its seed
    # when constructed, i.e. after set_random_seed() in convert().
    return keras.initializers.RandomUniform(-0.5, 0.5)


# ---------------------------------------------------------------- model specs

@dataclass
class Spec:
    name: str                 # file name without .tflite
    build: object             # () -> keras.Model
    covers: str               # one line for the README
    expect: list              # op names that must be in the file
    io_type: object = tf.int8  # inference_input/output_type; None = float32
    quantize: bool = True
    per_tensor_fc: bool = False
    in_range: tuple = DEFAULT_RANGE
    extra_check: object = None  # (interpreter, model_bytes) -> None, raises
    notes: list = field(default_factory=list)


def inp(shape, name="x"):
    return keras.Input(shape, batch_size=1, name=name)


def conv(filters, k, s=1, pad="same", act=None, dil=1):
    return layers.Conv2D(filters, k, strides=s, padding=pad, activation=act,
                         dilation_rate=dil, bias_initializer=rand_init())


def dwconv(k, s=1, pad="same", act="relu6", mult=1, dil=1):
    return layers.DepthwiseConv2D(k, strides=s, padding=pad, activation=act,
                                  depth_multiplier=mult, dilation_rate=dil,
                                  depthwise_initializer=rand_init(),
                                  bias_initializer=rand_init())


def dense(units, act=None):
    return layers.Dense(units, activation=act, bias_initializer=rand_init())


def single(shape, *layer_list):
    x = i = inp(shape)
    for layer in layer_list:
        x = layer(x)
    return keras.Model(i, x)


def two_branch(merge, shape=(11, 9, 5)):
    """Two conv branches with different output ranges, then `merge`."""
    i = inp(shape)
    a = conv(7, 3)(i)
    b = conv(7, 1)(i)
    b = layers.Rescaling(3.0)(b)  # folded into the conv: makes b's range ~3x wider
    return keras.Model(i, merge([a, b]))


def add_relu6():
    return two_branch(lambda ab: layers.ReLU(6.0)(layers.Add()(ab)))


def add_two_inputs():
    a = inp((9, 7, 5), name="a")
    b = inp((9, 7, 5), name="b")
    return keras.Model([a, b], layers.Add()([a, b]))


def concat():
    i = inp((9, 11, 3))
    a = conv(7, 3, act="relu6")(i)
    b = conv(5, 1)(i)
    return keras.Model(i, layers.Concatenate(axis=-1)([a, b]))


def mean_keepdims():
    i = inp((9, 11, 12))
    x = conv(20, 3, act="relu6")(i)
    return keras.Model(i, keras.ops.mean(x, axis=[1, 2], keepdims=True))


def mean_nokeep():
    i = inp((9, 11, 12))
    x = conv(20, 3)(i)
    return keras.Model(i, layers.GlobalAveragePooling2D()(x))


def small_net():
    """Tiny MobileNetV2-like whole graph on 32x32x3, 10 classes."""
    i = inp((32, 32, 3))
    x = conv(12, 3, s=2, act="relu6")(i)              # stem, 16x16x12
    y = conv(36, 1, act="relu6")(x)                    # expand
    y = dwconv(3)(y)                                   # depthwise
    y = conv(12, 1)(y)                                 # project (linear)
    x = layers.Add()([x, y])                           # residual
    y = conv(36, 1, act="relu6")(x)                    # second block, stride 2
    y = dwconv(3, s=2)(y)
    x = conv(20, 1)(y)                                 # 8x8x20
    x = layers.GlobalAveragePooling2D()(x)
    x = dense(10)(x)
    return keras.Model(i, layers.Softmax()(x))


# ------------------------------------------------------------- extra checks

def fc_weight_scales(interp):
    ops = [o for o in interp._get_ops_details() if o["op_name"] == "FULLY_CONNECTED"]
    details = {t["index"]: t for t in interp.get_tensor_details()}
    return len(details[ops[0]["inputs"][1]]["quantization_parameters"]["scales"])


def check_per_channel_fc(interp, _):
    n = fc_weight_scales(interp)
    assert n == 11, f"expected 11 FC weight scales, got {n}"


def check_per_tensor_fc(interp, _):
    n = fc_weight_scales(interp)
    assert n == 1, f"expected a single FC weight scale, got {n}"


def check_dilation(interp, model_bytes):
    model = tflite.Model.GetRootAsModel(model_bytes, 0)
    graph = model.Subgraphs(0)
    for k in range(graph.OperatorsLength()):
        op = graph.Operators(k)
        code = model.OperatorCodes(op.OpcodeIndex())
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) != tflite.BuiltinOperator.CONV_2D:
            continue
        opts = tflite.Conv2DOptions()
        table = op.BuiltinOptions()
        opts.Init(table.Bytes, table.Pos)
        dil = (opts.DilationHFactor(), opts.DilationWFactor())
        assert dil == (2, 2), f"CONV_2D dilation is {dil}, expected (2, 2)"
        return
    raise AssertionError("no CONV_2D found")


def check_scales_differ(interp, _):
    i = interp.get_input_details()[0]["quantization"]
    o = interp.get_output_details()[0]["quantization"]
    assert i != o, f"input and output quantization are equal: {i}"


def check_input_scales_differ(interp, _):
    q = [d["quantization"] for d in interp.get_input_details()]
    assert q[0] != q[1], f"both inputs have quantization {q[0]}"


def check_softmax_out(interp, _):
    scale, zp = interp.get_output_details()[0]["quantization"]
    assert abs(scale - 1 / 256) < 1e-9 and zp == -128, (scale, zp)


# ------------------------------------------------------------------ the list

SPECS = [
    Spec("conv_3x3_s1_same_odd", lambda: single((13, 15, 5), conv(12, 3, act="relu6")),
         "Conv2D 3x3 s1 SAME, 13x15x5 -> 12, fused ReLU6, non-zero input zero point",
         ["CONV_2D"], in_range=OFFSET_RANGE),
    Spec("conv_3x3_s2_same", lambda: single((15, 15, 3), conv(7, 3, s=2, act="relu6")),
         "Conv2D 3x3 s2 SAME (stem-like), odd 15x15x3 -> 8x8x7, ReLU6",
         ["CONV_2D"], in_range=OFFSET_RANGE),
    Spec("conv_5x5_s2_valid", lambda: single((17, 13, 6), conv(9, 5, s=2, pad="valid")),
         "Conv2D 5x5 s2 VALID, 17x13x6 -> 7x5x9, no activation",
         ["CONV_2D"]),
    Spec("conv_1x1", lambda: single((9, 9, 20), conv(37, 1, act="relu6")),
         "pointwise Conv2D 1x1, 9x9x20 -> 37, ReLU6",
         ["CONV_2D"]),
    Spec("conv_3x3_dilated", lambda: single((13, 11, 5), conv(7, 3, dil=2, act="relu")),
         "Conv2D 3x3 dilation 2 SAME, 13x11x5 -> 7, fused ReLU (dilation kept in CONV_2D options)",
         ["CONV_2D"], in_range=OFFSET_RANGE, extra_check=check_dilation),
    Spec("dwconv_3x3_s1_same", lambda: single((13, 11, 7), dwconv(3)),
         "DepthwiseConv2D 3x3 s1 SAME, 13x11x7, ReLU6",
         ["DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("dwconv_3x3_s2_same", lambda: single((13, 11, 7), dwconv(3, s=2)),
         "DepthwiseConv2D 3x3 s2 SAME, 13x11x7 -> 7x6x7, ReLU6",
         ["DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("dwconv_5x5_s1_same", lambda: single((13, 11, 7), dwconv(5)),
         "DepthwiseConv2D 5x5 s1 SAME, 13x11x7, ReLU6",
         ["DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("dwconv_5x5_s2_same", lambda: single((13, 11, 7), dwconv(5, s=2)),
         "DepthwiseConv2D 5x5 s2 SAME, 13x11x7 -> 7x6x7, ReLU6",
         ["DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("dwconv_5x5_valid_mult2", lambda: single((11, 11, 5), dwconv(5, pad="valid", act=None, mult=2)),
         "DepthwiseConv2D 5x5 VALID depth_multiplier=2, 11x11x5 -> 7x7x10, no activation",
         ["DEPTHWISE_CONV_2D"]),
    Spec("dwconv_7x7_s2_same", lambda: single((15, 13, 9), dwconv(7, s=2)),
         "DepthwiseConv2D 7x7 s2 SAME, 15x13x9 -> 8x7x9, ReLU6 (a kernel larger than one tap block)",
         ["DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("dwconv_3x3_mult3", lambda: single((9, 11, 6), dwconv(3, act=None, mult=3)),
         "DepthwiseConv2D 3x3 s1 SAME depth_multiplier=3, 9x11x6 -> 9x11x18",
         ["DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("dwconv_3x3_dilated", lambda: single((13, 12, 10), dwconv(3, dil=2)),
         "DepthwiseConv2D 3x3 dilation 2 SAME, 13x12x10, ReLU6",
         ["DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("conv_7x7_s2_same", lambda: single((23, 21, 3), conv(16, 7, s=2, act="relu")),
         "Conv2D 7x7 s2 SAME (ResNet-like stem), 23x21x3 -> 12x11x16, ReLU",
         ["CONV_2D"], in_range=OFFSET_RANGE),
    Spec("wide_strip", lambda: single((5, 700, 24), conv(80, 3, act="relu6"), dwconv(3)),
         "a 5x700x24 strip: Conv2D 3x3 -> 80 and DepthwiseConv2D 3x3 wider than the engine's band and line buffer "
         "(row segments, strips)",
         ["CONV_2D", "DEPTHWISE_CONV_2D"], in_range=OFFSET_RANGE),
    Spec("fc_per_channel", lambda: single((37,), dense(11)),
         "Dense 37 -> 11, per-channel weight scales (11 scales)",
         ["FULLY_CONNECTED"], extra_check=check_per_channel_fc),
    Spec("fc_per_tensor", lambda: single((37,), dense(11)),
         "Dense 37 -> 11, per-tensor weight scale (1 scale) via "
         "_experimental_disable_per_channel_quantization_for_dense_layers",
         ["FULLY_CONNECTED"], per_tensor_fc=True, extra_check=check_per_tensor_fc),
    Spec("add_relu6", add_relu6,
         "two conv branches with different scales -> Add -> ReLU6 (fused into ADD)",
         ["CONV_2D", "ADD"]),
    Spec("add_two_inputs", add_two_inputs,
         "two int8 graph inputs with different scales (calib a: [-1, 1], b: [-3, 2]) -> ADD",
         ["ADD"], in_range=[(-1.0, 1.0), (-3.0, 2.0)], extra_check=check_input_scales_differ),
    Spec("avgpool_3x3_s2_same", lambda: single((13, 11, 7), layers.AveragePooling2D(3, 2, padding="same")),
         "AveragePooling2D 3x3 s2 SAME on 13x11x7 (edge windows count only valid pixels)",
         ["AVERAGE_POOL_2D"], in_range=OFFSET_RANGE),
    Spec("avgpool_2x2_valid", lambda: single((13, 11, 7), layers.AveragePooling2D(2, 2, padding="valid")),
         "AveragePooling2D 2x2 s2 VALID on odd 13x11x7 (last row/col dropped)",
         ["AVERAGE_POOL_2D"]),
    Spec("avgpool_global", lambda: single((7, 7, 12), layers.AveragePooling2D(7)),
         "AveragePooling2D 7x7 over the whole 7x7x12 map",
         ["AVERAGE_POOL_2D"]),
    Spec("maxpool_3x3_s2_same", lambda: single((13, 11, 7), layers.MaxPooling2D(3, 2, padding="same")),
         "MaxPooling2D 3x3 s2 SAME on 13x11x7",
         ["MAX_POOL_2D"], in_range=OFFSET_RANGE),
    Spec("maxpool_2x2_valid", lambda: single((13, 11, 7), layers.MaxPooling2D(2, 2, padding="valid")),
         "MaxPooling2D 2x2 s2 VALID on odd 13x11x7",
         ["MAX_POOL_2D"]),
    Spec("maxpool_global", lambda: single((9, 11, 40), layers.MaxPooling2D((9, 11))),
         "MaxPooling2D 9x11 over the whole 9x11x40 map (the engine's global path, 3 channel words)",
         ["MAX_POOL_2D"], in_range=OFFSET_RANGE),
    Spec("mean_spatial", mean_keepdims,
         "Conv(ReLU6) -> reduce mean over axes [1,2] keepdims=True; in/out scales differ",
         ["MEAN"], extra_check=check_scales_differ),
    Spec("mean_spatial_nokeepdims", mean_nokeep,
         "Conv -> GlobalAveragePooling2D = MEAN axes [1,2] keepdims=False; in/out scales differ",
         ["MEAN"], extra_check=check_scales_differ),
    Spec("softmax", lambda: single((20,), dense(10), layers.Softmax()),
         "Dense 20 -> 10 -> Softmax; int8 output scale 1/256, zero point -128",
         ["FULLY_CONNECTED", "SOFTMAX"], extra_check=check_softmax_out),
    Spec("uint8_io", lambda: single((9, 7, 5), conv(7, 3, act="relu6")),
         "uint8 model input/output: QUANTIZE uint8->int8, CONV_2D, QUANTIZE int8->uint8",
         ["QUANTIZE", "CONV_2D"], io_type=tf.uint8),
    Spec("float_io", lambda: single((9, 7, 5), conv(7, 3, act="relu6")),
         "float32 model input/output: QUANTIZE float->int8, CONV_2D, DEQUANTIZE",
         ["QUANTIZE", "CONV_2D", "DEQUANTIZE"], io_type=None),
    Spec("pad", lambda: single((9, 11, 5), layers.ZeroPadding2D(((1, 2), (2, 0))), conv(7, 3, pad="valid")),
         "ZeroPadding2D asymmetric ((1,2),(2,0)) -> Conv2D 3x3 VALID; PAD uses the input zero point",
         ["PAD", "CONV_2D"], in_range=OFFSET_RANGE),
    Spec("concat", concat,
         "conv 3x3 ReLU6 -> 7 and conv 1x1 -> 5, Concatenate on channels "
         "(the converter gives both inputs the output's scale, see notes)",
         ["CONV_2D", "CONCATENATION"]),
    Spec("reshape", lambda: single((7, 5, 3), conv(5, 3, act="relu6"), layers.Flatten(), dense(12)),
         "Conv -> Flatten (RESHAPE) -> Dense 175 -> 12",
         ["CONV_2D", "RESHAPE", "FULLY_CONNECTED"]),
    Spec("mixed_small_net", small_net,
         "tiny MobileNetV2-like net, 32x32x3 -> 10 classes (stem s2, expand/dw/project + residual, "
         "s2 block, global mean, dense, softmax)",
         ["CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"]),
    # ---- error-path fixtures
    Spec("float_model", lambda: single((9, 7, 5), conv(7, 3, act="relu6")),
         "ERROR FIXTURE: plain float32 model, no quantization",
         ["CONV_2D"], quantize=False),
    Spec("unsupported_op", lambda: single((9, 7, 5), conv(7, 3), layers.Activation("tanh")),
         "ERROR FIXTURE: int8 model with TANH (unsupported) at op index 1",
         ["CONV_2D", "TANH"]),
]


# ----------------------------------------------------------------- converter

def calibration_data(model, in_range):
    """Deterministic random float inputs, one list (all model inputs) per sample.

    in_range is (lo, hi) for every input, or a list with one (lo, hi) per input.
    """
    rng = np.random.default_rng(SEED)
    shapes = [tuple(t.shape) for t in model.inputs]
    ranges = in_range if isinstance(in_range, list) else [in_range] * len(shapes)
    samples = [[rng.uniform(lo, hi, s).astype(np.float32) for s, (lo, hi) in zip(shapes, ranges)]
               for _ in range(NUM_CALIB)]
    return lambda: iter(samples)


def convert(spec):
    keras.backend.clear_session()          # layer names restart at the same number
    keras.utils.set_random_seed(SEED)
    model = spec.build()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if spec.quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = calibration_data(model, spec.in_range)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if spec.io_type is not None:
            converter.inference_input_type = spec.io_type
            converter.inference_output_type = spec.io_type
        if spec.per_tensor_fc:
            converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    # Keep the console to our own one-line-per-model output: the Keras export
    # prints its signature and the converter warns about input statistics.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return converter.convert()


def write_atomic(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp_")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# --------------------------------------------------------------------- check

def random_input(detail, rng):
    shape, dtype = detail["shape"], detail["dtype"]
    if dtype == np.float32:
        return rng.uniform(-1, 1, shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)


def check(spec, path):
    """Load with the reference kernels, run once, return the op names."""
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) < MAX_BYTES, f"{path} is {len(data)} bytes"
    interp = Interpreter(model_path=path,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    rng = np.random.default_rng(SEED)
    for d in interp.get_input_details():
        assert d["shape"][0] == 1, f"batch size is {d['shape'][0]}"
        interp.set_tensor(d["index"], random_input(d, rng))
    interp.invoke()
    for d in interp.get_output_details():
        interp.get_tensor(d["index"])
    ops = [o["op_name"] for o in interp._get_ops_details()]
    missing = [op for op in spec.expect if op not in ops]
    assert not missing, f"{spec.name}: ops {missing} not in {ops}"
    if spec.extra_check:
        spec.extra_check(interp, data)
    return ops


def check_unloadable(path):
    try:
        interp = Interpreter(model_path=path,
                             experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        interp.allocate_tensors()
    except Exception as e:  # noqa: BLE001 - any load error is what we want
        return f"{type(e).__name__}"
    raise AssertionError(f"{path} unexpectedly loaded")


# -------------------------------------------------------------------- README

README_HEAD = """\
# Small single-op TFLite fixtures

Generated by `make_single_op_models.py` (Keras models, fixed seed {seed},
full-integer post-training quantization with {n} deterministic uniform random
calibration inputs, TFLITE_BUILTINS_INT8, batch size 1). Tests only read these
files; they never import TensorFlow.

Regenerate (needs tensorflow-cpu 2.21 and ai-edge-litert, i.e. `pip install -e .[model,test]`):

    python tests/models/make_single_op_models.py

The script overwrites every file below and this README, then loads each model
with LiteRT's reference kernels (BUILTIN_REF), runs it once and checks the ops.

Calibration range: `[-1, 1]` unless marked `[-0.5, 1.5]`, which gives the input
a non-zero zero point (tests that padding is done with the zero point).
I/O is int8 unless the line says otherwise. Ops are listed in execution order;
ReLU/ReLU6 are fused into the preceding op unless listed.

| file | ops (in order) | bytes | covers |
|---|---|---|---|
"""

README_TAIL = """
Error-path fixtures that do not load:

| file | bytes | covers |
|---|---|---|
| not_a_model.tflite | {nm} | ERROR FIXTURE: a few bytes of text, not a flatbuffer |
| truncated.tflite | {tr} | ERROR FIXTURE: first half of conv_1x1.tflite |

Converter notes (TF {tf}):

- A symmetric `ZeroPadding2D(1)` before a 3x3 VALID conv is folded by the
  converter into a SAME conv (no PAD op), so `pad.tflite` uses asymmetric
  padding, which the converter keeps as a separate PAD op.
- The `Rescaling(3.0)` in add_relu6 (to widen one branch's range) is folded
  into that branch's conv; no MUL op remains. The two ADD inputs keep
  different scales.
- CONCATENATION: the quantizer forces every concat input to the output's
  scale and zero point (it even moves the conv outputs' scales; a graph input
  fed straight into a concat gets the concat's scale too). No variant tried
  (two conv branches, ReLU6 + linear branches, branches also feeding an ADD,
  graph input + conv output) produced a concat with different input scales,
  so concat.tflite has equal scales; different-scale concat needs a
  hand-made model.
- add_two_inputs: the two inputs get different scales only through
  different calibration ranges; the graph has just the ADD.
- Dilated conv stays a single CONV_2D with dilation factors (2, 2).
- `_experimental_disable_per_channel_quantization_for_dense_layers = True`
  gives a single FC weight scale (checked by the script).
"""


def main():
    start = time.time()
    rows = []
    for spec in SPECS:
        path = os.path.join(OUT_DIR, spec.name + ".tflite")
        write_atomic(path, convert(spec))
        ops = check(spec, path)
        size = os.path.getsize(path)
        covers = spec.covers
        if spec.in_range == OFFSET_RANGE:
            covers += "; calib [-0.5, 1.5]"
        rows.append(f"| {spec.name}.tflite | {' '.join(ops)} | {size} | {covers} |")
        print(f"{spec.name + '.tflite':32s} {size:7d} B  {' '.join(ops)}", flush=True)

    nm_path = os.path.join(OUT_DIR, "not_a_model.tflite")
    write_atomic(nm_path, b"this is not a tflite model\n")
    with open(os.path.join(OUT_DIR, "conv_1x1.tflite"), "rb") as f:
        whole = f.read()
    tr_path = os.path.join(OUT_DIR, "truncated.tflite")
    write_atomic(tr_path, whole[: len(whole) // 2])
    for p in (nm_path, tr_path):
        print(f"{os.path.basename(p):32s} {os.path.getsize(p):7d} B  "
              f"fails to load: {check_unloadable(p)}")

    readme = (README_HEAD.format(seed=SEED, n=NUM_CALIB) + "\n".join(rows) + "\n"
              + README_TAIL.format(nm=os.path.getsize(nm_path),
                                   tr=os.path.getsize(tr_path), tf=tf.__version__))
    write_atomic(os.path.join(OUT_DIR, "README.md"), readme.encode())
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f))
                for f in os.listdir(OUT_DIR) if f.endswith(".tflite"))
    print(f"total {total} bytes in {len(SPECS) + 2} files, {time.time() - start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
