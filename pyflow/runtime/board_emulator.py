"""An emulated Zynq board behind a stand-in for the ``pynq`` module, so that the board driver
(pyflow.runtime.pynq_backend) runs its exact code path here: its register writes and its start bit drive the csim
engine library.

    board = EmulatedBoard(program, build_dir)
    engine = PynqBackend(program, "pyflow_engine.bit", pynq_module=board.pynq)

What it models, because a driver can get each of them wrong:
- DDR behind caches: ``allocate`` returns a numpy array (the CPU's view) with a separate device copy (what DDR
  holds). ``flush`` copies the CPU's view to DDR, ``invalidate`` DDR to the CPU's view. The engine reads and
  writes DDR only, so a missing flush or invalidate gives wrong results here as on a board;
- the engine's s_axilite registers at the offsets of pyflow.hls.register_map: 32-bit writes only; ap_start starts
  a step (the descriptor and the eight pointers as the registers hold them), ap_start clears, ap_done and ap_idle
  are set when it ends; ap_done clears when AP_CTRL is read (ap_ctrl_hs); ISR bits toggle on write; the interrupt
  line is ap_done & IER & GIE;
- m_axi pointers: each must point into a live buffer; the four feature-map pointers must be one address (one
  arena), the four weight pointers another (one parameter image), as the engine's word offsets assume.
Not modelled: timing (a step completes within the ap_start write), AXI errors other than the pointer checks.
"""
from __future__ import annotations

import types
from pathlib import Path

import numpy as np

from pyflow.errors import FlowError
from pyflow.hls import register_map as rm
from pyflow.runtime.csim_backend import EngineLibrary, build_library, open_library
from pyflow.runtime.program import Program

ENGINE_BASE = 0xA000_0000  # M_AXI_HPM0_FPD's window, where Vivado's assign_bd_address puts the first slave
ENGINE_RANGE = 0x1_0000
DDR_BASE = 0x1000_0000
PAGE = 4096


class EmulatedBoardError(FlowError):
    """The driver did something the hardware would not accept (or would hang on)."""


class EmulatedBuffer(np.ndarray):
    """A pynq.allocate buffer: the CPU's view, plus the device copy in ``board.ddr``."""

    board: "EmulatedBoard"
    device_address: int
    coherent = False

    @property
    def physical_address(self) -> int:
        return self.device_address

    def _device(self) -> np.ndarray:
        return self.board.ddr[self.device_address]

    def flush(self) -> None:
        self.board.check_live(self)
        self._device()[:] = self.view(np.uint8).reshape(-1)
        self.board.generation[self.device_address] += 1

    def invalidate(self) -> None:
        self.board.check_live(self)
        self.view(np.uint8).reshape(-1)[:] = self._device()

    def freebuffer(self) -> None:
        self.board.ddr.pop(self.device_address, None)

    def close(self) -> None:
        self.freebuffer()


