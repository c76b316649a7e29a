"""Configuration: CLI flag, then environment, then file, then default.

Every setting is declared once in ``SETTINGS`` with its environment variable,
its type and its default. ``load_config`` validates all of them and reports
every problem at once.
"""

from __future__ import annotations

import enum
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from continuity.core.outage import OutageMode
from continuity.errors import ConfigError

#: Hangup reasons ARI accepts in ``DELETE /channels/{id}?reason=`` that make sense for
#: a rejection, with the Q.850 cause the generated dialplan uses for the same reason.
REJECT_REASONS: dict[str, int] = {
    "unallocated": 1,
    "normal": 16,
    "busy": 17,
    "no_answer": 19,
    "rejected": 21,
    "congestion": 34,
    "timeout": 102,
}


class FallbackStore(enum.StrEnum):
    """Where the fallback dialplan keeps each tracking number's route."""

    #: One extension per number in the generated file: every change reloads it.
    FILE = "file"
    #: One AstDB key per number, read by a generic fallback: a change is one DBPut
    #: (the default).
    ASTDB = "astdb"


class Dialing(enum.StrEnum):
    """Who dials a tracking number's chain once the ARI app has planned it."""

    #: The app: it originates each leg, bridges the answered one, and records every
    #: attempt with its cause and SIP response (the default).
    ARI = "ari"
    #: The generated dialplan, whenever it is of the app's routing state: the app sends
    #: the caller on with one request, Asterisk's Dial() does the rest, and the call's
    #: record says where it landed and how the last attempt ended.
    DIALPLAN = "dialplan"


@dataclass(frozen=True, slots=True)
class UnknownNumberPolicy:
    """What a caller to a number we do not route gets: a rejection or an announcement."""

    action: str  # "reject" or "announce"
    value: str  # an ARI hangup reason, or a sound name

    @classmethod
    def parse(cls, text: str) -> UnknownNumberPolicy:
        action, _, value = text.partition(":")
        if action == "reject" and value in REJECT_REASONS:
            return cls(action, value)
        if action == "announce" and value and all(c.isalnum() or c in "-_/" for c in value):
            return cls(action, value)
        raise ValueError(
            "expected reject:<reason> with reason one of "
            f"{', '.join(sorted(REJECT_REASONS))}, or announce:<sound name>"
        )

    def __str__(self) -> str:
        return f"{self.action}:{self.value}"


@dataclass(frozen=True)
class Config:
    database_url: str = "postgresql://postgres@127.0.0.1:5432/continuity"
    ari_url: str = "http://127.0.0.1:8088"
    ari_username: str = "continuity"
    ari_password: str = field(default="", repr=False)
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "continuity"
    ami_secret: str = field(default="", repr=False)
    asterisk_config_dir: Path = Path("/etc/asterisk")
    #: Asterisk's astspooldir as seen here: voicemail boxes and custom prompts.
    asterisk_spool_dir: Path = Path("/var/spool/asterisk")
    state_dir: Path = Path("/var/lib/continuity")
    unknown_number: UnknownNumberPolicy = UnknownNumberPolicy("reject", "unallocated")
    dial_timeout: int = 30
    fallback_store: FallbackStore = FallbackStore.ASTDB
    #: Seconds behind (a caller's StasisStart waited this long for the ARI app, or
    #: Asterisk took this long to start a leg the app asked for) from which new
    #: callers go to the generated fallback dialplan, which routes the same.
    overload_handoff_after: float = 0.5
    #: Who dials the chain the app planned: the app (``ari``) or the generated dialplan.
    dialing: Dialing = Dialing.ARI
    default_region: str = "US"
    log_level: str = "INFO"
    #: Log lines as ``text`` or ``json`` (one object per line).
    log_format: str = "text"
    #: Serve Prometheus ``/metrics`` on this HOST:PORT; empty: not served on its own.
    metrics_listen: str = ""
    #: SIP URIs of the trunks rendered into pjsip_continuity.conf. Unset: the
    #: product leaves that file alone and the admin defines both endpoints.
    primary_trunk: str = ""
    pstn_trunk: str = ""
    #: The PJSIP transport the trunks use: a ``type = transport`` section of the
    #: admin's pjsip.conf. Required with the trunks: without one PJSIP looks up
    #: the host's own name for every outbound leg, which stalls calls on slow DNS.
    trunk_transport: str = ""
    #: Seconds between SIP OPTIONS to each trunk (0: never), and how long to wait.
    trunk_qualify_frequency: int = 10
    trunk_qualify_timeout: float = 3.0
    #: The FastAGI route (agi://host:port/continuity_route); port 0 turns it off.
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    #: Seconds a FastAGI session may take, headers to last reply; a stalled peer is dropped.
    agi_session_timeout: float = 5.0
    #: FastAGI sessions open at once; a connection beyond them is closed unserved.
    agi_max_connections: int = 256
    #: Voicemail notices go out through this SMTP server; empty: no notices.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"  # none, starttls or tls
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_sender: str = "continuity@localhost"
    #: Outage detection: auto (fail over and back by itself) or manual (notify only).
    outage_mode: OutageMode = OutageMode.AUTO
    #: Failed health checks in a row that declare an outage, good ones that clear it.
    outage_fail_after: int = 3
    outage_recover_after: int = 3
    #: Seconds without a failed check before an outage may clear (flap damping).
    outage_hold_down: float = 60.0
    #: Seconds between health samples: the primary trunk's qualify_frequency.
    outage_check_interval: float = 10.0
    #: Outage notices: an HTTP POST to this URL, and e-mail to these addresses (comma-separated).
    outage_webhook_url: str = field(default="", repr=False)
    outage_email_to: str = ""
    #: This node's name among the nodes sharing the database (empty: the host name),
    #: the SIP URI the proxy reaches its Asterisk at, and how often it heartbeats.
    node_name: str = ""
    node_sip_uri: str = ""
    node_heartbeat_interval: float = 1.0
    #: The HTTP API and web console: host:port to listen on; empty turns them off.
    web_listen: str = "127.0.0.1:8089"
    #: Serve HTTPS with this certificate and key (both, or neither: plain HTTP).
    web_tls_cert: str = ""
    web_tls_key: str = ""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a whole number above 0")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be a whole number, 0 or more")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number, 1-65535, or 0 for off")
    return value


