"""The csim backend: engine_top (the C++ that Vitis synthesizes) built as a shared library and called through
ctypes, with the parameter image and the activation arena in numpy buffers.

    engine = CsimBackend(program, build_dir)      # compiles (cached) into <build_dir>/runtime/
    engine.run_step(program.descriptor_words(step))

There are no caches between the CPU and this "engine": to_device / from_device do nothing. After every step the
library's on-chip access check (hls/src/onchip.h) must be clean, else the step fails.
"""
from __future__ import annotations

import ctypes
import itertools
from pathlib import Path
from typing import Callable

import numpy as np

from pyflow.errors import FlowError
from pyflow.fileio import write_text
from pyflow.hls.config import render_config_header, render_depth_header
from pyflow.hls.descriptor import DESC_FIELDS, render_desc_header
from pyflow.hls.loops import render_loops_header
from pyflow.runtime.program import Program

# The library has one parameter-image slot per process (a dlopen of one path is one library): which image it holds,
# by the key its loader gave, so that two users of one library reload when they take turns.
_LOADED_IMAGE: dict[str, object] = {}
_TOKENS = itertools.count()  # image keys unique for the life of the process (id() is reused after a free)
_U8P = ctypes.POINTER(ctypes.c_uint8)
_I32P = ctypes.POINTER(ctypes.c_int32)


class EngineLibrary:
    """The loaded shared library and its C entry points (hls/host/engine_lib.cpp)."""

    def __init__(self, path: Path):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as err:
            raise FlowError(f"cannot load the engine library {path}: {err}") from None
        lib.pyflow_engine_step.argtypes = [_I32P, _U8P, ctypes.c_uint64]
        lib.pyflow_engine_step.restype = ctypes.c_int
        lib.pyflow_engine_load_image.argtypes = [_U8P, ctypes.c_uint64]
        lib.pyflow_engine_load_image.restype = ctypes.c_int
        lib.pyflow_loop_name.restype = ctypes.c_char_p
        lib.pyflow_loop_iterations.restype = ctypes.c_uint64
        lib.pyflow_violation.restype = ctypes.c_char_p
        self.lib, self.path = lib, path
        self.bus_bits = lib.pyflow_bus_bits()
        self.desc_fields = lib.pyflow_desc_fields()
        self.loop_names = [lib.pyflow_loop_name(i).decode() for i in range(lib.pyflow_loop_count())]

    def _check_buffer(self, name: str, buf: np.ndarray, words: int) -> None:
        if buf.dtype != np.uint8 or not buf.flags.c_contiguous or buf.size < words * self.bus_bits // 8 or not words:
            raise FlowError(f"the {name} buffer must be contiguous uint8 of at least {words} > 0 words")

    def load_image(self, image: np.ndarray, image_words: int, key: object) -> None:
        """Copy the parameter image into the library; every later step reads it. ``key`` names this image
        (``holds_image``)."""
        self._check_buffer("image", image, image_words)
        _LOADED_IMAGE.pop(str(self.path), None)
        if self.lib.pyflow_engine_load_image(image.ctypes.data_as(_U8P), image_words) != 0:
            raise FlowError("engine library refused the parameter image")
        _LOADED_IMAGE[str(self.path)] = key

    @staticmethod
    def new_token() -> int:
        return next(_TOKENS)

    def holds_image(self, key: object) -> bool:
        return _LOADED_IMAGE.get(str(self.path)) == key

    def step(self, descriptor: np.ndarray, arena: np.ndarray, arena_words: int) -> None:
        """One engine step on the arena (updated in place); FlowError when the access check finds a violation."""
        if descriptor.dtype != np.dtype("<i4") or descriptor.size != self.desc_fields:
            raise FlowError(f"descriptor must be {self.desc_fields} int32 words, got {descriptor.dtype} "
                            f"x {descriptor.size}")
        self._check_buffer("arena", arena, arena_words)
        rc = self.lib.pyflow_engine_step(descriptor.ctypes.data_as(_I32P), arena.ctypes.data_as(_U8P), arena_words)
        if rc != 0:
            raise FlowError(f"engine library refused the step (code {rc}: "
                            f"{'no parameter image loaded' if rc == -2 else 'empty arena'})")
        violations = [self.lib.pyflow_violation(i).decode() for i in range(self.lib.pyflow_violations())]
        if violations:
            raise FlowError("on-chip access check failed: " + "; ".join(violations))

    def iterations(self) -> dict[str, int]:
        """Pipelined-loop iterations of the last step."""
        return {name: int(self.lib.pyflow_loop_iterations(i)) for i, name in enumerate(self.loop_names)}


def build_library(program: Program, build_dir: Path, log: Callable[[str], None] = print) -> Path:
    """Compile (cached) the engine library for the program's configuration and flavor under <build_dir>/runtime."""
    from pyflow.hls.csim import compile_engine_library

    root = Path(build_dir) / "runtime"
    include = root / "include"
    # the headers the engine compiles against: this configuration's (the m_axi depths are per model, but only
    # Vitis reads them: they are not part of the library's cache key)
    write_text(include / "engine_config.h", render_config_header(program.plan.config))
    write_text(include / "engine_depth.h", render_depth_header(program.arena_words, program.image_words))
    write_text(include / "engine_desc.h", render_desc_header())
    write_text(include / "engine_loops.h", render_loops_header())
    path, _, _ = compile_engine_library(root, program.plan.flavor, log, root / "lib")
    return path


def open_library(program: Program, path: Path) -> EngineLibrary:
    """Load the library and check it was built for the program's bus width and descriptor."""
    lib = EngineLibrary(path)
    if lib.bus_bits != program.plan.config.axi_bits or lib.desc_fields != len(DESC_FIELDS):
        raise FlowError(f"{path} was built for {lib.bus_bits}-bit AXI and {lib.desc_fields} descriptor fields; the "
                        f"program needs {program.plan.config.axi_bits} and {len(DESC_FIELDS)}")
    return lib


class CsimBackend:
    """The engine in-process: the CPU's arena is the engine's memory."""

    name = "csim"

    def __init__(self, program: Program, build_dir: Path, log: Callable[[str], None] = print):
        self.program = program
        self.library = open_library(program, build_library(program, build_dir, log))
        self.arena = np.zeros(program.arena_words * program.bus_bytes, np.uint8)
        self.image = program.image()
        self._key = ("csim", next(_TOKENS))

    def to_device(self) -> None:
        pass

    def from_device(self) -> None:
        pass

    def run_step(self, descriptor: np.ndarray) -> None:
        if not self.library.holds_image(self._key):
            self.library.load_image(self.image, self.program.image_words, self._key)
        self.library.step(descriptor, self.arena, self.program.arena_words)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
