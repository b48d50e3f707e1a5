"""Vitis HLS flow: run descriptions, Tcl/cfg generation, tool discovery, stage runner and report parsers.

- ``boards``:  the one table of board presets (part, resources, DDR bandwidth, default clock)
- ``flow``:    ``HlsRun`` (one run description) -> run_<stage>.tcl (classic) and hls_config.cfg (unified)
- ``tools``:   finds vitis_hls / v++ / vitis-run and picks the classic or unified flow
- ``runner``:  runs csim / csynth / cosim / export, tees the log, gates pass/fail on logs and reports
- ``reports``: csynth.xml, <top>_cosim.rpt and the exported IP zip -> plain dicts and text tables
"""
