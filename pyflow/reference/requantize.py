"""The requantize ending of CONV_2D / DEPTHWISE_CONV_2D / TRANSPOSE_CONV, fast and exact.

``out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + output_offset, act_min, act_max)``
with ``acc = dots + constant[c]`` (``dots``: the raw integer dot products, float32 or float64, exact).
`pyflow.quant` holds the arithmetic; this module evaluates the same function in fewer, cheaper passes.

Per output channel ``c`` the function ``f(acc) = MBQM(acc) + output_offset`` is non-decreasing in ``acc``. Let
``[a0, a1]`` be the accumulators whose outputs lie inside the activation range (found once per layer by bisection on
the exact integer function), with ``f(a0) == act_min`` and ``f(a1) == act_max`` (f does not jump over a bound;
a0, a1 may instead be the ends of the int32 domain). On that range the double rounding folds into one floor (see
`quant.multiply_by_quantized_multiplier`):

    f(acc) = floor(y(acc)) + dtype_min,   y(acc) = acc * M * 2**-S + copysign(2**-(r+1), acc) + 1/2 + output_offset
                                                     - dtype_min,   S = 31 + r

with ``M = multiplier << max(shift, 0)`` and ``r = max(-shift, 0)`` (for r == 0 the copysign term is 0). The
ending computes ``y`` in float64 over the whole tensor, clips it to ``[act_min - dtype_min, act_max - dtype_min]``
and truncates it to the unsigned type (the floor of a non-negative value); an xor removes the ``-dtype_min`` shift.

Why that is exact:
- On ``[a0, a1]`` every float64 operation is exact: each operand and partial sum is an integer multiple of
  ``2**-S`` below ``2**53 * 2**-S`` in magnitude, a bound checked per channel (`_plan`, ``bound``).
- Outside it the clip gives the right value without ``y`` being exact: each float64 operation is monotone, so
  ``y(acc) >= y(a1)`` for ``acc > a1``, whose floor is already ``act_max - dtype_min``; likewise below ``a0``.
- copysign's sign differs from that of ``p = acc * M + 2**30`` (the sign SRDHM's nudge and RoundingDivideByPOT's
  tie-break test) only at ``acc == -1, M == 2**30``, where both give the same floor for r >= 1.
- One-signed channels need no copysign pass: a channel whose output is the same at ``a0`` and at 0 (a ReLU's lower
  bound, typically) is evaluated with ``+2**-(r+1)`` on ``[0, a1]``, and the monotone clip handles ``acc < 0``; one
  whose output is the same at -1 and ``a1`` with ``-2**-(r+1)`` on ``[a0, -1]``.
- When no channel needs the copysign pass and the bound allows, the constant is folded into the offset
  (``y = dots * M * 2**-S + (constant * M * 2**-S + ...)``, one pass less); otherwise it is added to ``dots`` first,
  in float32 when every ``|a0|``, ``|a1|`` and ``|constant|`` is below 2**24 (exact on the range; rounding beyond it
  is monotone and keeps the sign).

Speed (numpy pays per pass and per inner loop): the per-channel constants are tiled to rows of about 4096 values
so that each pass runs long inner loops over a (rows/R, R*C) view instead of C-long ones; the clip bounds are
scalars.

A channel whose output is one value over every accumulator its dot products can reach (given their bound) is
written as that value. Channels that fail a condition use the int64 path of `pyflow.quant` on their columns only.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pyflow import quant
from pyflow.reference._common import FLOAT32_EXACT, dot_bounds, scratch

_EXACT = float(1 << 53)
# A truncating cast of the shifted, non-negative result, and the xor that removes the shift again.
_UNSIGNED = {"int8": (np.uint8, 0x80), "int16": (np.uint16, 0x8000), "uint8": (np.uint8, 0)}
TILE_VALUES = 4096


@dataclass(frozen=True, eq=False)
class RequantPlan:
    """Per-channel constants, each as (C,) and tiled to (R*C,) (index 0 and 1; see `requantize`)."""

    acc_low: np.ndarray  # a0 and a1 per channel (int64), as found by bisection
    acc_high: np.ndarray
    fold: bool  # the constant is part of ``offset``
    constant32: tuple | None  # bias + offset terms in float32 when not folded and exact there (else None)
    constant64: tuple  # the same in float64 (not used when folded)
    scale: tuple  # M * 2**-S, exact
    tie: tuple | None  # 2**-(r+1) on the channels whose sign varies (0 elsewhere); None when there are none
    offset: tuple  # 1/2 + output_offset - dtype_min, the constant tie term, and constant * scale when folded
    clip: tuple  # (act_min - dtype_min, act_max - dtype_min)
    rows: int  # R
    slow: np.ndarray  # indices of the channels on the int64 path
    slow_constant: np.ndarray  # their constants (int64)
    multiplier: np.ndarray
    shift: np.ndarray
    output_offset: int
    act_min: int
    act_max: int
    dtype: str


def _f(acc, multiplier, shift, output_offset):
    return quant.multiply_by_quantized_multiplier(acc, multiplier, shift, "double") + output_offset


def _first_at_least(target, lo, hi, multiplier, shift, output_offset):
    """Per channel: the smallest x in [lo, hi] with f(x) >= target (hi where none), by bisection."""
    lo, hi = lo.copy(), hi.copy()
    while np.any(lo < hi):
        mid = lo + (hi - lo) // 2
        ok = _f(mid, multiplier, shift, output_offset) >= target
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid + 1)
    return lo


@lru_cache(maxsize=512)
def _plan(multiplier_bytes: bytes, shift_bytes: bytes, constant_bytes: bytes, reach_bytes: bytes, output_offset: int,
          act_min: int, act_max: int, dtype: str) -> RequantPlan:
    multiplier = np.frombuffer(multiplier_bytes, np.int64)
    shift = np.frombuffer(shift_bytes, np.int64)
    constant = np.frombuffer(constant_bytes, np.int64)

    def f(acc):
        return _f(acc, multiplier, shift, output_offset)

    left, right = np.maximum(shift, 0), np.maximum(-shift, 0)
    # The accumulator range on which TFLite's int32 ``acc << left`` is defined.
    dom_lo, dom_hi = quant.INT32_MIN >> left, quant.INT32_MAX >> left
    acc_low = _first_at_least(act_min, dom_lo, dom_hi, multiplier, shift, output_offset)
    acc_high = np.where(f(dom_hi) <= act_max, dom_hi,
                        _first_at_least(act_max + 1, dom_lo, dom_hi, multiplier, shift, output_offset) - 1)
    a0, a1 = acc_low, acc_high
    f0, f1 = f(a0), f(a1)
    ok = ((a0 <= a1) & ((a0 == dom_lo) | (f0 == act_min)) & ((a1 == dom_hi) | (f1 == act_max))
          & (f0 >= act_min) & (f1 <= act_max) & (dtype in _UNSIGNED))
    # Fixed channels: over every accumulator the dot products reach (|dots| <= reach), the output is one value
    # (e.g. dead channels: a bias near 2**30 and a shift near -31); the fast path writes it with a zero scale.
    fixed, first = np.zeros(ok.shape, bool), np.zeros(ok.shape, np.int64)
    if reach_bytes:
        reach = np.frombuffer(reach_bytes, np.int64)
        first = np.clip(f(np.clip(constant - reach, dom_lo, dom_hi)), act_min, act_max)
        fixed = first == np.clip(f(np.clip(constant + reach, dom_lo, dom_hi)), act_min, act_max)
    # One-signed channels: the output is act_min on [a0, 0] (or act_max on [-1, a1]), so the range may stop at 0
    # (or -1): the clip gives that value below it (above it).
    a0 = np.where((a0 < 0) & (a1 >= 0) & (f(np.zeros_like(a0)) == act_min) & (f0 == act_min), 0, a0)
    a1 = np.where((a0 < 0) & (a1 >= 0) & (f(np.full_like(a1, -1)) == act_max) & (f1 == act_max), -1, a1)
    tie = np.where(right > 0, np.exp2(-(right + 1).astype(np.float64)), 0.0)
    two_signed = (a0 < 0) & (a1 >= 0) & (tie > 0)
    fixed_tie = np.where(two_signed, 0.0, np.where(a0 >= 0, tie, -tie))
    rest = 0.5 - quant.DTYPE_RANGE[dtype][0] + np.where(fixed, first, output_offset + fixed_tie)
    m = (multiplier << left).astype(np.float64)
    scale_bits = np.exp2((31 + right).astype(np.float64))  # 2**S
    # y * 2**S is an integer; bound its operands and partial sums on [a0, a1] (float64 rounding of these positive
    # integer-valued terms cannot bring a sum at or above 2**53 below it).
    reached = np.maximum(np.abs(a0), np.abs(a1)).astype(np.float64) * m
    bound = reached + 2.0 ** 31 + (np.abs(rest) + 1) * scale_bits
    folded_bound = bound + 2 * np.abs(constant).astype(np.float64) * m
    ok &= bound < _EXACT
    # Slow and fixed channels get neutral constants on the fast path (slow columns are overwritten).
    neutral = fixed | ~ok
    slow = np.flatnonzero(neutral & ~fixed)
    slow_constant = constant[slow]
    a0, a1 = np.where(neutral, 0, a0), np.where(neutral, 0, a1)
    constant = np.where(neutral, 0, constant)
    m = np.where(neutral, 0.0, m)
    two_signed &= ~neutral
    fold = not np.any(two_signed) and bool(np.all((folded_bound < _EXACT) | neutral))
    scale = m / scale_bits
    offset = rest + (constant.astype(np.float64) * m) / scale_bits if fold else rest  # exact: folded_bound
    float32_add = not fold and bool(np.all(np.abs(np.concatenate([a0, a1, constant])) < FLOAT32_EXACT))
    rows = max(1, TILE_VALUES // multiplier.size)
    unshift = -quant.DTYPE_RANGE[dtype][0]

    def both(values, dtype=np.float64):
        values = np.ascontiguousarray(values, dtype)
        return values, np.tile(values, rows)

    return RequantPlan(
        acc_low=acc_low, acc_high=acc_high, fold=fold,
        constant32=both(constant, np.float32) if float32_add else None,
        constant64=both(constant),
        scale=both(scale), tie=both(np.where(two_signed, tie, 0.0)) if np.any(two_signed) else None,
        offset=both(offset), clip=(float(act_min + unshift), float(act_max + unshift)), rows=rows, slow=slow,
        slow_constant=slow_constant, multiplier=multiplier, shift=shift, output_offset=output_offset,
        act_min=act_min, act_max=act_max, dtype=dtype)


def plan(multiplier, shift, constant, output_offset: int, act_min: int, act_max: int, dtype: str,
         reach=None) -> RequantPlan:
    """The plan for ``len(constant)`` output channels (a per-tensor multiplier is repeated); ``reach``: per channel,
    a bound on |dots| (see `pyflow.reference._common.dot_bounds`), when known."""
    constant = np.ascontiguousarray(constant, np.int64).reshape(-1)
    reach = b"" if reach is None else np.ascontiguousarray(reach, np.int64).reshape(-1).tobytes()
    channels = (constant.size,)
    multiplier = np.ascontiguousarray(np.broadcast_to(np.asarray(multiplier, np.int64).reshape(-1), channels))
    shift = np.ascontiguousarray(np.broadcast_to(np.asarray(shift, np.int64).reshape(-1), channels))
    return _plan(multiplier.tobytes(), shift.tobytes(), constant.tobytes(), reach, int(output_offset), int(act_min),
                 int(act_max), dtype)


def conv_plan(p, weights: np.ndarray, x_dtype, out_dtype: str) -> RequantPlan:
    """The plan of a convolution (CONV_2D, DEPTHWISE_CONV_2D) whose output channel c computes the dot products of
    raw ``x_dtype`` inputs with row c of ``weights`` (C, K): the constant is bias + input_offset * sum(w)."""
    constant = p.bias.astype(np.int64) + p.input_offset * weights.sum(axis=1, dtype=np.int64)
    return plan(p.requant.multiplier, p.requant.shift, constant, p.output_offset, p.act_min, p.act_max, out_dtype,
                dot_bounds(weights, x_dtype))


def requantize(dots: np.ndarray, plan: RequantPlan, out: np.ndarray) -> None:
    """``dots``: float32 or float64 (..., C), exact integers (overwritten); ``out``: (..., C) of the plan's dtype."""
    if not (out.flags.c_contiguous and dots.flags.c_contiguous):
        raise ValueError("requantize writes through reshaped views: dots and out must be C-contiguous")
    channels = dots.shape[-1]
    dots, out = dots.reshape(-1, channels), out.reshape(-1, channels)
    if plan.slow.size:
        exact = dots[:, plan.slow].astype(np.int64) + plan.slow_constant
        slow = np.clip(_f(exact, plan.multiplier[plan.slow], plan.shift[plan.slow], plan.output_offset),
                       plan.act_min, plan.act_max)
    if plan.slow.size < channels:
        tiled = len(dots) - len(dots) % plan.rows
        width = plan.rows * channels
        _requantize(dots[:tiled].reshape(-1, width), plan, 1, out[:tiled].reshape(-1, width))
        _requantize(dots[tiled:], plan, 0, out[tiled:])
    if plan.slow.size:
        out[:, plan.slow] = slow


def _requantize(dots: np.ndarray, plan: RequantPlan, k: int, out: np.ndarray) -> None:
    if not dots.size:
        return
    y = scratch("requantize.y", dots.shape, np.float64)
    if plan.fold:
        np.multiply(dots, plan.scale[k], out=y)
        tie = None
    else:
        if plan.constant32 is not None and dots.dtype == np.float32:
            acc = dots
            acc += plan.constant32[k]  # exact on [a0, a1]
        else:
            acc = np.add(dots, plan.constant64[k], out=y)
        tie = None if plan.tie is None else np.copysign(plan.tie[k], acc, out=scratch("requantize.tie", dots.shape,
                                                                                        acc.dtype))
        np.multiply(acc, plan.scale[k], out=y)
    if tie is not None:
        y += tie
    y += plan.offset[k]
    np.clip(y, *plan.clip, out=y)
    unsigned, flip = _UNSIGNED[plan.dtype]
    if flip:
        shifted = scratch("requantize.shifted", dots.shape, unsigned)
        np.copyto(shifted, y, casting="unsafe")
        np.bitwise_xor(shifted, flip, out=out.view(unsigned))
    else:
        np.copyto(out, y, casting="unsafe")
