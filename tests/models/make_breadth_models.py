"""Generate the int8 fixtures of tests/models/breadth/: the ops beyond EfficientNet-lite (issue 10).

Each is a tiny Keras model (fixed seed) converted exactly like make_single_op_models.py (full-integer PTQ, int8
I/O) and checked with LiteRT's reference kernels for the op it exists for. Odd sizes throughout; the broadcast
models cover the shapes squeeze-excite and spatial attention produce ([1,1,1,C] and [1,H,W,1]). ``free_batch``
is converted with the batch dimension left free, as users export Keras applications, so that the converter
emits its SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE chain.

Run (needs the `model` extra: tensorflow-cpu 2.21): ``python tests/models/make_breadth_models.py``; it rewrites
every file in tests/models/breadth/ and its README.md. Tests never import TensorFlow.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

import make_single_op_models as base  # noqa: E402
from make_single_op_models import OFFSET_RANGE, Spec, conv, dense, inp, single  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "breadth")


def calibration_data(model, in_range):
    """As the base script's, with a free batch dimension calibrated at batch 1."""
    rng = np.random.default_rng(base.SEED)
    shapes = [tuple(1 if d is None else d for d in t.shape) for t in model.inputs]
    samples = [[rng.uniform(*in_range, s).astype(np.float32) for s in shapes] for _ in range(base.NUM_CALIB)]
    return lambda: iter(samples)


base.calibration_data = calibration_data  # convert() looks it up at call time


def branches(shape=(9, 11, 6), c=6):
    """Two conv branches of one input with different output ranges."""
    i = inp(shape)
    a = conv(c, 3)(i)
    b = layers.Rescaling(2.5)(conv(c, 1)(i))
    return i, a, b


def se_mul():
    """Squeeze-excite: x * sigmoid(conv(relu(conv(mean(x))))) -- MUL of [1,H,W,C] by [1,1,1,C]."""
    i = inp((9, 11, 6))
    x = conv(12, 3, act="relu6")(i)
    s = keras.ops.mean(x, axis=[1, 2], keepdims=True)
    s = conv(4, 1, act="relu")(s)
    s = conv(12, 1, act="sigmoid")(s)
    return keras.Model(i, layers.Multiply()([x, s]))


def spatial_mul():
    """MUL of [1,H,W,C] by [1,H,W,1] (a one-channel attention map)."""
    i = inp((7, 9, 5))
    x = conv(10, 3)(i)
    a = conv(1, 1, act="sigmoid")(i)
    return keras.Model(i, x * a)


def two(merge, shape=(9, 11, 6)):
    i, a, b = branches(shape)
    return keras.Model(i, merge([a, b]))


def add_broadcast():
    i = inp((7, 9, 5))
    x = conv(8, 3)(i)
    s = conv(8, 1)(keras.ops.mean(i, axis=[1, 2], keepdims=True))
    return keras.Model(i, x + s)


def sub_broadcast():
    i = inp((7, 9, 5))
    x = conv(8, 3)(i)
    s = conv(8, 1)(keras.ops.mean(i, axis=[1, 2], keepdims=True))
    return keras.Model(i, x - s)


def on_input(activation, shape=(9, 7, 5)):
    """An activation applied to the graph input (nothing to fuse it into), then a conv."""
    i = inp(shape)
    return keras.Model(i, conv(6, 3)(activation(i)))


def squeeze():
    """A squeeze of axis 1 with the batch free (TF 2.21 emits RESHAPE for it either way)."""
    i = keras.Input((1, 9, 6))
    x = conv(8, 1)(i)
    return keras.Model(i, dense(5)(keras.ops.squeeze(x, axis=1)))


def free_batch():
    """Conv -> Flatten -> Dense with the batch left free (None)."""
    i = keras.Input((7, 5, 3))
    x = conv(5, 3, act="relu6")(i)
    x = layers.Reshape((-1,))(x)
    return keras.Model(i, dense(12)(x))


def resize_align_corners():
    """Bilinear upsampling with align_corners (TF1 semantics, a Lambda over tf.compat.v1)."""
    i = inp((5, 7, 6))
    x = conv(8, 3)(i)
    x = layers.Lambda(lambda t: tf.compat.v1.image.resize_bilinear(t, (11, 13), align_corners=True))(x)
    return keras.Model(i, x)


def resize_nearest_align_corners():
    i = inp((5, 7, 6))
    x = conv(8, 3)(i)
    x = layers.Lambda(lambda t: tf.compat.v1.image.resize_nearest_neighbor(t, (11, 13), align_corners=True))(x)
    return keras.Model(i, x)


def transpose_conv(kernel, strides, padding):
    i = inp((5, 7, 6))
    x = conv(8, 3)(i)
    x = layers.Conv2DTranspose(5, kernel, strides=strides, padding=padding, bias_initializer=base.rand_init())(x)
    return keras.Model(i, x)


