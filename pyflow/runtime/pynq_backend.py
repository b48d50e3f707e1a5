"""The board driver: runs engine steps on a Zynq UltraScale+ board through PYNQ.

    engine = PynqBackend(program, "build/<model>/bitstream/pyflow_engine.bit")
    engine.run_step(program.descriptor_words(step))

- ``pynq.Overlay`` loads the bitstream (its .hwh next to it); the engine is the IP named ``engine`` (the cell name
  pyflow.vitis.bitstream gives it), reached through ``pynq.MMIO`` at its ``ip_dict`` address;
- ``pynq.allocate`` holds the parameter image and the activation arena (physically contiguous); their device
  addresses go into the eight m_axi pointer registers once (the four feature-map ports all get the arena, the four
  weight ports the image: the engine's addresses are word offsets into each);
- a step writes the descriptor fields that changed since the last step (field i at register_map.DESC_BASE + 4 i),
  sets ap_start, and waits for ap_done: polling AP_CTRL (ap_done clears on read), or with ``interrupt=True`` the
  ``engine/interrupt`` line through the overlay's AXI interrupt controller (IER bit 0, GIE; ISR cleared by writing
  1);
- the buffers are not cache-coherent on the HP ports: ``to_device`` flushes the CPU's writes to the arena,
  ``from_device`` invalidates the CPU's cached copy before it reads the engine's results.

Nothing here imports pynq at module load: ``pynq_module`` is the real module on a board, or the emulated board
(pyflow.runtime.board_emulator) here.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np

from pyflow.errors import FlowError
from pyflow.hls import register_map as rm
from pyflow.runtime.program import Program

IP_NAME = "engine"
FM_POINTERS = ("fm_in", "fm_in_b", "fm_in2", "fm_out")  # the activation arena
WT_POINTERS = ("wt", "wt_b", "wt_c", "wt_d")  # the parameter image


def import_pynq():
    """The real pynq module, or a FlowError saying where it runs."""
    try:
        import pynq  # noqa: PLC0415 (only on a board)
    except ImportError:
        raise FlowError("the pynq backend needs the `pynq` package, which runs on a Zynq board with a PYNQ image "
                        "(PYNQ 3.0 or newer). Run this on the board, or use --emulate to drive the emulated board "
                        "(the csim engine behind the same driver code).") from None
    return pynq


def _register_offsets() -> dict[str, int]:
    return {reg.name: reg.offset for reg in rm.arguments()}


def engine_info(program: Program) -> dict:
    """What an overlay's engine was built for, as `invoke bitstream` records it beside the .bit."""
    from dataclasses import asdict

    return {"engine": asdict(program.plan.config), "flavor": program.plan.flavor}


def check_engine_info(bitfile, program: Program) -> None:
    """The program must be planned for the configuration the overlay's engine was built with (the layouts of the
    parameter image and the arena depend on it); FlowError naming the differences. No record: not checked."""
    import json

    record = Path(bitfile).with_suffix(".json")
    if not record.is_file():
        return
    try:
        built = json.loads(record.read_text())
    except (OSError, ValueError) as err:
        raise FlowError(f"cannot read {record}: {err}") from None
    want = engine_info(program)
    differences = [f"{key}={built.get('engine', {}).get(key)!r} in the overlay, {value!r} here"
                   for key, value in want["engine"].items() if built.get("engine", {}).get(key) != value]
    if built.get("flavor") != want["flavor"]:
        differences.append(f"flavor {built.get('flavor')!r} in the overlay, {want['flavor']!r} here")
    if differences:
        raise FlowError(f"the overlay {bitfile} was built for another engine configuration ({record}): "
                        + "; ".join(differences) + " -- run with the flags the IP was exported with")


def check_overlay_registers(ip: dict) -> list[str]:
    """Compare the register offsets the overlay's .hwh declares for the engine (``ip_dict[...]["registers"]``,
    where PYNQ parsed them) with the register map; the disagreements. Registers the .hwh does not name are not
    checked."""
    problems = []
    declared = ip.get("registers") or {}
    for reg in rm.arguments():
        found = declared.get(reg.name)
        if found is None:
            continue
        offset = found.get("address_offset")
        if offset is not None and int(offset) != reg.offset:
            problems.append(f"{reg.name}: offset 0x{int(offset):x} in the .hwh, 0x{reg.offset:x} in the register map")
    return problems


