"""Real Asterisk instances wired together: the pbx, its carrier and the primary.

* ``pbx`` is the system under test: the carrier's calls to tracking numbers
  arrive on endpoint ``names.ENDPOINT_INBOUND`` in ``names.CTX_TRACKING``;
  the product dials out on ``names.ENDPOINT_PRIMARY`` and ``names.ENDPOINT_PSTN``,
  which point at the carrier. Its ``extensions.conf`` and ``pjsip.conf``
  ``#include`` the product's generated files (empty placeholders at start).
* ``carrier`` plays the phone network: it places calls to the pbx and
  answers, rejects or ignores the pbx's calls per dialed number.
* ``primary`` plays the primary cloud phone system's trunk with the carrier's
  dialplan and behaviours (observations with role ``primary``). It is its own
  process so a test can freeze it (:meth:`LocalStack.freeze_primary`): it then
  answers neither OPTIONS nor calls, as a primary in an outage.
* With ``nodes=2`` (or more) the stack runs that many pbx nodes and a real
  Kamailio (``proxy``) in front of them, from the product's generated
  ``kamailio.cfg``: the carrier then sends every call to the proxy, which
  dispatches it to a node that answers its OPTIONS probes. Each part then has
  its own loopback address, as separate boxes would (:data:`ADDRESSES`): the
  carrier 127.0.0.1, the primary 127.0.0.2, Kamailio 127.0.0.10 and node N
  127.0.0.(10+N). Each node's SIP, ARI and AMI listen on its own address, and
  a node takes calls only from the proxy's. With one node every part stays
  on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from types import TracebackType

from continuity.install import AMI_PRIVILEGES
from continuity.proxy_templates.render import Node, ProxySettings
from localstack.ami import AmiClient
from localstack.carrier import CarrierControl, Observation, Peer, PlacedCall
from localstack.credentials import AmiCredentials, AriCredentials
from localstack.instance import AsteriskInstance
from localstack.kamailio import KamailioProxy
from localstack.mailsink import MailSink
from localstack.pbxconfig import GENERATED_EXTENSIONS, GENERATED_PJSIP, render_pbx
from localstack.ports import LOOPBACK, PortAllocator, loopback
from localstack.rendering import render
from localstack.rootfs import ensure_rootfs, prune_instances

logger = logging.getLogger(__name__)


class Addresses:
    """The loopback address of each part of a stack of several nodes."""

    carrier = loopback(1)
    primary = loopback(2)
    proxy = loopback(10)

    @staticmethod
    def node(index: int) -> str:
        """Node ``index`` (0 for the first)."""
        return loopback(11 + index)


ADDRESSES = Addresses()


class LocalStack:
    """``async with LocalStack() as stack:`` starts pbx, carrier and primary, stops them after."""

    def __init__(
        self,
        rootfs: Path | None = None,
        *,
        qualify_frequency: int = 0,
        qualify_timeout: float = 1.0,
        pbx_configs: Mapping[str, str] | None = None,
        pbx_admin: Callable[[AsteriskInstance], Mapping[str, str]] | None = None,
        boot_timeout: float = 30.0,
        nodes: int = 1,
        proxy_settings: ProxySettings | None = None,
        pbx_rtp_ports: int = 200,
        separate_addresses: bool | None = None,
    ) -> None:
        """``pbx_admin(pbx)``: the pbx's configuration as an admin wrote it, instead of
        the test stack's (no generated files, nothing of the product's).
        ``separate_addresses``: each part on its own loopback address (the default
        with several nodes), else all on 127.0.0.1."""
        if nodes < 1:
            raise ValueError(f"a local stack needs at least one pbx node, not {nodes}")
        self._rootfs = rootfs
        self._node_count = nodes
        separate = nodes > 1 if separate_addresses is None else separate_addresses
        self._separate = separate
        #: Where the carrier, the primary and the proxy listen.
        self.carrier_host = ADDRESSES.carrier if separate else LOOPBACK
        self.primary_host = ADDRESSES.primary if separate else LOOPBACK
        self.proxy_host = ADDRESSES.proxy if separate else LOOPBACK
        self._proxy_settings = proxy_settings
        #: RTP ports of the pbx (two per leg side): load tests need more than the default.
        self._pbx_rtp_ports = pbx_rtp_ports
        self.qualify_frequency = qualify_frequency
        self.qualify_timeout = qualify_timeout
        self._pbx_configs = dict(pbx_configs or {})
        self._pbx_admin = pbx_admin
        self._boot_timeout = boot_timeout
        self._ports = PortAllocator()
        self._control: CarrierControl | None = None
        self._ami: AmiClient | None = None
        self.pbx: AsteriskInstance
        #: Every pbx node; ``pbx`` is the first.
        self.nodes: list[AsteriskInstance] = []
        #: Kamailio in front of the nodes, when there are several.
        self.proxy: KamailioProxy | None = None
        self.carrier: AsteriskInstance
        self.primary: AsteriskInstance
        self._primary_frozen = False
        #: The mail server the product's voicemail notices go to (loopback, ephemeral port).
        self.mail = MailSink()
        #: The ports of the primary trunk (the ``primary`` instance) and the PSTN (carrier).
        self.carrier_primary_port = self._ports.udp(self.primary_host)
        self.carrier_pstn_port = self._ports.udp(self.carrier_host)

    async def start(self) -> None:
        rootfs = self._rootfs
        if rootfs is None:
            rootfs = await asyncio.to_thread(ensure_rootfs)
        for tree in prune_instances(rootfs):
            logger.info("removed stale instance tree %s", tree)
        boot = self._boot_timeout
        # The product's AMI user has exactly the privileges the README documents.
        privileges = (",".join(AMI_PRIVILEGES.read), ",".join(AMI_PRIVILEGES.write))
        self.nodes = [
            AsteriskInstance(rootfs, f"pbx{i + 1}" if i else "pbx", ports=self._ports,
                             boot_timeout=boot, ami_privileges=privileges,
                             rtp_ports=self._pbx_rtp_ports,
                             host=ADDRESSES.node(i) if self._separate else LOOPBACK)
            for i in range(self._node_count)
        ]
        self.pbx = self.nodes[0]
        self.carrier = AsteriskInstance(
            rootfs, "carrier", ports=self._ports, boot_timeout=boot, host=self.carrier_host
        )
        self.primary = AsteriskInstance(
            rootfs, "primary", ports=self._ports, boot_timeout=boot, host=self.primary_host
        )
        for node in self.nodes:
            if self._pbx_admin is None:
                node.configs.update(self._pbx_base(node), **self._pbx_configs)
            else:
                node.configs.update(self._pbx_admin(node))
        if self._node_count > 1:
            self.proxy = KamailioProxy(
                [Node(n.name, n.sip_uri) for n in self.nodes],
                ports=self._ports,
                settings=self._proxy_settings,
                host=self.proxy_host,
            )
        observations = self.carrier.root / "log" / "observations.psv"
        self.carrier.configs.update(self._carrier_base(self.carrier.chroot_path(observations)))
        primary_observations = self.primary.root / "log" / "observations.psv"
        self.primary.configs.update(
            self._primary_base(self.primary.chroot_path(primary_observations))
        )
        try:
            await self.mail.start()
            async with asyncio.TaskGroup() as group:
                for node in self.nodes:
                    group.create_task(node.start())
                group.create_task(self.carrier.start())
                group.create_task(self.primary.start())
            if self.proxy is not None:
                await self.proxy.start()
            self._ami = await AmiClient.connect(self.carrier.ami)
        except BaseException:
            await self.stop()
            raise
        peer = Peer(self.primary, primary_observations)
        self._control = CarrierControl(self.carrier, self._ami, observations, [peer])
        logger.info(
            "local stack up: %r, %r, %r, proxy %r",
            self.nodes, self.carrier, self.primary, self.proxy,
        )

    @property
    def primary_contact(self) -> str:
        """The SIP URI the pbx's primary trunk points at (the ``primary`` instance)."""
        return f"sip:{self.primary_host}:{self.carrier_primary_port}"

    @property
    def pstn_contact(self) -> str:
        """The SIP URI the pbx's PSTN trunk points at (the carrier)."""
        return f"sip:{self.carrier_host}:{self.carrier_pstn_port}"

    @property
    def entrance_port(self) -> int:
        """Where the carrier sends calls for tracking numbers: the proxy, else the pbx."""
        return self.proxy.sip_port if self.proxy is not None else self.pbx.sip_port

    @property
    def entrance_host(self) -> str:
        """The address of :attr:`entrance_port`."""
        return self.proxy_host if self.proxy is not None else self.pbx.host

    @property
    def entrance(self) -> str:
        """``host:port`` where calls for tracking numbers go in (SIPp's target)."""
        return f"{self.entrance_host}:{self.entrance_port}"

    def node_at(self, host: str) -> AsteriskInstance | None:
        """The node listening on ``host`` (an observation's :attr:`source_host`)."""
        return next((n for n in self.nodes if n.host == host), None)

    @property
    def _pbx_match(self) -> str:
        """Where the nodes' calls come from, as the carrier and the primary identify them."""
        return "127.0.0.0/8" if self._separate else LOOPBACK

    def _pbx_base(self, node: AsteriskInstance) -> dict[str, str]:
        # Behind the proxy, a node takes calls only from the proxy's address.
        inbound = self.proxy_host if self._node_count > 1 else self.carrier_host
        return render_pbx(
            sip_bind=f"{node.host}:{node.sip_port}",
            inbound_match=inbound,
            primary_contact=self.primary_contact,
            pstn_contact=self.pstn_contact,
            qualify_frequency=self.qualify_frequency,
            qualify_timeout=self.qualify_timeout,
        )

    def _carrier_base(self, observations: PurePosixPath) -> dict[str, str]:
        ports = self._trunk_ports()
        return {
            "pjsip.conf": render(
                "carrier_pjsip.conf",
                sip_port=self.carrier.sip_port,
                pbx_host=self.entrance_host,
                pbx_sip_port=self.entrance_port,
                pbx_match=self._pbx_match,
                **ports,
            ),
            "extensions.conf": render(
                "carrier_extensions.conf", observations=observations, **ports
            ),
        }

    def _trunk_ports(self) -> dict[str, object]:
        return {
            "primary_port": self.carrier_primary_port,
            "pstn_port": self.carrier_pstn_port,
            "primary_host": self.primary_host,
            "carrier_host": self.carrier_host,
        }

    def _primary_base(self, observations: PurePosixPath) -> dict[str, str]:
        ports = self._trunk_ports()
        return {
            "pjsip.conf": render(
                "primary_pjsip.conf",
                pbx_host=self.pbx.host,
                pbx_sip_port=self.pbx.sip_port,
                pbx_match=self._pbx_match,
                **ports,
            ),
            "extensions.conf": render(
                "carrier_extensions.conf", observations=observations, **ports
            ),
        }

    def freeze_primary(self) -> None:
        """The primary stops answering anything (SIGSTOP): OPTIONS and calls go unanswered."""
        pid = self.primary.pid
        if pid is None:
            raise RuntimeError("the primary instance is not running")
        os.kill(pid, signal.SIGSTOP)
        self._primary_frozen = True
        logger.info("primary frozen (pid %s)", pid)

    def thaw_primary(self) -> None:
        """The primary answers again (SIGCONT); a no-op when it is not frozen."""
        pid = self.primary.pid if hasattr(self, "primary") else None
        if pid is not None and self._primary_frozen:
            os.kill(pid, signal.SIGCONT)
            logger.info("primary thawed (pid %s)", pid)
        self._primary_frozen = False

    @property
    def primary_frozen(self) -> bool:
        return self._primary_frozen

    async def wait_reachable(
        self, endpoint: str, timeout: float = 10.0, node: AsteriskInstance | None = None
    ) -> None:
        """Until the pbx's (or ``node``'s) qualify found a contact of ``endpoint`` available."""
        async with asyncio.timeout(timeout):
            while True:
                shown = await (node or self.pbx).cli("pjsip show contacts")
                if any(
                    line.split()[:1] == ["Contact:"]
                    and line.split()[1].startswith(f"{endpoint}/")
                    and "Avail" in line.split()
                    for line in shown.splitlines()
                ):
                    return
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self._ami is not None:
            self._ami.close()
            self._ami = None
        self.thaw_primary()
        if self.proxy is not None:
            await self.proxy.stop()
            self.proxy.remove()
        instances = [*self.nodes, *(getattr(self, name, None) for name in ("carrier", "primary"))]
        await asyncio.gather(*(instance.stop() for instance in instances if instance))
        await self.mail.stop()

    async def __aenter__(self) -> LocalStack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def control(self) -> CarrierControl:
        if self._control is None:
            raise RuntimeError("the local stack is not started")
        return self._control

    @property
    def pbx_ari(self) -> AriCredentials:
        """ARI of the pbx; the product's Stasis app is ``names.ARI_APP``."""
        return self.pbx.ari

    @property
    def pbx_ami(self) -> AmiCredentials:
        return self.pbx.ami

    @property
    def carrier_ami(self) -> AmiCredentials:
        return self.carrier.ami

    async def set_behavior(self, number: str, behavior: str) -> None:
        """See :meth:`CarrierControl.set_behavior`."""
        await self.control.set_behavior(number, behavior)

    def carrier_observations(self) -> list[Observation]:
        """Every call that reached the carrier from the pbx, oldest first."""
        return self.control.observations()

    async def place_call(
        self,
        tracking_number: str,
        caller_id: str = "+15551112222",
        *,
        caller_name: str = "",
        hold_seconds: float = 30.0,
        prompt: str = "demo-congrats",
        ring_timeout: float = 30.0,
        message: PurePosixPath | None = None,
        message_delay: float = 0.0,
        heard: PurePosixPath | None = None,
    ) -> PlacedCall:
        """The carrier calls ``tracking_number`` at the pbx.

        See :meth:`CarrierControl.place_call`.
        """
        return await self.control.place_call(
            tracking_number,
            caller_id=caller_id,
            caller_name=caller_name,
            hold_seconds=hold_seconds,
            prompt=prompt,
            ring_timeout=ring_timeout,
            message=message,
            message_delay=message_delay,
            heard=heard,
        )

    async def write_generated_dialplan(self, content: str) -> None:
        """Stand in for the product: write the generated dialplan and reload it."""
        self.pbx.write_config(GENERATED_EXTENSIONS, content)
        await self.pbx.reload_dialplan()

    async def write_generated_pjsip(self, content: str) -> None:
        self.pbx.write_config(GENERATED_PJSIP, content)
        await self.pbx.reload_module("res_pjsip.so")

    async def reset(self) -> None:
        """Between tests: no calls up, every behaviour ``answer``, no observations."""
        self.thaw_primary()
        await asyncio.gather(
            *(node.hangup_all() for node in self.nodes),
            self.carrier.hangup_all(),
            self.primary.hangup_all(),
        )
        await self.control.clear_behaviors()
        self.control.clear_observations()
        self.mail.clear()
