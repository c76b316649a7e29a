"""What installing beside an admin's own Asterisk needs, defined once.

``continuity install``, the README and the doctor read the same facts from
here: the ``#include`` lines the admin adds, the AMI privileges the product
uses, the Asterisk modules it needs. :func:`install` writes the generated files
Asterisk includes, as empty-but-valid placeholders, before Asterisk needs them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.config import FallbackStore
from continuity.files import write_atomically

#: The generated voicemail file holds the boxes' PINs: owner and group only.
VOICEMAIL_MODE = 0o640
#: The other generated files hold no secret.
PUBLIC_MODE = 0o644

PLACEHOLDER = (
    "; Written by `continuity install` so Asterisk can parse the file that includes\n"
    "; it. `continuity serve` (or `continuity dialplan apply`) replaces it.\n"
)


@dataclass(frozen=True, slots=True)
class AmiPrivileges:
    """``read =`` and ``write =`` classes of the product's manager.conf user."""

    #: system: ContactStatus (trunk health); call: OriginateResponse (test calls);
    #: user: the UserEvent that reports a verification call's keyed digits.
    read: tuple[str, ...]
    #: command: the reloads; reporting: ShowDialPlan; system: PJSIPShowEndpoint;
    #: originate: `continuity test-call` and verification calls.
    write: tuple[str, ...]

    def lines(self) -> list[str]:
        return [f"read = {','.join(self.read)}", f"write = {','.join(self.write)}"]


AMI_PRIVILEGES = AmiPrivileges(
    read=("system", "call", "user"), write=("system", "command", "reporting", "originate")
)

#: Asterisk modules the product uses, beyond what any PJSIP + ARI install loads.
REQUIRED_MODULES: tuple[tuple[str, str], ...] = (
    ("res_pjsip.so, chan_pjsip.so, res_pjsip_session.so, res_pjsip_sdp_rtp.so", "SIP"),
    ("res_pjsip_endpoint_identifier_ip.so", "identify the carrier's calls by address"),
    ("res_rtp_asterisk.so, bridge_simple.so, bridge_native_rtp.so", "media and bridges"),
    ("res_http_websocket.so, res_ari.so, res_ari_*.so, res_stasis.so, app_stasis.so", "ARI"),
    ("pbx_config.so", "extensions.conf and `dialplan reload`"),
    ("app_dial.so, app_playback.so, app_voicemail.so, app_exec.so, app_stack.so", "dialplan"),
    ("app_userevent.so", "the SIP cause of each leg, reported by its hangup handler"),
    ("func_strings.so, func_logic.so, func_env.so, func_channel.so", "dialplan functions"),
    ("func_callerid.so, func_hangupcause.so", "dialplan functions"),
    ("func_db.so, func_cut.so", "the fallback routes in AstDB (fallback_store = astdb)"),
    ("res_agi.so", "the FastAGI route (installs that keep their own dialplan)"),
    ("codec_ulaw.so, codec_alaw.so, codec_gsm.so, format_wav.so, format_gsm.so", "audio"),
)


#: Where the fallback dialplan keeps each number's route, as `continuity install` says it.
FALLBACK_STORES = {
    FallbackStore.ASTDB: (
        f"each number's route is a key of Asterisk's AstDB (family {names.ASTDB_FAMILY}, "
        "kept in astdb.sqlite3), read by the generic fallback dialplan: Asterisk needs "
        "func_db.so and func_cut.so (`module show like func_`). `continuity doctor` "
        "compares the keys with the routing state."
    ),
    FallbackStore.FILE: (
        "each number's route is an extension of the generated dialplan file, reloaded on "
        "every change (fine up to a few thousand numbers; astdb beyond)."
    ),
}