class PynqBackend:
    """The engine on a board (or the emulated board), driven through PYNQ."""

    name = "pynq"

    def __init__(self, program: Program, bitfile, pynq_module=None, interrupt: bool = False,
                 timeout_s: float = 10.0):
        pynq = pynq_module if pynq_module is not None else import_pynq()
        self.program, self.pynq, self.timeout_s = program, pynq, timeout_s
        check_engine_info(bitfile, program)
        try:
            self.overlay = pynq.Overlay(str(bitfile))
        except (OSError, ValueError, RuntimeError) as err:
            raise FlowError(f"cannot load the overlay {bitfile}: {err} (build it with `invoke bitstream`; the .bit "
                            "and its .hwh must sit side by side)") from None
        ips = self.overlay.ip_dict
        if IP_NAME not in ips:
            raise FlowError(f"the overlay {bitfile} has no IP named '{IP_NAME}' (it has: {', '.join(sorted(ips))})")
        problems = check_overlay_registers(ips[IP_NAME])
        if problems:
            raise FlowError("the overlay's engine registers disagree with this flow's register map: "
                            + "; ".join(problems))
        self.mmio = pynq.MMIO(ips[IP_NAME]["phys_addr"], ips[IP_NAME]["addr_range"])
        if not self.mmio.read(rm.CONTROL["AP_CTRL"]) & rm.AP_IDLE:
            raise FlowError("the engine is not idle (AP_CTRL ap_idle is 0): reload the overlay")
        bb = program.bus_bytes
        self.arena = pynq.allocate(shape=(program.arena_words * bb,), dtype=np.uint8)
        self.image = pynq.allocate(shape=(program.image_words * bb,), dtype=np.uint8)
        self.image[:] = program.image()
        self.image.flush()
        self.arena[:] = 0
        self.arena.flush()
        offsets = _register_offsets()
        for names, buf in ((FM_POINTERS, self.arena), (WT_POINTERS, self.image)):
            address = int(buf.device_address)
            for name in names:
                self.mmio.write(offsets[name], address & 0xFFFFFFFF)
                self.mmio.write(offsets[name] + 4, address >> 32)
        self._written: np.ndarray | None = None  # descriptor words the registers hold
        self.interrupt = None
        if interrupt:
            try:
                self.interrupt = pynq.Interrupt(f"{IP_NAME}/interrupt")
            except (ValueError, KeyError, RuntimeError) as err:
                raise FlowError(f"the overlay has no usable interrupt for '{IP_NAME}': {err} (poll instead: drop "
                                "--interrupt)") from None
            self.mmio.write(rm.CONTROL["IER"], 1)  # ap_done
            self.mmio.write(rm.CONTROL["GIE"], 1)
        self.steps = 0

    def to_device(self) -> None:
        self.arena.flush()

    def from_device(self) -> None:
        self.arena.invalidate()

    def _write_descriptor(self, words: np.ndarray) -> None:
        changed = range(words.size) if self._written is None else np.flatnonzero(words != self._written)
        for i in changed:
            self.mmio.write(rm.DESC_BASE + 4 * int(i), int(words[i]) & 0xFFFFFFFF)
        self._written = words.copy()

    def run_step(self, descriptor: np.ndarray) -> None:
        self._write_descriptor(np.asarray(descriptor, dtype="<i4"))
        self.mmio.write(rm.CONTROL["AP_CTRL"], rm.AP_START)
        if self.interrupt is not None:
            try:
                asyncio.run(asyncio.wait_for(self.interrupt.wait(), self.timeout_s))
            except TimeoutError:  # asyncio.TimeoutError is TimeoutError since Python 3.11
                raise FlowError(f"the engine did not finish step {self.steps} within {self.timeout_s:g} s (no "
                                "interrupt)") from None
            self.mmio.write(rm.CONTROL["ISR"], 1)  # toggle-on-write: clears ap_done's interrupt
        else:
            deadline = time.monotonic() + self.timeout_s
            while not self.mmio.read(rm.CONTROL["AP_CTRL"]) & rm.AP_DONE:
                if time.monotonic() > deadline:
                    raise FlowError(f"the engine did not finish step {self.steps} within {self.timeout_s:g} s "
                                    "(AP_CTRL never showed ap_done)")
        self.steps += 1

    def close(self) -> None:
        for buf in (getattr(self, "arena", None), getattr(self, "image", None)):
            if buf is not None:
                buf.freebuffer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