#: A SIP URI as PJSIP reads it from a config line: no spaces, commas or quotes.
_SIP_URI = re.compile(r"sips?:[A-Za-z0-9._~+@:\[\]-]+(;[A-Za-z0-9._~=-]+)*\Z")


def _sip_uri(text: str) -> str:
    if text and not _SIP_URI.match(text):
        raise ValueError("must be a SIP URI such as sip:trunk.example.com:5060 (or empty)")
    return text


def _object_name(text: str) -> str:
    if text and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", text):
        raise ValueError("must be a PJSIP object name: letters, digits, _ . -")
    return text


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


def _log_format(text: str) -> str:
    if text not in {"text", "json"}:
        raise ValueError("must be text or json")
    return text


def _fallback_store(text: str) -> FallbackStore:
    try:
        return FallbackStore(text.strip().lower())
    except ValueError:
        raise ValueError("must be file or astdb") from None


def _outage_mode(text: str) -> OutageMode:
    if text not in {m.value for m in OutageMode}:
        raise ValueError("must be auto or manual")
    return OutageMode(text)


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError("must be a number of seconds, 0 or more")
    return value


def _interval(text: str) -> float:
    value = _seconds(text)
    if value < 0.1:
        raise ValueError("must be at least 0.1 seconds")
    return value


def _optional_url(text: str) -> str:
    if text and not text.startswith(("http://", "https://")):
        raise ValueError("must be empty or start with http:// or https://")
    return text


def _addresses(text: str) -> str:
    found = [a.strip() for a in text.split(",") if a.strip()]
    bad = [a for a in found if "@" not in a]
    if bad:
        raise ValueError(f"not an e-mail address: {', '.join(bad)}")
    return ", ".join(found)


def _smtp_security(text: str) -> str:
    if text not in {"none", "starttls", "tls"}:
        raise ValueError("must be none, starttls or tls")
    return text


def _listen(text: str) -> str:
    if not text:
        return text
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be host:port, such as 127.0.0.1:8089 (or empty for off)")
    return text


def _url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not text.startswith(schemes):
            raise ValueError(f"must start with {' or '.join(schemes)}")
        return text

    return check


def _dialing(text: str) -> Dialing:
    try:
        return Dialing(text.strip().lower())
    except ValueError:
        raise ValueError("must be ari or dialplan") from None


