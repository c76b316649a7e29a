"""The one Jinja environment of the generated Asterisk files, and the names they get.

Imports only jinja2 and ``continuity.names``, so the container image's build
stage can render the trunks with nothing else installed.
"""

from __future__ import annotations

import functools

import jinja2

from continuity import names


@functools.cache
def environment() -> jinja2.Environment:
    """StrictUndefined: a name missing from a render is an error, never an empty string."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("continuity.dialplan_templates", ""),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Asterisk config, not HTML: every value is validated before it reaches a template.
        autoescape=False,  # noqa: S701
    )


def constants() -> dict[str, str]:
    """Every name in ``continuity.names``, as the templates use them."""
    return {k: v for k, v in vars(names).items() if k.isupper() and isinstance(v, str)}