@dataclass(frozen=True, slots=True)
class Include:
    """A line the admin adds to one of their own files."""

    #: The admin's file, relative to the Asterisk config dir.
    file: str
    generated: str
    where: str

    @property
    def line(self) -> str:
        return f'#include "{names.GENERATED_DIR}/{self.generated}"'

    def present_in(self, text: str) -> bool:
        """Whether ``text`` includes the generated file (``#include`` or ``#tryinclude``)."""
        target = re.escape(f"{names.GENERATED_DIR}/{self.generated}")
        pattern = rf'^[ \t]*#(try)?include[ \t]+"?(\S*/)?{target}"?[ \t]*$'
        return re.search(pattern, text, re.MULTILINE) is not None


INCLUDES = (
    Include("extensions.conf", names.GENERATED_EXTENSIONS, "anywhere, e.g. at the end"),
    Include("pjsip.conf", names.GENERATED_PJSIP, "after your transports"),
    Include("voicemail.conf", names.GENERATED_VOICEMAIL, "at the end, after [general]"),
)


def missing_includes(asterisk_config_dir: Path) -> list[Include]:
    """The include lines the admin's files lack (a file that does not exist lacks all)."""
    missing = []
    for include in INCLUDES:
        try:
            text = (asterisk_config_dir / include.file).read_text(encoding="utf-8")
        except OSError:
            text = ""
        if not include.present_in(text):
            missing.append(include)
    return missing


def generated_path(asterisk_config_dir: Path, include: Include) -> Path:
    return asterisk_config_dir / names.GENERATED_DIR / include.generated


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    #: "wrote" (it did not exist) or "kept" (left as it was).
    action: str


def install(asterisk_config_dir: Path, pjsip_text: str | None) -> list[Written]:
    """Write each generated file that does not exist yet; leave the others alone.

    ``pjsip_text`` is the rendered trunks file, or ``None`` when the admin
    defines the trunks (a placeholder is written then). Idempotent.
    """
    done = []
    for include in INCLUDES:
        path = generated_path(asterisk_config_dir, include)
        if path.exists():
            done.append(Written(path, "kept"))
            continue
        text = PLACEHOLDER
        if include.generated == names.GENERATED_PJSIP and pjsip_text is not None:
            text = pjsip_text
        mode = VOICEMAIL_MODE if include.generated == names.GENERATED_VOICEMAIL else PUBLIC_MODE
        write_atomically(path, text, mode=mode)
        done.append(Written(path, "wrote"))
    return done


def write_problems(asterisk_config_dir: Path, asterisk_spool_dir: Path) -> list[str]:
    """What the app cannot write that it will need to (empty: all is well)."""
    problems = []
    generated = asterisk_config_dir / names.GENERATED_DIR
    if not os.access(generated, os.W_OK | os.X_OK):
        problems.append(f"{generated}: not writable by this user (the generated files go here)")
    prompts = asterisk_spool_dir / names.VOICEMAIL_PROMPTS_DIR
    parent = next((p for p in (prompts, *prompts.parents) if p.exists()), None)
    if parent is None or not os.access(parent, os.W_OK | os.X_OK):
        problems.append(f"{prompts}: cannot be created or written (custom voicemail prompts)")
    return problems


def reload_hint(command: str, error: str) -> str:
    """A sentence telling the admin how to fix a reload AMI refused, or ``""``."""
    lowered = error.lower()
    if "permission denied" in lowered:
        return (
            f" (the AMI user lacks a privilege: give it {' / '.join(AMI_PRIVILEGES.lines())}"
            " in manager.conf)"
        )
    if "no such command" in lowered and command.startswith("dialplan"):
        return (
            " (Asterisk has no `dialplan reload`: pbx_config is not loaded, which happens "
            "when extensions.conf did not parse, for example because it #includes a file "
            "that did not exist at start. Run `continuity install`, then restart Asterisk)"
        )
    if "no such command" in lowered or "not found" in lowered:
        module = command.rsplit(" ", 1)[-1]
        return f" (is {module} loaded? See the README's list of modules)"
    return ""