#: name -> (environment variable, parser)
SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("CONTINUITY_DATABASE_URL", _url(("postgresql://", "postgres://"))),
    "ari_url": ("CONTINUITY_ARI_URL", _url(("http://", "https://"))),
    "ari_username": ("CONTINUITY_ARI_USERNAME", str),
    "ari_password": ("CONTINUITY_ARI_PASSWORD", str),
    "ami_host": ("CONTINUITY_AMI_HOST", str),
    "ami_port": ("CONTINUITY_AMI_PORT", _positive_int),
    "ami_username": ("CONTINUITY_AMI_USERNAME", str),
    "ami_secret": ("CONTINUITY_AMI_SECRET", str),
    "asterisk_config_dir": ("CONTINUITY_ASTERISK_CONFIG_DIR", Path),
    "asterisk_spool_dir": ("CONTINUITY_ASTERISK_SPOOL_DIR", Path),
    "state_dir": ("CONTINUITY_STATE_DIR", Path),
    "unknown_number": ("CONTINUITY_UNKNOWN_NUMBER", UnknownNumberPolicy.parse),
    "dial_timeout": ("CONTINUITY_DIAL_TIMEOUT", _positive_int),
    "fallback_store": ("CONTINUITY_FALLBACK_STORE", _fallback_store),
    "overload_handoff_after": ("CONTINUITY_OVERLOAD_HANDOFF_AFTER", _interval),
    "dialing": ("CONTINUITY_DIALING", _dialing),
    "default_region": ("CONTINUITY_DEFAULT_REGION", str.upper),
    "log_level": ("CONTINUITY_LOG_LEVEL", _log_level),
    "log_format": ("CONTINUITY_LOG_FORMAT", _log_format),
    "metrics_listen": ("CONTINUITY_METRICS_LISTEN", _listen),
    "primary_trunk": ("CONTINUITY_PRIMARY_TRUNK", _sip_uri),
    "pstn_trunk": ("CONTINUITY_PSTN_TRUNK", _sip_uri),
    "trunk_transport": ("CONTINUITY_TRUNK_TRANSPORT", _object_name),
    "trunk_qualify_frequency": ("CONTINUITY_TRUNK_QUALIFY_FREQUENCY", _non_negative_int),
    "trunk_qualify_timeout": ("CONTINUITY_TRUNK_QUALIFY_TIMEOUT", _interval),
    "agi_host": ("CONTINUITY_AGI_HOST", str),
    "agi_port": ("CONTINUITY_AGI_PORT", _port),
    "agi_session_timeout": ("CONTINUITY_AGI_SESSION_TIMEOUT", _interval),
    "agi_max_connections": ("CONTINUITY_AGI_MAX_CONNECTIONS", _positive_int),
    "smtp_host": ("CONTINUITY_SMTP_HOST", str),
    "smtp_port": ("CONTINUITY_SMTP_PORT", _positive_int),
    "smtp_security": ("CONTINUITY_SMTP_SECURITY", _smtp_security),
    "smtp_username": ("CONTINUITY_SMTP_USERNAME", str),
    "smtp_password": ("CONTINUITY_SMTP_PASSWORD", str),
    "smtp_sender": ("CONTINUITY_SMTP_SENDER", str),
    "outage_mode": ("CONTINUITY_OUTAGE_MODE", _outage_mode),
    "outage_fail_after": ("CONTINUITY_OUTAGE_FAIL_AFTER", _positive_int),
    "outage_recover_after": ("CONTINUITY_OUTAGE_RECOVER_AFTER", _positive_int),
    "outage_hold_down": ("CONTINUITY_OUTAGE_HOLD_DOWN", _seconds),
    "outage_check_interval": ("CONTINUITY_OUTAGE_CHECK_INTERVAL", _interval),
    "outage_webhook_url": ("CONTINUITY_OUTAGE_WEBHOOK_URL", _optional_url),
    "outage_email_to": ("CONTINUITY_OUTAGE_EMAIL_TO", _addresses),
    "node_name": ("CONTINUITY_NODE_NAME", _object_name),
    "node_sip_uri": ("CONTINUITY_NODE_SIP_URI", _sip_uri),
    "node_heartbeat_interval": ("CONTINUITY_NODE_HEARTBEAT_INTERVAL", _interval),
    "web_listen": ("CONTINUITY_WEB_LISTEN", _listen),
    "web_tls_cert": ("CONTINUITY_WEB_TLS_CERT", str),
    "web_tls_key": ("CONTINUITY_WEB_TLS_KEY", str),
}

CONFIG_FILE_ENV = "CONTINUITY_CONFIG"


def load_config(
    flags: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Config:
    """Merge the layers and validate; raise :class:`ConfigError` listing every problem."""
    flags = flags or {}
    environ = os.environ if environ is None else environ
    file_values: dict[str, Any] = {}
    problems: list[str] = []
    path = config_file or (Path(environ[CONFIG_FILE_ENV]) if CONFIG_FILE_ENV in environ else None)
    if path is not None:
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"config file {path}: {exc}")
        for key in sorted(set(file_values) - set(SETTINGS)):
            problems.append(f"config file {path}: unknown setting {key!r}")
    values: dict[str, Any] = {}
    for name, (env, parse) in SETTINGS.items():
        raw: Any = None
        source = ""
        if flags.get(name) is not None:
            raw, source = flags[name], f"--{name.replace('_', '-')}"
        elif env in environ:
            raw, source = environ[env], env
        elif name in file_values:
            raw, source = file_values[name], f"{path}: {name}"
        if raw is None:
            continue
        try:
            values[name] = parse(str(raw))
        except ValueError as exc:
            problems.append(f"{source}: {exc}")
    problems.extend(_trunk_problems(values))
    if bool(values.get("web_tls_cert")) != bool(values.get("web_tls_key")):
        problems.append("web_tls_cert and web_tls_key: give both (HTTPS) or neither (HTTP)")
    if problems:
        raise ConfigError(problems)
    return Config(**values)


def _trunk_problems(values: Mapping[str, Any]) -> list[str]:
    """The trunk settings go together: both URIs and the transport, or none."""
    primary, pstn = values.get("primary_trunk", ""), values.get("pstn_trunk", "")
    if not (primary or pstn):
        return []
    if not (primary and pstn):
        return [
            "primary_trunk and pstn_trunk: set both (the product renders both trunks) or neither"
        ]
    if not values.get("trunk_transport"):
        return [
            "trunk_transport: required with primary_trunk/pstn_trunk. Give the name of a "
            "transport section (type = transport) in your pjsip.conf, e.g. transport-udp"
        ]
    return []
