"""The space-to-depth stem (pyflow/hls/stem.py): a stride-2 conv over an image equals the stride-1 conv over its
2x2 blocks with the rearranged kernel, on the reference's own conv (bit-exact with TFLite) as the oracle."""
import numpy as np
import pytest

from pyflow.hls import stem
from pyflow.ir import ConvParams, Padding, Requant
from pyflow.reference.conv import conv


def _params(w, bias, pad: Padding, stride: int) -> ConvParams:
    oc = w.shape[0]
    rq = Requant(np.full(oc, 1 << 30, np.int32), np.full(oc, -6, np.int32), np.full(oc, 2.0 ** -7))
    return ConvParams((stride, stride), (1, 1), pad, "SAME", w, bias, 7, -3, rq, -128, 127)


@pytest.mark.parametrize("k, top, left, h, w", [(3, 0, 0, 224 // 8, 224 // 8), (3, 1, 1, 18, 14), (5, 2, 1, 20, 16),
                                                 (7, 3, 2, 22, 24), (2, 0, 1, 10, 12), (4, 1, 2, 16, 10)])
def test_block_conv_equals_the_stride_2_conv(k, top, left, h, w):
    rng = np.random.default_rng(k * 100 + top * 10 + left)
    c, oc = 3, 8
    x = rng.integers(-128, 128, (2, h, w, c), dtype=np.int8)
    wts = rng.integers(-128, 128, (oc, k, k, c), dtype=np.int8)
    wts[0] = -128  # an all-extreme output channel
    bias = rng.integers(-5000, 5000, oc, dtype=np.int32)
    bottom, right = max(k - 1 - top, 0), max(k - 1 - left, 0)
    oh, ow = (h + top + bottom - k) // 2 + 1, (w + left + right - k) // 2 + 1
    want = conv(x, _params(wts, bias, Padding(top, bottom, left, right), 2), (2, oh, ow, oc))
    g = stem.conv_geometry(k, k, top, left)
    xb = stem.to_input_layout(x)
    assert xb.shape == stem.block_shape(x.shape) == (2, h // 2, w // 2, 4 * c)
    wb = stem.weights(wts, top, left)
    assert wb.shape == (oc, g["k_h"], g["k_w"], 4 * c) and wb.sum(dtype=np.int64) == wts.sum(dtype=np.int64)
    pad = Padding(g["pad_top"], g["k_h"], g["pad_left"], g["k_w"])  # enough rows / columns below and right
    got = conv(xb, _params(wb, bias, pad, 1), (2, oh, ow, oc))
    assert np.array_equal(got, want)


def test_block_layout_is_space_to_depth_order():
    x = np.arange(2 * 4 * 6 * 3, dtype=np.int64).reshape(2, 4, 6, 3)
    xb = stem.to_input_layout(x)
    for n, y, xx, dy, dx, c in [(0, 0, 0, 0, 0, 0), (1, 1, 2, 1, 0, 2), (0, 1, 1, 1, 1, 1), (1, 0, 2, 0, 1, 0)]:
        assert xb[n, y, xx, (dy * 2 + dx) * 3 + c] == x[n, 2 * y + dy, 2 * xx + dx, c]
