"""The benchmark's own dialplan on the pbx: the baselines the ARI route is compared with.

The product's generated file and contexts are left alone. This file is
``#include``d from the pbx's ``extensions.conf`` (the admin's file) and holds
the benchmark's own context, which calls arriving through the benchmark's
entrance reach (``bench/carrier.py``), one number range per baseline:

* ``dialplan``: the limit, what a hand-written ``Dial()`` costs;
* ``agi``: the FastAGI route, whose server sets the ``CONTINUITY_*`` variables.

Both start with the same two priorities as the product's tracking context
(``NoOp``, ``Set``) and arrive the same way, a PJSIP endpoint identified by
address, so the only difference is the routing step itself.
"""

from __future__ import annotations

import jinja2

from bench.carrier import BASELINE_CONTEXT, TO_APP, TO_BASELINE
from continuity import names

INCLUDE = "bench/extensions_bench.conf"

#: Number ranges per route: (Asterisk pattern, first number). Tracking numbers
#: for ``ari`` and ``agi`` are added to the database; ``dialplan`` needs none.
RANGES = {
    "dialplan": ("_+1646555XXXX", 16465550100),
    "ari": (None, 12125550100),
    "agi": ("_+1718555XXXX", 17185550100),
}

#: Which carrier endpoint each route's calls take to the pbx.
ENTRANCE = {"dialplan": TO_BASELINE, "ari": TO_APP, "agi": TO_BASELINE}

_TEMPLATE = """\
; Written by the benchmark harness (bench/dialplan.py); not part of the product.
[{{ context }}]
exten => {{ dialplan_pattern }},1,NoOp(bench dialplan baseline: call to ${EXTEN})
 same => n,Set(__{{ names.VAR_TRACKING_NUMBER }}=${EXTEN})
 same => n,Dial(PJSIP/${EXTEN}@{{ names.ENDPOINT_PRIMARY }},{{ dial_timeout }})
 same => n,Hangup()
{% if agi_url %}

exten => {{ agi_pattern }},1,NoOp(bench FastAGI route: call to ${EXTEN})
 same => n,Set(__{{ names.VAR_TRACKING_NUMBER }}=${EXTEN})
 same => n,AGI({{ agi_url }})
 same => n,Dial(${ {{- names.VAR_DIAL_STRING -}} },{{ dial_timeout }})
 same => n,Hangup()
{% endif %}
"""


def render_bench_dialplan(dial_timeout: int, agi_url: str | None) -> str:
    template = jinja2.Template(
        _TEMPLATE,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        autoescape=False,  # Asterisk config, not HTML
    )
    rendered: str = template.render(
        names=names,
        context=BASELINE_CONTEXT,
        dialplan_pattern=RANGES["dialplan"][0],
        agi_pattern=RANGES["agi"][0],
        dial_timeout=dial_timeout,
        agi_url=agi_url,
    )
    return rendered


def numbers(route: str, count: int) -> list[str]:
    """``count`` E.164 numbers of ``route``'s range."""
    first = RANGES[route][1]
    return [f"+{first + i}" for i in range(count)]
