"""Jinja2 rendering (StrictUndefined) of the templates in hls/templates (atomic writes: pyflow.fileio)."""
from __future__ import annotations

from pathlib import Path

import jinja2

REPO_ROOT = Path(__file__).resolve().parents[2]
HLS_DIR = REPO_ROOT / "hls"
TEMPLATE_DIR = HLS_DIR / "templates"

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), undefined=jinja2.StrictUndefined,
                          keep_trailing_newline=True, autoescape=False)


def render(template: str, **values) -> str:
    return _ENV.get_template(template).render(**values)
