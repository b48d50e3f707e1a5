"""Run the layer engine through a Vitis HLS stage: generate the build (headers, DDR image, vectors) exactly as
csim does, describe the run once (`pyflow.vitis.flow.engine_run`), then `pyflow.vitis.runner.run_stage`."""
from __future__ import annotations

from pathlib import Path

from pyflow.hls.config import EngineConfig
from pyflow.hls.csim import prepare
from pyflow.hls.render import HLS_DIR
from pyflow.vitis.boards import get_board
from pyflow.vitis.flow import ExportVlnv, engine_run
from pyflow.vitis.runner import run_stage, save_result
from pyflow.vitis.tools import discover_tools

def vitis_stage(stage: str, model_path: Path, build_dir: Path, inputs, board: str, clock_mhz: float | None,
                flavor: str, config: EngineConfig, layers: str | None = None, flow: str = "auto",
                vlnv: ExportVlnv | None = None):
    """Returns the runner's StageResult (raises FlowError when the tool is missing or the stage fails)."""
    preset = get_board(board)
    tools = discover_tools(flow)  # fail before writing anything when Vitis is not installed
    build_dir = Path(build_dir)
    hls_build, vec_dirs, layer_range = prepare(model_path, build_dir, inputs[:1], layers, flavor, config)
    argv = f"{hls_build.absolute()} --vectors {vec_dirs[0].absolute()}"
    if layer_range:
        argv += f" --layers {layer_range}"
    defines = ("PYFLOW_FLAVOR_TFLM",) if flavor == "tflm" else ()
    run = engine_run(build_dir, part=preset.part, clock_mhz=float(preset.clock_mhz if clock_mhz is None else clock_mhz), tb_argv=argv,
                     include_dirs=[HLS_DIR / "src", (hls_build / "include").absolute()], defines=defines, vlnv=vlnv)
    result = run_stage(run, stage, flow=flow, tools=tools)
    save_result(result, build_dir / "reports")
    return result
