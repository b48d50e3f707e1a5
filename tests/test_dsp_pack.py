"""Two int8 MACs per DSP48E2 (hls/src/dsp_pack.h) are exact: every int8 product, all-extreme tiles (every lane
-128 x -128 and the like) and random tiles, with the csim integer types and with the ap_int types synthesis uses."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import ROOT
from pyflow.hls.csim import hls_include_dir

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


@pytest.mark.parametrize("types, define", [("csim integers", []), ("ap_int (synthesis)", ["-DPYFLOW_PACK_AP"])])
def test_packed_products_are_exact(tmp_path, types, define):
    include, _ = hls_include_dir()
    binary = tmp_path / "dsp_pack_driver"
    subprocess.run(["g++", "-O2", "-std=c++14", *define, "-I", str(ROOT / "hls" / "src"), "-isystem", str(include),
                    str(ROOT / "tests" / "cpp" / "dsp_pack_driver.cpp"), "-o", str(binary)], check=True)
    out = subprocess.run([str(binary)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and out.stdout.startswith("ok "), out.stdout
    assert int(out.stdout.split()[1]) == 256 ** 3 + 6 ** 3 * 2 + 200_000


def test_a_group_of_eight_overflows_on_the_extreme_tile(tmp_path):
    """Why PACK_GROUP is 4: with 8 products per group, 8 x (-128 x -128) = 2^17 leaves the signed 18-bit low field
    and the split is wrong -- the driver must catch it on an all-extreme tile."""
    include, _ = hls_include_dir()
    binary = tmp_path / "dsp_pack_8"
    subprocess.run(["g++", "-O2", "-std=c++14", "-DPACK_GROUP=8", "-I", str(ROOT / "hls" / "src"), "-isystem",
                    str(include), str(ROOT / "tests" / "cpp" / "dsp_pack_driver.cpp"), "-o", str(binary)], check=True)
    out = subprocess.run([str(binary)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 1 and out.stdout.startswith("FAIL dot"), out.stdout
