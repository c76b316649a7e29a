"""`continuity install`: the generated files, before Asterisk needs them."""

from __future__ import annotations

import argparse

from continuity.cli.context import SubParsers
from continuity.config import Config
from continuity.dialplan_plugin import trunk_settings
from continuity.dialplan_templates.pjsip import render_pjsip
from continuity.install import (
    AMI_PRIVILEGES,
    FALLBACK_STORES,
    INCLUDES,
    generated_path,
    install,
    missing_includes,
    write_problems,
)


def add_parsers(sub: SubParsers) -> None:
    cmd = sub.add_parser(
        "install",
        help="write the generated files Asterisk #includes, and print the lines to add",
        description="Run once before adding the #include lines to your Asterisk files, "
        "so Asterisk never reads an #include of a file that does not exist (pjsip.conf "
        "and extensions.conf would then fail to parse). Writes only the generated files "
        "that do not exist yet, under <asterisk_config_dir>/continuity/: empty "
        "placeholders, and the trunks when primary_trunk/pstn_trunk are set. Then prints "
        "the #include lines your files still lack and the AMI privileges the product "
        "needs. Safe to run again. Needs no database.",
    )
    cmd.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a generated file or an #include line is missing",
    )
    cmd.set_defaults(run=cmd_install)


async def cmd_install(args: argparse.Namespace, config: Config) -> int:
    etc = config.asterisk_config_dir
    if not etc.is_dir():
        print(f"continuity: {etc} does not exist: set asterisk_config_dir to Asterisk's astetcdir")
        return 2
    trunks = trunk_settings(config)
    pjsip = render_pjsip(trunks) if trunks is not None else None
    missing = missing_includes(etc)
    if args.check:
        absent = [generated_path(etc, i) for i in INCLUDES if not generated_path(etc, i).exists()]
        for include in missing:
            print(f"missing in {etc / include.file}: {include.line}")
        for path in absent:
            print(f"missing generated file: {path}")
        return 1 if missing or absent else 0
    for written in install(etc, pjsip):
        print(f"{written.action:5}  {written.path}")
    config.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for problem in write_problems(etc, config.asterisk_spool_dir):
        print(f"warning: {problem}")
    if missing:
        print("\nAdd these lines, then restart Asterisk (or `core reload`):")
        for include in missing:
            print(f"  {etc / include.file} ({include.where}):\n    {include.line}")
    else:
        print("\nYour Asterisk files include every generated file.")
    print(f"\nThe AMI user {config.ami_username!r} needs in manager.conf:")
    for line in AMI_PRIVILEGES.lines():
        print(f"  {line}")
    print(f"\nfallback_store = {config.fallback_store}: {FALLBACK_STORES[config.fallback_store]}")
    return 0
