"""The continuity flags shared by `number`, `line` and `default`."""

from __future__ import annotations

import argparse

from continuity.admin import KEEP, Keep, SettingsChange
from continuity.core.model import Destination, DestinationKind, Snapshot
from continuity.core.numbers import parse_e164

MODE = {"on": True, "off": False, "inherit": None}
ENABLED = {"enabled": True, "disabled": False, "inherit": None}


def add_settings_options(p: argparse.ArgumentParser, *, inherit: bool = True) -> None:
    modes = ["on", "off", "inherit"] if inherit else ["on", "off"]
    p.add_argument(
        "--continuity",
        choices=modes,
        help="continuity mode: 'on' skips the primary and sends calls straight to "
        "the continuity destination" + ("; 'inherit' follows the level above" if inherit else ""),
    )
    p.add_argument(
        "--failover",
        choices=["enabled", "disabled", "inherit"] if inherit else ["enabled", "disabled"],
        help="'disabled' keeps continuity out of routing entirely (primary only); "
        "'enabled' lets calls fail over when the primary fails",
    )
    dest = p.add_mutually_exclusive_group()
    dest.add_argument("--external", metavar="E164", help="destination: a PSTN number")
    dest.add_argument(
        "--voice-agent", action="store_true", help="destination: the configured voice agent"
    )
    dest.add_argument(
        "--sip", metavar="ENDPOINT[/sip:URI]", help="destination: a backup PBX or SIP endpoint"
    )
    dest.add_argument(
        "--voicemail",
        metavar="BOX",
        help="destination: a line's failover voicemail box (the line id)",
    )
    dest.add_argument(
        "--clear-destination", action="store_true", help="drop the destination set at this level"
    )


def destination(
    args: argparse.Namespace, snapshot: Snapshot, region: str
) -> Destination | Keep | None:
    """The destination flag, parsed; the admin service checks it (an empty value too)."""
    if args.clear_destination:
        return None
    if args.external is not None:
        return Destination(DestinationKind.EXTERNAL, parse_e164(args.external, region))
    if args.voice_agent:
        # The configured agent; with none configured the service says how to set one.
        return Destination(DestinationKind.VOICE_AGENT, snapshot.account.voice_agent or "")
    if args.sip is not None:
        return Destination(DestinationKind.SIP, args.sip)
    if args.voicemail is not None:
        return Destination(DestinationKind.VOICEMAIL, args.voicemail)
    return KEEP


def settings_change(args: argparse.Namespace, snapshot: Snapshot, region: str) -> SettingsChange:
    return SettingsChange(
        on=MODE[args.continuity] if args.continuity else KEEP,
        enabled=ENABLED[args.failover] if args.failover else KEEP,
        destination=destination(args, snapshot, region),
    )
