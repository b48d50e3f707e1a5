"""The C++ requantization (hls/src/requant.h) equals pyflow.quant — the arithmetic that is bit-exact with the
oracles — on edge and random values, in both roundings the engine can be compiled with."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from conftest import ROOT
from pyflow import quant

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


def _cases():
    rng = np.random.default_rng(11)
    xs = [0, 1, -1, 2, -2, 127, -128, 65535, -65536, (1 << 24) - 1, -(1 << 24), (1 << 30) - 1, -(1 << 30)]
    rows = []
    for shift in (-31, -24, -13, -8, -3, -1, 0, 1, 3):
        limit = 1 << (30 - max(shift, 0))
        values = xs + [int(v) for v in rng.integers(-limit, limit, 300)]
        for m in (0, 1, 1 << 30, 1518500250, 2147483647, int(rng.integers(1 << 30, 1 << 31))):
            for x in values:
                if abs(x) < limit:
                    rows.append((x, m, shift))
    return np.array(rows, dtype=np.int64)


@pytest.mark.parametrize("rounding, define", [("double", []), ("single", ["-DPYFLOW_SINGLE_ROUNDING"])])
def test_cpp_requant_equals_python(tmp_path, rounding, define):
    binary = tmp_path / "requant_driver"
    subprocess.run(["g++", "-O2", "-std=c++14", *define, "-I", str(ROOT / "hls" / "src"),
                    str(ROOT / "tests" / "cpp" / "requant_driver.cpp"), "-o", str(binary)], check=True)
    cases = _cases()
    if rounding == "single":
        cases = cases[(cases[:, 1] > 0)]
    scales = np.random.default_rng(5).uniform(1e-6, 3e-3, len(cases))
    text = "".join(f"{x} {m} {s} {sc!r}\n" for (x, m, s), sc in zip(cases.tolist(), scales.tolist()))
    out = subprocess.run([str(binary)], input=text, capture_output=True, text=True, check=True).stdout
    got = np.array([line.split() for line in out.splitlines()], dtype=np.int64)
    x, m, s = cases[:, 0], cases[:, 1], cases[:, 2]
    np.testing.assert_array_equal(got[:, 0], quant.multiply_by_quantized_multiplier(x, m, s, rounding))
    small = s <= 0
    np.testing.assert_array_equal(got[small, 1], quant.multiply_by_quantized_multiplier_smaller_than_one(
        x[small], m[small], s[small], rounding))
    np.testing.assert_array_equal(got[:, 2], quant.requantize_double(x, scales))
