"""Vitis HLS and Vivado flows: run descriptions, Tcl/cfg generation, tool discovery, stage runner, report parsers.

- ``boards``:  the one table of board presets (part, resources, DDR bandwidth, default clock)
- ``flow``:    ``HlsRun`` (one run description) -> run_<stage>.tcl (classic) and hls_config.cfg (unified)
- ``tools``:   finds vitis_hls / v++ / vitis-run and picks the classic or unified flow
- ``runner``:  runs csim / csynth / cosim / export, tees the log, gates pass/fail on logs and reports
- ``reports``: csynth.xml, <top>_cosim.rpt and the exported IP zip -> plain dicts and text tables
- ``bitstream``: the Vivado block design around the exported engine IP (Zynq UltraScale+ PS, HP ports,
  interrupt), its Tcl, and the run that writes the PYNQ overlay (.bit + .hwh, .xsa)
- ``vivado_reports``: Vivado's report_utilization and report_timing_summary text -> plain dicts
"""
