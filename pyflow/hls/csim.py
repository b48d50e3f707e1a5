"""C simulation of the layer engine: generate -> compile (cached) -> run the testbench per image -> results.

    x = load_inputs(["golden/inputs/chelsea.png"], graph.input)[0].data   # pyflow.inputs: int8 for this model
    result = run_csim("models/efficientnet-lite0-int8.tflite", "build/efficientnet-lite0-int8", x)
    result.passed, result.layers[i].result, result.compile_seconds, result.run_seconds

Everything goes under <build_dir>/hls. The testbench binary is cached under <build_dir>/hls/csim/, named by a
hash of every kernel/testbench source, the generated config header, the ap_types headers, the compiler version,
the flavor and the flags; it is rebuilt only when one of those changes.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pyflow.errors import FlowError
from pyflow.fileio import staged_dir
from pyflow.hls.codegen import Plan, generate, write_vectors
from pyflow.hls.config import EngineConfig
from pyflow.hls.render import HLS_DIR
from pyflow.reference import check_flavor
from pyflow.reference.runner import run as run_reference
from pyflow.table import format_rows
from pyflow.tflite_reader import read_model

CXX_FLAGS = ("-O2", "-std=c++14", "-Wall", "-Wextra")
# Off, with the reason: loop labels name the loops for Vitis (no goto uses them); HLS pragmas are unknown to g++;
# GCC 12 reports the default constructors of ap_private (Xilinx's ap_types, included with -isystem) as
# uninitialized through inlining -- middle-end warnings ignore -isystem once inlined into our functions.
CXX_QUIET = ("-Wno-unused-label", "-Wno-unknown-pragmas", "-Wno-uninitialized", "-Wno-maybe-uninitialized")
RESULT_MARKER = "TB RESULT:"


@dataclass
class LayerResult:
    layer: int
    op: str
    where: str  # engine | host
    bytes: int
    mismatches: int
    result: str  # PASS | FAIL | NO VECTOR | NO INPUT
    iterations: dict = field(default_factory=dict)  # pipelined-loop iteration counts (engine layers)
    access: dict = field(default_factory=dict)  # loop -> array -> [reads, writes]: most of one bank in one iteration
    access_violations: list = field(default_factory=list)  # what the on-chip access check found


@dataclass
class ImageResult:
    index: int
    passed: bool
    returncode: int
    seconds: float
    layers: list[LayerResult]
    stdout: str


@dataclass
class CsimResult:
    passed: bool
    images: list[ImageResult]
    build_dir: Path
    binary: Path
    compiled: bool  # False when the cached binary was reused
    compile_seconds: float
    include_dir: Path
    include_source: str

    @property
    def layers(self) -> list[LayerResult]:
        return self.images[0].layers if self.images else []

    @property
    def run_seconds(self) -> list[float]:
        return [im.seconds for im in self.images]


def hls_include_dir() -> tuple[Path, str]:
    """Where ap_int.h / hls_stream.h come from: $XILINX_HLS/include, else hls4ml's bundled ap_types."""
    xilinx = os.environ.get("XILINX_HLS")
    if xilinx and (Path(xilinx) / "include" / "ap_int.h").is_file():
        return Path(xilinx) / "include", "XILINX_HLS"
    spec = importlib.util.find_spec("hls4ml")  # locate without importing (hls4ml pulls in heavy deps)
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            path = Path(base) / "templates" / "vivado" / "ap_types"
            if (path / "ap_int.h").is_file():
                return path, "hls4ml"
    raise FlowError("no Xilinx HLS headers (ap_int.h): set XILINX_HLS to a Vitis HLS install or "
                    "`pip install hls4ml==1.3.0` (its templates/vivado/ap_types directory is used)")


# The generated headers the binary depends on; engine_depth.h (per model) only feeds the m_axi depth pragmas,
# which g++ ignores, so one binary serves every model of a configuration.
GENERATED_HEADERS = ("engine_config.h", "engine_desc.h", "engine_loops.h")


