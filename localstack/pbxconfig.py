"""The pbx's own configuration: what an admin would have before the product.

Used by :class:`localstack.stack.LocalStack` (loopback ports) and by the
container image's build stage (``python -m localstack.pbxconfig --out DIR``),
so both run the same ``pjsip.conf`` and ``extensions.conf``, rendered with
the shared names.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from continuity import names
from continuity.dialplan_templates.pjsip import TrunkSettings, render_pjsip
from localstack.rendering import render

PLACEHOLDER = "; Placeholder: the product writes this file.\n"
GENERATED_EXTENSIONS = f"{names.GENERATED_DIR}/{names.GENERATED_EXTENSIONS}"
GENERATED_PJSIP = f"{names.GENERATED_DIR}/{names.GENERATED_PJSIP}"
GENERATED_VOICEMAIL = f"{names.GENERATED_DIR}/{names.GENERATED_VOICEMAIL}"
#: The pbx's one SIP transport; the product's trunks name it (``trunk_transport``):
#: without one Asterisk looks up its own host name for every outbound leg.
TRANSPORT = "transport-udp"
#: An endpoint of the pbx's own for SIP destinations (``lab-peer/sip:user@host``): the
#: product refuses its own trunks there.
PEER_ENDPOINT = "lab-peer"


def render_pbx(
    *,
    sip_bind: str,
    inbound_match: str,
    primary_contact: str,
    pstn_contact: str,
    qualify_frequency: int = 0,
    qualify_timeout: float = 1.0,
) -> dict[str, str]:
    """``pjsip.conf``, ``extensions.conf``, ``voicemail.conf`` and the generated files.

    The generated files start as placeholders, except the trunks: they are the
    product's own ``pjsip_continuity.conf``, rendered by the product's renderer
    as its first ``dialplan apply`` would, so the pbx can dial out before the
    product ever ran.
    """
    trunks = TrunkSettings(
        primary_contact, pstn_contact, qualify_frequency, qualify_timeout, TRANSPORT
    )
    pjsip = render(
        "pbx_pjsip.conf",
        sip_bind=sip_bind,
        inbound_match=inbound_match,
        transport=TRANSPORT,
        peer=PEER_ENDPOINT,
    )
    return {
        "pjsip.conf": pjsip,
        "extensions.conf": render("pbx_extensions.conf"),
        "voicemail.conf": render("pbx_voicemail.conf"),
        GENERATED_EXTENSIONS: PLACEHOLDER,
        GENERATED_PJSIP: render_pjsip(trunks),
        GENERATED_VOICEMAIL: PLACEHOLDER,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the pbx's pjsip.conf and extensions.conf.")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--sip-bind", default="0.0.0.0:5060")
    parser.add_argument("--inbound-match", required=True, help="carrier address(es) or CIDR")
    parser.add_argument("--primary-contact", required=True, help="SIP URI of the primary trunk")
    parser.add_argument("--pstn-contact", required=True, help="SIP URI of the PSTN trunk")
    parser.add_argument("--qualify-frequency", type=int, default=30)
    args = parser.parse_args(argv)
    files = render_pbx(
        sip_bind=args.sip_bind,
        inbound_match=args.inbound_match,
        primary_contact=args.primary_contact,
        pstn_contact=args.pstn_contact,
        qualify_frequency=args.qualify_frequency,
    )
    for name, content in files.items():
        target: Path = args.out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
