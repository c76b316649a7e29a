"""`continuity proxy render`: Kamailio's config for the pbx nodes, never edited by hand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from continuity import names
from continuity.cli.context import SubParsers
from continuity.compose_cli import open_pool
from continuity.config import Config
from continuity.db.leader import NodeRegistry
from continuity.files import READABLE, write_atomically
from continuity.proxy_templates.render import (
    ALGORITHMS,
    InvalidProxySetting,
    Node,
    ProxySettings,
    render_proxy,
)

EXAMPLES = """\
examples:
  continuity proxy render --listen 10.0.0.10:5060 \\
      --node pbx1=sip:10.0.0.11:5060 --node pbx2=sip:10.0.0.12:5060 --out-dir /etc/kamailio
  continuity proxy render --listen 10.0.0.10:5060    # the nodes that registered themselves
  kamcmd dispatcher.reload                           # after a new dispatcher.list
"""


def add_parsers(sub: SubParsers) -> None:
    px = sub.add_parser(
        "proxy",
        help="the Kamailio load balancer in front of several pbx nodes",
        description="Kamailio's dispatcher sends each new call to a pbx node that answers "
        "its OPTIONS probes, and to the next node when one fails with 5xx or says nothing.",
    )
    psub = px.add_subparsers(dest="action", required=True)
    render = psub.add_parser(
        "render",
        help="print kamailio.cfg and dispatcher.list (or write them to --out-dir)",
        description="Nodes come from --node, else from the nodes registered in the database "
        "(each `continuity serve` with node_sip_uri set heartbeats its row).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = ProxySettings()
    render.add_argument(
        "--node",
        action="append",
        default=[],
        metavar="NAME=SIP_URI",
        help="a pbx node, e.g. pbx1=sip:10.0.0.11:5060 (repeat for each)",
    )
    render.add_argument(
        "--listen",
        default=f"{defaults.listen_host}:{defaults.listen_port}",
        metavar="HOST:PORT",
        help="where the proxy takes the carrier's calls (UDP)",
    )
    render.add_argument(
        "--config-dir",
        type=Path,
        default=Path("/etc/kamailio"),
        metavar="DIR",
        help="where kamailio.cfg will find dispatcher.list (default /etc/kamailio)",
    )
    render.add_argument("--out-dir", type=Path, metavar="DIR", help="write the files there")
    render.add_argument(
        "--probe-interval",
        type=int,
        default=defaults.probe_interval,
        metavar="S",
        help="seconds between OPTIONS probes of each node",
    )
    render.add_argument(
        "--probing-threshold",
        type=int,
        default=defaults.probing_threshold,
        metavar="N",
        help="failed probes before a node is taken out",
    )
    render.add_argument(
        "--inactive-threshold",
        type=int,
        default=defaults.inactive_threshold,
        metavar="N",
        help="answered probes before it is put back",
    )
    render.add_argument(
        "--branch-timeout-ms",
        type=int,
        default=defaults.branch_timeout_ms,
        metavar="MS",
        help="no reply from a node in this time: next node",
    )
    render.add_argument("--algorithm", choices=sorted(ALGORITHMS), default=defaults.algorithm)
    render.add_argument(
        "--runtime-dir",
        default=defaults.runtime_dir,
        metavar="DIR",
        help="Kamailio's runtime dir (its kamcmd control socket)",
    )
    render.set_defaults(run=cmd_render)


def _node(text: str) -> Node:
    name, sep, uri = text.partition("=")
    if not sep:
        raise InvalidProxySetting(f"--node {text!r}: write it as NAME=sip:HOST:PORT")
    return Node(name, uri)


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise InvalidProxySetting(f"--listen {text!r}: write it as HOST:PORT, e.g. 10.0.0.10:5060")
    return host, int(port)


async def cmd_render(args: argparse.Namespace, config: Config) -> int:
    try:
        nodes = [_node(n) for n in args.node]
        host, port = _listen(args.listen)
        if not nodes:
            async with open_pool(config) as pool:
                registered = await NodeRegistry(pool).nodes()
            nodes = [Node(n.name, n.sip_uri) for n in registered if n.sip_uri]
            if not nodes:
                raise InvalidProxySetting(
                    "no nodes: give --node NAME=SIP_URI, or set node_sip_uri on each "
                    "`continuity serve` so it registers itself"
                )
        settings = ProxySettings(
            listen_host=host,
            listen_port=port,
            probe_interval=args.probe_interval,
            probing_threshold=args.probing_threshold,
            inactive_threshold=args.inactive_threshold,
            branch_timeout_ms=args.branch_timeout_ms,
            algorithm=args.algorithm,
            runtime_dir=args.runtime_dir,
        )
        files = render_proxy(settings, nodes, args.config_dir)
    except InvalidProxySetting as exc:
        print(f"continuity: {exc}", file=sys.stderr)
        return 2
    for name, text in files.items():
        if args.out_dir is None:
            sys.stdout.write(f"# ==> {args.config_dir / name} <==\n{text}")
            continue
        write_atomically(args.out_dir / name, text, mode=READABLE)  # kamailio reads it
        print(f"continuity: wrote {args.out_dir / name}", file=sys.stderr)
    if args.out_dir is not None:
        print(
            f"continuity: {len(nodes)} nodes in set {names.DISPATCHER_SET_NODES}; "
            "`kamcmd dispatcher.reload` picks up a new list, a restart a new kamailio.cfg",
            file=sys.stderr,
        )
    return 0