def _sources() -> list[Path]:
    return sorted((HLS_DIR / "src").glob("*.h")) + sorted((HLS_DIR / "src").glob("*.cpp")) + \
        sorted((HLS_DIR / "tb").glob("*.h")) + sorted((HLS_DIR / "tb").glob("*.cpp")) + \
        sorted((HLS_DIR / "host").glob("*.cpp"))


# What each build links: the testbench executable, or engine_top as a shared library for pyflow.runtime (the
# engine, the csim access checker, and the C entry points of hls/host/engine_lib.cpp).
_UNITS = {"tb": lambda: [HLS_DIR / "src" / "engine.cpp"] + sorted((HLS_DIR / "tb").glob("*.cpp")),
          "lib": lambda: [HLS_DIR / "src" / "engine.cpp", HLS_DIR / "tb" / "onchip_check.cpp",
                          HLS_DIR / "host" / "engine_lib.cpp"]}
_KIND_FLAGS = {"tb": (), "lib": ("-fPIC",)}
_LINK_FLAGS = {"tb": (), "lib": ("-shared",)}


def _ap_headers(include: Path) -> list[Path]:
    """The ap_types headers a compile can read (ap_int.h, ap_fixed.h, hls_*.h and their etc/ helpers)."""
    found = [p for p in include.glob("ap_*.h")] + [p for p in include.glob("hls_*.h")]
    etc = include / "etc"
    if etc.is_dir():
        found += [p for p in etc.glob("*.h")]
    return sorted(p for p in found if p.is_file())


