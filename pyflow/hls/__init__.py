"""HLS layer-engine code generation and C simulation (the hand-written kernel lives in hls/src)."""
from pyflow.hls.config import EngineConfig

__all__ = ["EngineConfig"]
