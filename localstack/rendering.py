"""Render the Asterisk configuration templates in ``localstack/templates``.

Templates get the shared names from :mod:`continuity.names` as ``names``, so
no context, endpoint or app name is spelled twice.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from continuity import names

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - Asterisk config files, not HTML
    )
    environment.globals["names"] = names
    return environment


def render(template: str, **context: object) -> str:
    """Render ``templates/<template>.j2`` with ``context`` (undefined names fail)."""
    return _environment().get_template(f"{template}.j2").render(**context)
