"""Jinja2 rendering (StrictUndefined) of the templates in hls/templates, and atomic file writes."""
from __future__ import annotations

import os
from pathlib import Path

import jinja2

REPO_ROOT = Path(__file__).resolve().parents[2]
HLS_DIR = REPO_ROOT / "hls"
TEMPLATE_DIR = HLS_DIR / "templates"

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), undefined=jinja2.StrictUndefined,
                          keep_trailing_newline=True, autoescape=False)


def render(template: str, **values) -> str:
    return _ENV.get_template(template).render(**values)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write via a temporary file in the same directory and os.replace (readers never see half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