class EmulatedBoard:
    """DDR, the engine's registers and the csim engine library, and ``self.pynq``: the module the driver imports."""

    def __init__(self, program: Program, build_dir, library: EngineLibrary | None = None, log=print):
        self.program = program
        self.library = library or open_library(program, build_library(program, Path(build_dir), log))
        self.ddr: dict[int, np.ndarray] = {}  # device address -> device copy (uint8)
        self.generation: dict[int, int] = {}  # flushes per buffer: the image is reloaded when it changed
        self._next = DDR_BASE
        self.regs = np.zeros(ENGINE_RANGE // 4, np.uint32)
        self.regs[rm.CONTROL["AP_CTRL"] // 4] = rm.AP_IDLE
        self.steps_run = 0
        self.token = self.library.new_token()  # this board's images in the library (never reused)
        self.pynq = self._module()

    # ---- memory ----
    def allocate(self, shape, dtype=np.uint8, **_kwargs) -> EmulatedBuffer:
        cpu = np.zeros(shape, dtype)
        buf = cpu.view(EmulatedBuffer)
        buf.board, buf.device_address = self, self._next
        self.ddr[self._next] = np.zeros(cpu.nbytes, np.uint8)
        self.generation[self._next] = 0
        self._next += -(-cpu.nbytes // PAGE) * PAGE + PAGE  # a guard page between buffers
        return buf

    def check_live(self, buf: EmulatedBuffer) -> None:
        if buf.device_address not in self.ddr:
            raise EmulatedBoardError(f"buffer at 0x{buf.device_address:x} was freed")

    def _resolve(self, address: int, what: str) -> tuple[int, int]:
        """(buffer base, byte offset) of a device address inside a live buffer."""
        for base, data in self.ddr.items():
            if base <= address < base + data.size:
                return base, address - base
        raise EmulatedBoardError(f"{what} = 0x{address:x} points into no allocated buffer (an AXI DECERR on a "
                                 "board)")

    # ---- registers ----
    def read(self, offset: int) -> int:
        self._check_offset(offset)
        value = int(self.regs[offset // 4])
        if offset == rm.CONTROL["AP_CTRL"]:
            self.regs[offset // 4] &= ~np.uint32(rm.AP_DONE)  # clear on read
        return value

    def write(self, offset: int, value) -> None:
        self._check_offset(offset)
        if not isinstance(value, (int, np.integer)) or not 0 <= int(value) <= 0xFFFFFFFF:
            raise EmulatedBoardError(f"register 0x{offset:x}: {value!r} is not a 32-bit unsigned word")
        value = int(value)
        if offset == rm.CONTROL["ISR"]:
            self.regs[offset // 4] ^= np.uint32(value & 0x3)
            return
        if offset == rm.CONTROL["AP_CTRL"]:
            if value & rm.AP_START:
                self._start()
            return
        self.regs[offset // 4] = value

    def _check_offset(self, offset: int) -> None:
        if offset % 4 or not 0 <= offset < ENGINE_RANGE:
            raise EmulatedBoardError(f"register offset 0x{offset:x} is not a 32-bit register of the engine")

    def _pointer(self, name: str) -> int:
        offset = {reg.name: reg.offset for reg in rm.arguments()}[name]
        return int(self.regs[offset // 4]) | int(self.regs[offset // 4 + 1]) << 32

    def _start(self) -> None:
        ctrl = rm.CONTROL["AP_CTRL"] // 4
        if not self.regs[ctrl] & rm.AP_IDLE:
            raise EmulatedBoardError("ap_start written while the engine is busy")
        fm = {self._pointer(n) for n in ("fm_in", "fm_in_b", "fm_in2", "fm_out")}
        wt = {self._pointer(n) for n in ("wt", "wt_b", "wt_c", "wt_d")}
        if len(fm) != 1 or len(wt) != 1:
            raise EmulatedBoardError("the four feature-map pointers (and the four weight pointers) must hold one "
                                     f"address each: got fm {sorted(map(hex, fm))}, wt {sorted(map(hex, wt))}")
        fm_base, fm_off = self._resolve(fm.pop(), "fm_in")
        wt_base, wt_off = self._resolve(wt.pop(), "wt")
        bb = self.program.bus_bytes
        if fm_off % bb or wt_off % bb:
            raise EmulatedBoardError(f"m_axi pointers must be {bb}-byte aligned")
        key = ("board", self.token, wt_base, wt_off, self.generation[wt_base])  # reload after a flush of the image
        if not self.library.holds_image(key):
            image = self.ddr[wt_base][wt_off:]
            self.library.load_image(image, image.size // bb, key)
        arena = self.ddr[fm_base][fm_off:]
        words = self.regs[rm.DESC_BASE // 4:rm.DESC_BASE // 4 + self.library.desc_fields].view("<i4").copy()
        self.library.step(words, arena, arena.size // bb)
        self.steps_run += 1
        self.regs[ctrl] = rm.AP_IDLE | rm.AP_DONE | rm.AP_READY
        isr = rm.CONTROL["ISR"] // 4
        self.regs[isr] |= np.uint32(self.regs[rm.CONTROL["IER"] // 4] & 1)

    def interrupt_pending(self) -> bool:
        return bool(self.regs[rm.CONTROL["GIE"] // 4] & 1 and self.regs[rm.CONTROL["ISR"] // 4] & 1)

    # ---- the pynq stand-in ----
    def _module(self) -> types.ModuleType:
        board = self
        ip_dict = {"engine": {"phys_addr": ENGINE_BASE, "addr_range": ENGINE_RANGE,
                              "type": "user.org:hls:pyflow_engine:1.0",
                              "registers": {reg.name: {"address_offset": reg.offset, "size": reg.bits}
                                            for reg in rm.arguments()}}}

        class Overlay:
            def __init__(self, bitfile: str):
                self.bitfile_name = bitfile
                self.ip_dict = ip_dict

        class MMIO:
            def __init__(self, base_addr: int, length: int = 4):
                if base_addr != ENGINE_BASE or length > ENGINE_RANGE:
                    raise EmulatedBoardError(f"MMIO(0x{base_addr:x}, {length}): the emulated board maps only the "
                                             f"engine at 0x{ENGINE_BASE:x}")

            def read(self, offset: int = 0, length: int = 4) -> int:
                return board.read(offset)

            def write(self, offset: int, data) -> None:
                board.write(offset, data)

        class Interrupt:
            def __init__(self, pin: str):
                if pin != "engine/interrupt":
                    raise ValueError(f"no interrupt pin {pin}")

            async def wait(self) -> None:
                if not board.interrupt_pending():
                    raise EmulatedBoardError("waiting for an interrupt that cannot come (IER/GIE not set, or no "
                                             "step ended): this would hang on a board")

        module = types.ModuleType("pynq")
        module.Overlay, module.MMIO, module.Interrupt = Overlay, MMIO, Interrupt
        module.allocate = self.allocate
        return module
