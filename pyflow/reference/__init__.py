"""Vectorized numpy fixed-point reference of TensorFlow Lite's integer reference kernels.

One module per op family, each with the same shape (tflite-micro style): parameters from the IR, the integer
loops as array arithmetic, the requantize ending from `pyflow.quant`. Every function takes a batch (NHWC, the
model's integer dtype) and returns the output in the same dtype. ``flavor`` selects which runtime to be
bit-exact with: ``litert`` (LiteRT's BUILTIN_REF kernels) or ``tflm`` (TensorFlow Lite Micro); they differ
only in FULLY_CONNECTED (see `pyflow.quant`).
"""
from pyflow.errors import FlowError

FLAVORS = ("litert", "tflm")


def check_flavor(flavor: str, what: str = "flavor") -> str:
    """The one validation of a flavor name (also an oracle name: each flavor has the oracle of the same name)."""
    if flavor not in FLAVORS:
        raise FlowError(f"unknown {what} '{flavor}'; choose one of {', '.join(FLAVORS)}")
    return flavor
