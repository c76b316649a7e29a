"""`continuity voicemail …`: each line's failover box, its prompt, notices and messages."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.compose_cli import actor, open_pool
from continuity.config import Config
from continuity.db.store import Store
from continuity.db.voicemail import VoicemailStore
from continuity.errors import InvalidSetting
from continuity.voicemail.prompts import MAX_SECONDS, PromptStore
from continuity.voicemail.service import VoicemailAdmin
from continuity.voicemail.spool import Spool


def add_parsers(sub: SubParsers) -> None:
    vm = sub.add_parser(
        "voicemail",
        help="failover voicemail: prompts, email notices, messages",
        description="Every line has an app_voicemail box named after its id. Callers whose "
        "chain ends in voicemail hear the line's prompt, a beep, and leave a message; a "
        "notice with the recording goes to the line's email address.",
    )
    vsub = vm.add_subparsers(dest="action", required=True, metavar="ACTION")

    prompt = vsub.add_parser(
        "prompt",
        help="the prompt callers hear before the beep",
        description='Default: "Nobody is available to take your call at the moment. Please '
        'leave your message after the tone." A custom prompt is any WAV or MP3 recording '
        f"of 0.5 to {MAX_SECONDS:.0f} s; it is converted to 8 kHz mono WAV with sox.",
    )
    psub = prompt.add_subparsers(dest="prompt_action", required=True, metavar="ACTION")
    pset = psub.add_parser("set", help="set a line's prompt from an audio file (WAV or MP3)")
    pset.add_argument("line", help="the line id")
    pset.add_argument("file", type=Path, help="the recording")
    pset.set_defaults(run=cmd_prompt_set)
    preset = psub.add_parser("reset", help="back to the default prompt")
    preset.add_argument("line", help="the line id")
    preset.set_defaults(run=cmd_prompt_reset)
    pshow = psub.add_parser("show", help="which prompt a line plays")
    pshow.add_argument("line", help="the line id")
    pshow.set_defaults(run=cmd_prompt_show)

    email = vsub.add_parser("email", help="where a line's voicemail notices are emailed")
    esub = email.add_subparsers(dest="email_action", required=True, metavar="ACTION")
    eset = esub.add_parser("set", help="email each new message of a line to ADDRESS")
    eset.add_argument("line", help="the line id")
    eset.add_argument("address", help="e.g. sales@example.com")
    eset.set_defaults(run=cmd_email_set)
    eclear = esub.add_parser("clear", help="send no notices for a line")
    eclear.add_argument("line", help="the line id")
    eclear.set_defaults(run=cmd_email_clear)

    pin = vsub.add_parser(
        "pin",
        help="the PIN a line's owner gives VoiceMailMain to hear the messages",
        description="Every line's box gets a random 6-digit PIN when the line is created. "
        "The owner dials your VoiceMailMain extension, gives the line id as the mailbox "
        "(app_voicemail context `continuity`) and this PIN.",
    )
    pinsub = pin.add_subparsers(dest="pin_action", required=True, metavar="ACTION")
    pinset = pinsub.add_parser(
        "set",
        help="set a line's PIN (4-12 digits), read from the terminal or standard input",
        description="Reads the PIN from standard input (one line), or asks for it twice "
        "on a terminal. A PIN given as an argument works but is visible to anyone "
        "running `ps` while the command runs.",
    )
    pinset.add_argument("line", help="the line id")
    pinset.add_argument("pin", nargs="?", help=argparse.SUPPRESS)
    pinset.set_defaults(run=cmd_pin_set)
    pinreset = pinsub.add_parser("reset", help="give a line a new random PIN and print it once")
    pinreset.add_argument("line", help="the line id")
    pinreset.set_defaults(run=cmd_pin_reset)

    boxes = vsub.add_parser("boxes", help="every line's box: prompt, email, message counts")
    boxes.add_argument("--json", action="store_true", help="machine-readable output")
    boxes.set_defaults(run=cmd_boxes)

    ls = vsub.add_parser("list", help="messages in the boxes (caller, time, length)")
    ls.add_argument("line", nargs="?", help="only this line's box")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(run=cmd_list)

    export = vsub.add_parser(
        "export",
        help="write a message's recording to a file",
        description="MSG is the message id (the ID column of `voicemail list`), or its "
        "position such as msg0000 or Old/msg0001. The format follows OUT's extension "
        "(.wav, .mp3, …; converted with sox when it differs from the stored one).",
    )
    export.add_argument("line", help="the line id")
    export.add_argument("message", metavar="MSG", help="message id or msgNNNN")
    export.add_argument("out", type=Path, metavar="OUT", help="file to write")
    export.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    export.set_defaults(run=cmd_export)


@asynccontextmanager
async def open_voicemail(config: Config) -> AsyncIterator[VoicemailAdmin]:
    async with open_pool(config) as pool:
        yield VoicemailAdmin(
            Store(pool),
            VoicemailStore(pool),
            PromptStore(config.asterisk_spool_dir),
            Spool(config.asterisk_spool_dir),
            actor(),
        )


async def cmd_prompt_set(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        print(f"checking and converting {args.file} with sox…", flush=True)
        prompt = await vm.set_prompt(args.line, args.file)
    print(f"line {args.line} now plays {args.file} ({prompt.seconds:.1f} s) before the beep")
    return 0


async def cmd_prompt_reset(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        had = await vm.reset_prompt(args.line)
    state = "now plays" if had else "already played"
    print(f"line {args.line} {state} the default prompt")
    return 0


async def cmd_prompt_show(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        prompt = await vm.prompt(args.line)
    if prompt is None:
        print(f"line {args.line}: default prompt")
    else:
        print(f"line {args.line}: custom prompt, {prompt.seconds:.1f} s ({prompt.path})")
    return 0


async def cmd_email_set(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        await vm.set_email(args.line, args.address)
    print(f"voicemail notices of line {args.line} go to {args.address}")
    if not config.smtp_host:
        print("note: smtp_host is not configured, so `continuity serve` sends no email yet")
    return 0


async def cmd_email_clear(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        await vm.set_email(args.line, None)
    print(f"line {args.line} gets no voicemail notices")
    return 0


def _read_pin(given: str | None) -> str:
    if given is not None:
        print(
            "continuity: warning: a PIN on the command line is visible to other users "
            "(ps); pipe it on standard input instead",
            file=sys.stderr,
        )
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    first = getpass.getpass("new PIN: ")
    if getpass.getpass("again: ") != first:
        raise InvalidSetting("the two PINs differ; nothing was changed")
    return first


async def cmd_pin_set(args: argparse.Namespace, config: Config) -> int:
    pin = _read_pin(args.pin)
    async with open_voicemail(config) as vm:
        await vm.set_pin(args.line, pin)
    print(f"line {args.line}: voicemail PIN changed")
    return 0


async def cmd_pin_reset(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        pin = await vm.set_pin(args.line)
    print(f"line {args.line}: new voicemail PIN {pin}")
    return 0


async def cmd_boxes(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        boxes = await vm.boxes()
    rows = [
        [
            b.line,
            b.name,
            f"custom, {b.prompt.seconds:.1f} s" if b.prompt else "default",
            b.email or "-",
            b.new,
            b.old,
        ]
        for b in boxes
    ]
    emit(
        [b.to_json() for b in boxes],
        ["LINE", "NAME", "PROMPT", "EMAIL", "NEW", "OLD"],
        rows,
        args.json,
    )
    return 0


async def cmd_list(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        messages = await vm.messages(args.line)
    rows = [
        [
            m.box,
            f"{m.folder}/{m.name}",
            m.msg_id,
            m.caller_number or "(unknown)",
            m.caller_name,
            f"{m.received:%Y-%m-%d %H:%M:%S}",
            f"{m.duration} s",
        ]
        for m in messages
    ]
    emit(
        [m.to_json() for m in messages],
        ["LINE", "MESSAGE", "ID", "CALLER", "NAME", "RECEIVED (UTC)", "LENGTH"],
        rows,
        args.json,
    )
    return 0


async def cmd_export(args: argparse.Namespace, config: Config) -> int:
    async with open_voicemail(config) as vm:
        message = await vm.export(args.line, args.message, args.out, overwrite=args.force)
    print(
        f"wrote {args.out}: {message.duration} s from {message.caller_number or 'unknown'} "
        f"({message.folder}/{message.name} of line {args.line})"
    )
    return 0
