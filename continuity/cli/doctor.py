"""`continuity doctor`: is this install able to route calls, and if not, what to fix."""

from __future__ import annotations

import argparse

from continuity.cli.context import SubParsers
from continuity.cli.layout import ExamplesFormatter
from continuity.compose_cli import doctor
from continuity.config import Config
from continuity.doctor import as_json, as_text, healthy

EXAMPLES = """\
examples:
  continuity doctor                     check everything, ✓ or ✗ per check
  continuity doctor --json | jq '.checks[] | select(.status == "failed")'
  CONTINUITY_AMI_SECRET=... continuity --config /etc/continuity.toml doctor
"""


def add_parsers(sub: SubParsers) -> None:
    p = sub.add_parser(
        "doctor",
        help="check the install end to end and say how to fix each fault",
        description="Checks, against the running Asterisk and PostgreSQL: ARI reachable and "
        "the credentials; the Asterisk version and REST over the WebSocket; the AMI login "
        "and its privileges; the database and its migrations; the #include/#tryinclude "
        "lines, in what Asterisk actually loaded; the inbound endpoint's context; the "
        "trunks qualified and trunk_transport; state_dir and the config directory "
        "writable; SMTP and the webhook reachable; the listeners bound. Prints ✓ or ✗ "
        "per check, each ✗ with its fix; exits 1 when any check failed.",
        epilog=EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_doctor)


async def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    results = await doctor(config)
    print(as_json(results) if args.json else as_text(results))
    return 0 if healthy(results) else 1
