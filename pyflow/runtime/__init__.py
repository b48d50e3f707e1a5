"""The host runtime: runs a model layer by layer on the layer engine through a backend.

    program = load_program("models/efficientnet-lite0-int8.tflite", config, "litert")
    with CsimBackend(program, lib_dir) as engine:          # or PynqBackend(program, bitfile)
        run = run_image(program, engine, x, golden=values, k=0)

- program.py      : what the host needs to run a model (the plan's steps, the arena layout of every tensor, the
                    parameter image), and reading / writing tensors in an arena buffer;
- host_ops.py     : the ops the engine does not run (RESHAPE, PAD, CONCATENATION, QUANTIZE, SOFTMAX ...),
                    done by the numpy reference;
- sequencer.py    : one image through every step, per-step wall time and the compare with the golden values;
- csim_backend.py : engine_top compiled as a shared library, called through ctypes;
- pynq_backend.py : the board driver: PYNQ Overlay / allocate / MMIO at the register map's offsets;
- board_emulator.py: a stand-in for the ``pynq`` module whose registers drive the csim library, so the board
                    driver's exact code path runs here (tests, and `invoke run --backend pynq --emulate`).
"""