SPECS = [
    Spec("hard_swish", lambda: single((9, 7, 5), conv(6, 3), layers.Activation("hard_swish")),
         "Conv -> hard-swish (HARD_SWISH)", ["HARD_SWISH"]),
    Spec("hard_swish_wide", lambda: single((7, 9, 5), conv(6, 3), layers.Rescaling(20.0),
                                           layers.Activation("hard_swish")),
         "HARD_SWISH on a wide input range (the reluish left-shift path)", ["HARD_SWISH"]),
    Spec("logistic", lambda: single((9, 7, 5), conv(6, 3), layers.Activation("sigmoid")),
         "Conv -> sigmoid (LOGISTIC)", ["LOGISTIC"]),
    Spec("swish", lambda: single((9, 7, 5), conv(6, 3), layers.Activation("swish")),
         "Conv -> swish = x * sigmoid(x) (LOGISTIC, MUL)", ["LOGISTIC", "MUL"]),
    Spec("mul_se", se_mul, "squeeze-excite: MEAN keepdims, 1x1 convs, LOGISTIC, MUL [1,H,W,C] x [1,1,1,C]",
         ["MEAN", "LOGISTIC", "MUL"]),
    Spec("mul_spatial", spatial_mul, "MUL [1,H,W,C] x [1,H,W,1]", ["MUL"]),
    Spec("mul_same", lambda: two(layers.Multiply()), "MUL of two same-shape branches", ["MUL"]),
    Spec("sub_same", lambda: two(layers.Subtract()), "SUB of two same-shape branches", ["SUB"]),
    Spec("sub_broadcast", sub_broadcast, "SUB [1,H,W,C] - [1,1,1,C]", ["SUB"]),
    Spec("add_broadcast", add_broadcast, "ADD [1,H,W,C] + [1,1,1,C]", ["ADD"]),
    Spec("maximum", lambda: two(layers.Maximum()), "MAXIMUM of two branches", ["MAXIMUM"]),
    Spec("minimum", lambda: two(layers.Minimum()), "MINIMUM of two branches", ["MINIMUM"]),
    Spec("relu", lambda: on_input(layers.ReLU()), "standalone RELU on the graph input", ["RELU"],
         in_range=OFFSET_RANGE),
    Spec("relu6", lambda: on_input(layers.ReLU(6.0)), "standalone RELU6 on the graph input", ["RELU6"],
         in_range=(-3.0, 8.0)),
    Spec("relu_n1_to_1", lambda: on_input(lambda x: keras.ops.clip(x, -1.0, 1.0)),
         "standalone RELU_N1_TO_1 (clip to [-1, 1]) on the graph input", ["RELU_N1_TO_1"], in_range=(-2.0, 2.5)),
    Spec("leaky_relu", lambda: on_input(layers.LeakyReLU(0.2)), "LEAKY_RELU alpha 0.2 on the graph input",
         ["LEAKY_RELU"], in_range=OFFSET_RANGE),
    Spec("resize_nearest", lambda: single((5, 7, 6), conv(8, 3), layers.Lambda(
        lambda t: tf.image.resize(t, (10, 14), method="nearest"))),
         "RESIZE_NEAREST_NEIGHBOR x2 (TF2: half-pixel centers)", ["RESIZE_NEAREST_NEIGHBOR"]),
    Spec("resize_nearest_align_corners", resize_nearest_align_corners,
         "RESIZE_NEAREST_NEIGHBOR 5x7 -> 11x13 with align_corners", ["RESIZE_NEAREST_NEIGHBOR"]),
    Spec("resize_bilinear", lambda: single((5, 7, 6), conv(8, 3), layers.UpSampling2D(2, interpolation="bilinear")),
         "RESIZE_BILINEAR x2 (half-pixel centers)", ["RESIZE_BILINEAR"]),
    Spec("resize_bilinear_align_corners", resize_align_corners,
         "RESIZE_BILINEAR 5x7 -> 11x13 with align_corners", ["RESIZE_BILINEAR"]),
    Spec("transpose_conv_s2_same", lambda: transpose_conv(3, 2, "same"),
         "TRANSPOSE_CONV 3x3 stride 2 SAME, 5x7x8 -> 10x14x5, bias", ["TRANSPOSE_CONV"], in_range=OFFSET_RANGE),
    Spec("transpose_conv_s2_valid", lambda: transpose_conv(4, 2, "valid"),
         "TRANSPOSE_CONV 4x4 stride 2 VALID, 5x7x8 -> 12x16x5", ["TRANSPOSE_CONV"]),
    Spec("squeeze_free_batch", squeeze, "a squeeze with the batch free: the converter emits RESHAPE and a shape "
         "chain with GATHER, REDUCE_PROD, CONCATENATION, PACK (not SQUEEZE)",
         ["SHAPE", "GATHER", "REDUCE_PROD", "PACK", "RESHAPE"]),
    Spec("free_batch", free_batch, "batch left free: SHAPE, STRIDED_SLICE, PACK feed the RESHAPE",
         ["SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"]),
]


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    start = time.time()
    rows = []
    for spec in SPECS:
        path = os.path.join(OUT_DIR, spec.name + ".tflite")
        base.write_atomic(path, base.convert(spec))
        ops = base.check(spec, path)
        size = os.path.getsize(path)
        rows.append(f"| {spec.name}.tflite | {' '.join(ops)} | {size} | {spec.covers} |")
        print(f"{spec.name + '.tflite':28s} {size:7d} B  {' '.join(ops)}", flush=True)
    readme = ("# Fixtures for the ops beyond EfficientNet-lite\n\nGenerated by `../make_breadth_models.py` "
              f"(TF {tf.__version__}, seed {base.SEED}, int8 I/O, full-integer PTQ). Tests only read them.\n\n"
              "| file | ops (in order) | bytes | covers |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")
    base.write_atomic(os.path.join(OUT_DIR, "README.md"), readme.encode())
    print(f"{len(SPECS)} models in {time.time() - start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
