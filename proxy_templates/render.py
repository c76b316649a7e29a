"""Render the Kamailio load balancer in front of the pbx nodes.

Imports only Jinja and the shared names, like ``continuity.dialplan_templates``: the proxy
host needs nothing else to render its files.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2

from continuity import names

#: Kamailio's module directory in Debian's ``kamailio`` package.
DEBIAN_MODULE_DIR = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
#: A node's SIP URI: host (or IPv4) and an optional port, nothing Kamailio would parse twice.
_NODE_URI = re.compile(r"sip:(?P<host>[A-Za-z0-9.-]{1,253})(:(?P<port>[0-9]{1,5}))?\Z")
_NODE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
_REPLY_CODES = re.compile(r"(class|code)=[0-9]{1,3}(;(class|code)=[0-9]{1,3})*\Z")
_SAFE_PATH = re.compile(r"/[A-Za-z0-9_./-]{1,200}\Z")
#: Dispatcher algorithms offered: 4 round robin, 0 hash over Call-ID, 10 call load.
ALGORITHMS = {"round-robin": "4", "call-id": "0", "call-load": "10"}


class InvalidProxySetting(ValueError):
    """A node or proxy setting that would not render into a valid Kamailio config."""


@dataclass(frozen=True, slots=True)
class Node:
    """One pbx node: an Asterisk and its ``continuity serve``, reachable at ``sip_uri``."""

    name: str
    sip_uri: str

    def check(self) -> None:
        if not _NODE_NAME.match(self.name):
            raise InvalidProxySetting(
                f"node name {self.name!r}: use 1-64 letters, digits, '.', '_' or '-'"
            )
        match = _NODE_URI.match(self.sip_uri)
        if match is None or not 0 < int(match["port"] or 5060) < 65536:
            raise InvalidProxySetting(
                f"node {self.name}: {self.sip_uri!r} is not a SIP URI such as sip:10.0.0.11:5060"
            )


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """How the proxy listens, probes the nodes and fails a call over to the next one."""

    listen_host: str = "127.0.0.1"
    listen_port: int = 5060
    #: Seconds between OPTIONS probes of every node.
    probe_interval: int = 1
    #: Failed probes before a node is taken out of rotation.
    probing_threshold: int = 1
    #: Answered probes before it is put back.
    inactive_threshold: int = 1
    #: Probe replies that count as "up", besides 2xx.
    ping_reply_codes: str = "class=2;code=404"
    #: No reply at all from a node within this: the call goes to the next node.
    branch_timeout_ms: int = 1000
    #: After a provisional reply: how long the call may ring.
    invite_timeout_ms: int = 120000
    algorithm: str = "round-robin"
    children: int = 2
    log_level: int = 1
    runtime_dir: str = "/run/kamailio"
    module_dir: str = DEBIAN_MODULE_DIR

    @property
    def control_socket(self) -> str:
        return f"{self.runtime_dir}/kamailio_ctl"

    def check(self) -> None:
        try:
            ipaddress.ip_address(self.listen_host)
        except ValueError:
            raise InvalidProxySetting(
                f"listen address {self.listen_host!r}: give an IP address such as 10.0.0.10"
            ) from None
        for name, value, low, high in (
            ("listen port", self.listen_port, 1, 65535),
            ("probe interval", self.probe_interval, 1, 3600),
            ("probing threshold", self.probing_threshold, 1, 100),
            ("inactive threshold", self.inactive_threshold, 1, 100),
            ("branch timeout (ms)", self.branch_timeout_ms, 100, 60000),
            ("invite timeout (ms)", self.invite_timeout_ms, 1000, 600000),
            ("children", self.children, 1, 64),
        ):
            if not low <= value <= high:
                raise InvalidProxySetting(f"{name} {value}: give {low} to {high}")
        if not _REPLY_CODES.match(self.ping_reply_codes):
            raise InvalidProxySetting(
                f"probe reply codes {self.ping_reply_codes!r}: write them as class=2;code=404"
            )
        if self.algorithm not in ALGORITHMS:
            raise InvalidProxySetting(
                f"algorithm {self.algorithm!r}: choose one of {', '.join(ALGORITHMS)}"
            )
        for what, path in (("runtime dir", self.runtime_dir), ("module dir", self.module_dir)):
            if not _SAFE_PATH.match(path):
                raise InvalidProxySetting(f"{what} {path!r}: give an absolute path")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("continuity.proxy_templates", ""),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Kamailio config, not HTML: every value is checked before it reaches a template.
        autoescape=False,  # noqa: S701
    )


def render_proxy(
    settings: ProxySettings, nodes: Sequence[Node], config_dir: PurePosixPath | Path
) -> dict[str, str]:
    """``{file name: text}`` for ``config_dir``: kamailio.cfg and its dispatcher list."""
    settings.check()
    if not nodes:
        raise InvalidProxySetting("no pbx nodes: give at least one")
    seen: set[str] = set()
    for node in nodes:
        node.check()
        if node.name in seen:
            raise InvalidProxySetting(f"node {node.name} is given twice")
        seen.add(node.name)
    dispatcher_list = str(PurePosixPath(config_dir) / names.GENERATED_DISPATCHER_LIST)
    if not _SAFE_PATH.match(dispatcher_list):
        raise InvalidProxySetting(f"config dir {config_dir}: give an absolute path")
    values = {
        "settings": settings,
        "nodes": list(nodes),
        "set_id": names.DISPATCHER_SET_NODES,
        "user_agent": names.PROXY_USER_AGENT,
        "dispatcher_list": dispatcher_list,
        "algorithm": ALGORITHMS[settings.algorithm],
    }
    env = _environment()
    return {
        names.GENERATED_KAMAILIO_CFG: env.get_template("kamailio.cfg.j2").render(values),
        names.GENERATED_DISPATCHER_LIST: env.get_template("dispatcher.list.j2").render(values),
    }