def _compiler_version(cxx: str) -> bytes:
    proc = subprocess.run([cxx, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.stdout


def compile_testbench(hls_build: Path, flavor: str, log: Callable[[str], None] = print,
                      cache_dir: Path | None = None, defines: Sequence[str] = ()) -> tuple[Path, bool, float]:
    """Compile engine + testbench with g++ unless a binary for exactly these inputs exists (see _compile)."""
    return _compile("tb", hls_build, flavor, log, cache_dir, defines)


def compile_engine_library(hls_build: Path, flavor: str, log: Callable[[str], None] = print,
                           cache_dir: Path | None = None) -> tuple[Path, bool, float]:
    """engine_top as a shared library (``engine_<flavor>_<hash>.so``) for pyflow.runtime's csim backend, cached
    like the testbench."""
    return _compile("lib", hls_build, flavor, log, cache_dir, ())


def _compile(kind: str, hls_build: Path, flavor: str, log: Callable[[str], None], cache_dir: Path | None,
             defines: Sequence[str]) -> tuple[Path, bool, float]:
    """Compile a ``kind`` build (_UNITS) with g++ unless one for exactly these inputs exists.

    The binary depends only on the sources, the generated headers (config, descriptor, loop ids), the ap_types
    headers (content), the compiler (``$CXX --version``), flavor, ``defines`` (test builds, e.g.
    PYFLOW_FAULT_WRITE_PAST_END) and flags (descriptors, parameter image and vectors are read at run time), so one
    ``cache_dir`` can serve many models. Object files get unique temporary names (concurrent compiles of the same
    key do not collide) and are always removed.
    """
    cxx = shutil.which(os.environ.get("CXX", "g++"))
    if cxx is None:
        raise FlowError("g++ not found: install a C++14 compiler (e.g. apt-get install g++) or set CXX")
    include, _ = hls_include_dir()
    defines = (["-DPYFLOW_FLAVOR_TFLM"] if flavor == "tflm" else []) + [f"-D{name}" for name in defines]
    generated = [hls_build / "include" / name for name in GENERATED_HEADERS]
    digest = hashlib.sha256()
    for path in _sources() + generated:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in _ap_headers(include):
        digest.update(str(path.relative_to(include)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(_compiler_version(cxx) + b"\0")
    flags = (*CXX_FLAGS, *_KIND_FLAGS[kind], *CXX_QUIET, *defines)
    digest.update(" ".join([kind, cxx, str(include), *flags, *_LINK_FLAGS[kind]]).encode())
    csim_dir = Path(cache_dir) if cache_dir is not None else hls_build / "csim"
    name = f"tb_{flavor}_{digest.hexdigest()[:16]}" if kind == "tb" else f"engine_{flavor}_{digest.hexdigest()[:16]}.so"
    binary = csim_dir / name
    if binary.is_file():
        return binary, False, 0.0
    csim_dir.mkdir(parents=True, exist_ok=True)
    includes = ["-I", str(HLS_DIR / "src"), "-I", str(hls_build / "include"), "-isystem", str(include)]
    start = time.perf_counter()
    temporaries: list[Path] = []

    def temporary(suffix: str) -> Path:
        fd, name = tempfile.mkstemp(prefix=f".{binary.name}.", suffix=suffix, dir=csim_dir)
        os.close(fd)
        temporaries.append(Path(name))
        return Path(name)

    try:
        # The translation units compiled in parallel, then linked.
        objects, procs = [], []
        for src in _UNITS[kind]():
            obj = temporary(f".{src.stem}.o")
            objects.append(obj)
            procs.append((src, subprocess.Popen([cxx, *flags, *includes, "-c", str(src), "-o",
                                                 str(obj)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                text=True)))
        errors, warnings = [], []
        for src, proc in procs:
            out, _ = proc.communicate()
            if proc.returncode:
                errors.append(f"{src.name}:\n{out}")
            elif out.strip():
                warnings.append(out.strip())
        if errors:
            raise FlowError("csim compile failed:\n" + "\n".join(errors))
        for text in warnings:
            log(f"csim: compiler warnings:\n{text}")
        tmp = temporary(".bin")
        link = subprocess.run([cxx, *_LINK_FLAGS[kind], *map(str, objects), "-o", str(tmp)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if link.returncode:
            raise FlowError("csim link failed:\n" + link.stdout)
        os.chmod(tmp, 0o755)
        os.replace(tmp, binary)
    finally:
        for path in temporaries:
            path.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    log(f"csim: compiled {binary.name} in {seconds:.1f} s (headers: {include})")
    return binary, True, seconds


def as_model_batch(graph, inputs) -> np.ndarray:
    """Arrays already in the model's input dtype (one image or a batch, or a list of images) -> (N, ...) batch.
    int8/uint8 models take int8/uint8 arrays; a float32 model input (QUANTIZE at the input, run on the csim host)
    takes float32 arrays.

    There is no preprocessing here: build inputs with pyflow.inputs (load_inputs / quantize_photo)."""
    if isinstance(inputs, (list, tuple)):
        inputs = np.stack([np.asarray(a) for a in inputs])
    x = np.asarray(inputs)
    want = tuple(graph.input.shape[1:])
    if x.shape == want:
        x = x[None]
    if tuple(x.shape[1:]) != want:
        raise FlowError(f"input has shape {x.shape}; model '{graph.name}' expects (N, {', '.join(map(str, want))})")
    dtype = graph.input.dtype
    if x.dtype != np.dtype(dtype):
        hint = ("a float model takes float32 values (cast them: x.astype(np.float32))" if dtype == "float32" else
                "quantize photos first (pyflow.inputs.load_inputs / quantize_photo)")
        raise FlowError(f"input dtype {x.dtype} does not match the model input {dtype}; {hint}")
    return x


def run_testbench(binary: Path, hls_build: Path, vec_dir: Path, layers: str | None = None,
                  dump_dir: Path | None = None) -> ImageResult:
    """Run the compiled testbench on one vector directory (per-layer JSON lines land in vec_dir).

    The report of a previous run is removed first; rows are read back only when the testbench printed its
    ``TB RESULT`` line (a crash or an early failure gives no rows)."""
    report = vec_dir / "csim_layers.jsonl"
    report.unlink(missing_ok=True)
    cmd = [str(binary), str(hls_build), "--vectors", str(vec_dir), "--report", str(report)]
    if layers:
        cmd += ["--layers", layers]
    if dump_dir is not None:
        Path(dump_dir).mkdir(parents=True, exist_ok=True)
        cmd += ["--dump", str(dump_dir)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    finished = any(line.startswith(RESULT_MARKER) for line in lines)
    rows = []
    if finished and report.is_file():
        for line in report.read_text().splitlines():
            r = json.loads(line)
            rows.append(LayerResult(r["layer"], r["op"], r["where"], r["bytes"], r["mismatches"], r["result"],
                                    r["iterations"], r.get("access", {}), r.get("access_violations", [])))
    passed = proc.returncode == 0 and bool(lines) and lines[-1] == f"{RESULT_MARKER} PASS"
    return ImageResult(int(vec_dir.name) if vec_dir.name.isdigit() else 0, passed, proc.returncode, seconds, rows,
                       proc.stdout)


def _layer_range(layers, count: int) -> str | None:
    """None (all layers) or "A:B" with 0 <= A < B <= count; anything else is a FlowError."""
    if layers is None:
        return None
    if isinstance(layers, range):
        start, stop = layers.start, layers.stop
    elif isinstance(layers, str):
        parts = layers.split(":")
        try:
            start = int(parts[0]) if parts[0] else 0
            stop = int(parts[1]) if len(parts) == 2 and parts[1] else count
        except ValueError:
            start = stop = -1
        if len(parts) != 2:
            start = stop = -1
    else:
        start, stop = layers
    if not 0 <= start < stop <= count:
        raise FlowError(f"layer range '{layers}' is not A:B with 0 <= A < B <= {count} (the model has {count} layers)")
    return f"{start}:{stop}"


def prepare(model_path, build_dir, inputs, layers=None, flavor: str = "litert",
            config: EngineConfig = EngineConfig()) -> tuple[Path, list[Path], str | None]:
    """Generate everything a simulation needs under <build_dir>/hls (headers, layer table, parameter image,
    one vector directory per image); return (hls build dir, vector dirs, validated layer range)."""
    check_flavor(flavor)
    graph = read_model(Path(model_path))
    layer_range = _layer_range(layers, len(graph.ops))
    x = as_model_batch(graph, inputs)
    hls_build = Path(build_dir) / "hls"
    with staged_dir(hls_build) as stage:  # all of it, or none of it (the compiled-binary cache stays)
        pl: Plan = generate(graph, stage, config, flavor)
        values = run_reference(graph, x, flavor)
        for k in range(x.shape[0]):
            write_vectors(pl, values, k, stage)
    return hls_build, [hls_build / "vectors" / str(k) for k in range(x.shape[0])], layer_range


def run_csim(model_path, build_dir, inputs, layers=None, flavor: str = "litert",
             config: EngineConfig = EngineConfig(), log: Callable[[str], None] = print,
             cache_dir=None, dump: bool = False, defines: Sequence[str] = ()) -> CsimResult:
    """Generate, compile (cached) and run the csim testbench on every image of ``inputs``.

    inputs: one image or a batch in the model's input dtype, or a list of arrays (pyflow.inputs builds them).
    layers: None (all), "A:B", (A, B) or range(A, B): layer positions A..B-1 (inputs of A from the vectors).
    Writes under <build_dir>/hls; the compiled testbench is cached in ``cache_dir`` (default <build_dir>/hls/csim).
    dump: also write every layer's engine/host output to <build_dir>/hls/vectors/<k>/csim_out/.
    defines: preprocessor names for test builds (e.g. PYFLOW_FAULT_WRITE_PAST_END).
    Raises FlowError on generation/compile problems; mismatches are reported in the result (``passed`` False),
    not raised.
    """
    hls_build, vec_dirs, layer_range = prepare(model_path, build_dir, inputs, layers, flavor, config)
    include, source = hls_include_dir()
    binary, compiled, compile_seconds = compile_testbench(hls_build, flavor, log, cache_dir, defines)
    result = CsimResult(True, [], hls_build, binary, compiled, compile_seconds, include, source)
    for vdir in vec_dirs:
        im = run_testbench(binary, hls_build, vdir, layer_range, vdir / "csim_out" if dump else None)
        result.images.append(im)
        result.passed &= im.passed
        log(f"csim image {im.index}: {len(im.layers)} layers in {im.seconds:.2f} s")
        log(format_table(im.layers))
        log(im.stdout.strip().splitlines()[-1] if im.stdout.strip() else "TB RESULT: FAIL no output")
        if not im.passed:
            for line in im.stdout.splitlines():
                if line.startswith(("MISMATCH", "ERROR", "GUARD", "ACCESS")):
                    log(line)
    return result


CHUNK_IMAGES = 2  # images per Dask task: the testbench binary and the model are set up once per worker


def csim_chunk(shared, chunk) -> tuple[list[ImageResult], bool, float]:
    """A Dask task (pyflow.scaleout): C simulation of a few images on a worker. The model is written and the
    testbench compiled once per worker (its local directory, the binary cache keyed by its inputs); the images
    keep their positions in the whole run."""
    from distributed import get_worker

    from pyflow.scaleout import shared_model_file

    model, flavor, config, layers = shared
    start, x = chunk
    root = Path(get_worker().local_directory) / "pyflow-csim" / model.sha256[:16]
    model_path = shared_model_file(model)
    work = root / f"images-{start}"
    try:
        result = run_csim(model_path, work, x, layers, flavor, config, log=lambda *_: None, cache_dir=root / "bin")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for k, image in enumerate(result.images):
        image.index = start + k
    return result.images, result.compiled, result.compile_seconds


def run_csim_distributed(pool, model_path, build_dir, inputs, layers=None, flavor: str = "litert",
                         config: EngineConfig = EngineConfig(), log: Callable[[str], None] = print) -> CsimResult:
    """run_csim with the images split over the workers of ``pool`` (pyflow.scaleout.Pool); the same CsimResult,
    images in input order."""
    from pyflow.scaleout import ModelBytes

    check_flavor(flavor)
    graph = read_model(Path(model_path))
    layer_range = _layer_range(layers, len(graph.ops))
    x = as_model_batch(graph, inputs)
    shared = (ModelBytes(graph.name, Path(model_path).read_bytes()), flavor, config, layer_range)
    starts = list(range(0, x.shape[0], CHUNK_IMAGES))
    chunks = [(start, x[start:start + CHUNK_IMAGES]) for start in starts]
    names = [[f"image {k}" for k in range(start, min(start + CHUNK_IMAGES, x.shape[0]))] for start in starts]
    include, source = hls_include_dir()
    result = CsimResult(True, [], Path(build_dir) / "hls", Path("(built on each worker)"), False, 0.0, include,
                        source)
    for images, compiled, seconds in pool.map(csim_chunk, shared, chunks, names, desc="csim"):
        result.compiled |= compiled
        result.compile_seconds = max(result.compile_seconds, seconds)
        for im in images:
            result.images.append(im)
            result.passed &= im.passed
            log(f"csim image {im.index}: {len(im.layers)} layers in {im.seconds:.2f} s"
                + ("" if im.passed else " -- FAIL"))
    return result


def format_table(rows: Sequence[LayerResult]) -> str:
    out = [f"{'layer':>5}  {'op':<18} {'where':<6} {'bytes':>9}  result"]
    for r in rows:
        out.append(f"{r.layer:>5}  {r.op:<18} {r.where:<6} {r.bytes:>9}  {r.result}"
                   + (f" ({r.mismatches} mismatches)" if r.mismatches else ""))
    return "\n".join(out)


def summary_table(result: CsimResult) -> str:
    """One row per layer over every image: where it ran, bytes compared in total, and the verdict."""
    if not result.images:
        return "no image was simulated"
    rows = [("layer", "op", "ran on", "bytes compared", "result")]
    for position, first in enumerate(result.layers):
        per_image = [im.layers[position] for im in result.images if position < len(im.layers)]
        if first.where == "fused":
            rows.append((str(first.layer), first.op, "fused", "-", "runs in the next step"))
            continue
        failed = [r for r in per_image if r.result != "PASS"]
        verdict = "PASS" if not failed and len(per_image) == len(result.images) else \
            f"FAIL ({len(failed)} of {len(result.images)} images: {failed[0].result if failed else 'missing'})"
        rows.append((str(first.layer), first.op, first.where, f"{sum(r.bytes for r in per_image):,}", verdict))
    return format_rows(rows, right=(0, 3))
