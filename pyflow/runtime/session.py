"""`invoke run`: inputs through the host runtime on a backend, with per-layer times, the compare with the golden
values, the top-5 classes and images/s.

    report = run_inputs(program, backend, images, compare=True)
    print(format_layers(report)); print(format_top5(report, names))
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pyflow.errors import FlowError
from pyflow.labels import Prediction, top_k
from pyflow.reference.runner import run as run_reference
from pyflow.runtime.program import Program
from pyflow.runtime.sequencer import Engine, ImageRun, run_image

BACKENDS = ("csim", "pynq")


@dataclass
class RunReport:
    backend: str
    images: list[ImageRun] = field(default_factory=list)
    top5: list[list[Prediction]] = field(default_factory=list)
    seconds: float = 0.0
    compared: bool = False

    @property
    def passed(self) -> bool:
        return self.compared and all(im.passed for im in self.images)

    @property
    def images_per_second(self) -> float:
        return len(self.images) / self.seconds if self.seconds > 0 else 0.0

    def to_json(self, names: Sequence[str]) -> dict:
        steps = self.images[0].steps if self.images else []
        return {"backend": self.backend, "images": len(self.images), "seconds": self.seconds,
                "images_per_second": self.images_per_second, "compared": self.compared,
                "passed": self.passed if self.compared else None,
                "layers": [{"layer": s.layer, "op": s.op, "where": s.where,
                            "ms_mean": 1e3 * float(np.mean([im.steps[i].seconds for im in self.images])),
                            "results": [im.steps[i].result for im in self.images],
                            "mismatches": [im.steps[i].mismatches for im in self.images]}
                           for i, s in enumerate(steps)],
                "top5": [{"input": name, "classes": [{"index": p.index, "name": p.name, "value": p.value,
                                                       "score": p.score} for p in preds]}
                         for name, preds in zip(names, self.top5)]}


def open_backend(name: str, program: Program, build_dir: Path, *, bitfile: Path | None = None,
                 emulate: bool = False, interrupt: bool = False, log: Callable[[str], None] = print) -> Engine:
    """The csim library, the board driver on PYNQ, or the board driver on the emulated board."""
    if name == "csim":
        if emulate or interrupt:
            raise FlowError("--emulate and --interrupt belong to the pynq backend")
        from pyflow.runtime.csim_backend import CsimBackend

        return CsimBackend(program, build_dir, log)
    if name == "pynq":
        from pyflow.runtime.pynq_backend import PynqBackend, import_pynq

        if emulate:
            from pyflow.runtime.board_emulator import EmulatedBoard

            board = EmulatedBoard(program, build_dir, log=log)
            return PynqBackend(program, bitfile or "emulated.bit", pynq_module=board.pynq, interrupt=interrupt)
        if bitfile is None or not Path(bitfile).is_file():
            raise FlowError(f"no bitstream at {bitfile}: build it with `invoke bitstream --board <board>` and copy "
                            "the .bit and .hwh to the board (or pass --bitfile)")
        return PynqBackend(program, bitfile, pynq_module=import_pynq(), interrupt=interrupt)
    raise FlowError(f"unknown backend '{name}'; choose {' or '.join(BACKENDS)}")


def run_inputs(program: Program, engine: Engine, inputs: Sequence[np.ndarray], compare: bool = False,
               progress: bool = True) -> RunReport:
    """Every input through every step; with ``compare``, each step against the reference (the golden values)."""
    from tqdm import tqdm

    report = RunReport(engine.name, compared=compare)
    out_tensor = program.graph.tensor(program.graph.outputs[0])
    start = time.perf_counter()
    bar = tqdm(inputs, desc=f"run ({engine.name})", unit="image", disable=None if progress else True)
    for x in bar:
        golden = run_reference(program.graph, np.asarray(x)[None], program.plan.flavor) if compare else None
        run = run_image(program, engine, x, golden, 0)
        report.images.append(run)
        report.top5.append(top_k(run.output, out_tensor))
    report.seconds = time.perf_counter() - start
    return report


def format_layers(report: RunReport) -> str:
    """One row per layer: where it ran, mean time over the images, and the compare verdict over all images."""
    from pyflow.table import format_rows

    if not report.images:
        return "no input was run"
    rows = [("layer", "op", "ran on", "ms (mean)", "result")]
    for i, first in enumerate(report.images[0].steps):
        per = [im.steps[i] for im in report.images]
        if first.where == "fused":
            rows.append((str(first.layer), first.op, "fused", "-", "runs in the next step"))
            continue
        failed = [s for s in per if s.result == "FAIL"]
        verdict = (f"FAIL ({len(failed)} of {len(per)} inputs; {failed[0].mismatches} mismatches "
                   f"{failed[0].first_mismatch})" if failed else per[0].result if report.compared else "ran")
        rows.append((str(first.layer), first.op, first.where, f"{1e3 * np.mean([s.seconds for s in per]):.2f}",
                     verdict))
    return format_rows(rows, right=(0, 3))


def format_top5(report: RunReport, names: Sequence[str]) -> str:
    lines = []
    for name, preds in zip(names, report.top5):
        lines.append(f"{name}: " + ", ".join(f"{p.name} ({p.score:.3f})" for p in preds))
    return "\n".join(lines)


def format_summary(report: RunReport) -> str:
    engine_s = sum(s.seconds for im in report.images for s in im.steps if s.where == "engine")
    host_s = sum(s.seconds for im in report.images for s in im.steps if s.where == "host")
    n = max(1, len(report.images))
    verdict = ("" if not report.compared else
               "; every layer bit-exact" if report.passed else
               f"; {sum(len(im.failed) for im in report.images)} layer result(s) differ")
    return (f"{report.backend}: {len(report.images)} input(s) in {report.seconds:.2f} s = "
            f"{report.images_per_second:.2f} images/s (engine steps {1e3 * engine_s / n:.1f} ms/image, host ops "
            f"{1e3 * host_s / n:.1f} ms/image, wall clock){verdict}")
