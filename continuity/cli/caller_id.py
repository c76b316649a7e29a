"""The caller-ID flags of `continuity default` and `continuity line add|set`."""

from __future__ import annotations

import argparse
from typing import Any

from continuity.admin import KEEP
from continuity.core.model import CallerIdPolicy
from continuity.core.redirecting import LINE_NAME, NAME_PREFIX_MAX

POLICIES = {"keep": CallerIdPolicy.KEEP, "tracking": CallerIdPolicy.TRACKING, "inherit": None}


def add_caller_id_options(p: argparse.ArgumentParser, *, inherit: bool = True) -> None:
    p.add_argument(
        "--caller-id",
        choices=["keep", "tracking", "inherit"] if inherit else ["keep", "tracking"],
        help="caller ID of forwarded calls: 'keep' the caller's number (the Diversion "
        "header names the tracking number), or present the 'tracking' number, for "
        "carriers that refuse caller IDs the account does not own"
        + ("; 'inherit' follows the account" if inherit else ""),
    )
    prefix = p.add_mutually_exclusive_group()
    prefix.add_argument(
        "--caller-name-prefix",
        metavar="TEXT",
        help=f"put TEXT before the caller's name on forwarded calls ({LINE_NAME} stands for "
        f"the line's name, e.g. '{LINE_NAME}:'; at most {NAME_PREFIX_MAX} characters of "
        "letters, digits, spaces and . ' & + / # @ ! : -; '' for none)",
    )
    if inherit:
        prefix.add_argument(
            "--inherit-caller-name-prefix",
            action="store_true",
            help="drop this line's prefix and follow the account's",
        )


def caller_id_change(args: argparse.Namespace) -> dict[str, Any]:
    """The admin keyword arguments the flags ask for (KEEP for the ones not given)."""
    return {
        "caller_id": KEEP if args.caller_id is None else POLICIES[args.caller_id],
        "caller_name_prefix": (
            None
            if getattr(args, "inherit_caller_name_prefix", False)
            else KEEP
            if args.caller_name_prefix is None
            else args.caller_name_prefix
        ),
    }
