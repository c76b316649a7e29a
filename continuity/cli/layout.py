"""The face of `continuity --help`: commands first, grouped; examples on every command."""

from __future__ import annotations

import argparse

#: Group title -> the commands in it, in the order shown. A command no group names
#: (one added later) is listed under "Other commands".
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Routing", ("number", "line", "default", "status", "primary-numbers", "schedule")),
    ("Watching calls", ("calls", "test-call", "audit")),
    ("Outages", ("outage",)),
    ("Voicemail", ("voicemail",)),
    ("Running", ("serve", "agi", "web", "doctor", "proxy")),
    ("Access", ("token", "user")),
    ("Installing", ("install", "db", "dialplan", "settings", "demo")),
)

#: Examples shown at the end of each command's --help (where it has none of its own).
EXAMPLES: dict[str, str] = {
    "serve": "continuity serve\nCONTINUITY_LOG_FORMAT=json continuity serve",
    "db": "continuity db upgrade",
    "web": "continuity web\nCONTINUITY_WEB_LISTEN=127.0.0.1:8443 continuity web",
    "token": "continuity token create --name monitoring --role viewer\ncontinuity token list",
    "user": "continuity user add alice --role admin\ncontinuity user list",
    "install": "continuity install\ncontinuity install --check",
    "proxy": "continuity proxy render --listen 10.0.0.10:5060 --node pbx1=sip:10.0.0.11:5060"
    " --node pbx2=sip:10.0.0.12:5060 --out-dir /etc/kamailio",
    "demo": "./dev demo",
    "dialplan": "continuity dialplan diff\ncontinuity dialplan apply",
    "agi": "continuity agi serve",
    "number": "continuity number add +12125550101 --line sales\n"
    "continuity number set +12125550101 --continuity on\ncontinuity number list --json",
    "line": "continuity line add sales --kind department --external +13125550150\n"
    "continuity line test start sales\ncontinuity line list",
    "primary-numbers": "continuity primary-numbers add +1212555*\n"
    "continuity primary-numbers import dids.txt\ncontinuity primary-numbers list",
    "schedule": "continuity schedule add office --tz America/New_York"
    " --hours 'mon-fri 09:00-17:00' --default\n"
    "continuity schedule set office --holiday 2026-12-25\ncontinuity schedule list",
    "default": "continuity default --external +13125550150\ncontinuity default --continuity on",
    "status": "continuity status\ncontinuity status --json",
    "audit": "continuity audit --limit 20",
    "calls": "continuity calls --number +12125550101 --limit 5",
    "test-call": "continuity test-call +12125550101\ncontinuity test-call --all --json",
    "outage": "continuity outage status\n"
    'continuity outage declare --reason "carrier maintenance"\ncontinuity outage auto',
    "voicemail": "continuity voicemail boxes\ncontinuity voicemail list sales",
    "settings": "continuity settings\ncontinuity --config /etc/continuity.toml settings --json",
}

SETTINGS_NOTE = """\
settings:
  Every setting is a flag given before the command (--ari-url URL), an environment
  variable (CONTINUITY_ARI_URL) or a key of the TOML file (--config FILE); passwords
  and secrets come from the environment or the file only. `continuity settings`
  lists them all with their current values and where each came from.

Every command has --help, with examples."""


class ExamplesFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps an ``examples:`` epilog as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def add_examples(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, parser in sub.choices.items():
        text = EXAMPLES.get(name)
        if text is None or parser.epilog:
            continue
        lines = "\n".join(f"  {line}" for line in text.splitlines())
        parser.epilog = f"examples:\n{lines}"
        if parser.formatter_class is argparse.HelpFormatter:
            parser.formatter_class = ExamplesFormatter


def grouped_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    helps = {action.dest: action.help or "" for action in sub._choices_actions}
    names = list(sub.choices)
    width = max((len(n) for n in names), default=0) + 2
    placed: set[str] = set()
    sections = []
    for title, members in (*GROUPS, ("Other commands", tuple(names))):
        present = [n for n in members if n in sub.choices and n not in placed]
        if not present:
            continue
        placed.update(present)
        rows = "\n".join(f"  {n.ljust(width)}{helps.get(n, '')}" for n in present)
        sections.append(f"{title.lower()}:\n{rows}")
    return "\n\n".join(sections)


class TopParser(argparse.ArgumentParser):
    """Usage, description, the commands by group, the few options, then settings."""

    commands: argparse._SubParsersAction[argparse.ArgumentParser] | None = None

    def format_help(self) -> str:
        if self.commands is None:
            return super().format_help()
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._actions, self._mutually_exclusive_groups)
        formatter.add_text(self.description)
        head = formatter.format_help()
        options = self._get_formatter()
        options.start_section("options")
        options.add_arguments(
            [a for a in self._actions if a.option_strings and a.help is not argparse.SUPPRESS]
        )
        options.end_section()
        opts = options.format_help().strip()
        return f"{head}\n{grouped_commands(self.commands)}\n\n{opts}\n\n{SETTINGS_NOTE}\n"
