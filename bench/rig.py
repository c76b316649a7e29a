"""Everything a benchmark run needs, started the way ``tests/conftest.py`` does.

The real local stack (pbx, carrier, primary), a temporary PostgreSQL database,
the tracking numbers, the benchmark's own dialplan and ``continuity serve``
as a process of its own. All on loopback, all stopped on the way out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from bench import dialplan
from bench.app_process import AppProcess, CpuMeter, app_process
from bench.carrier import BASELINE_CONTEXT, add_bench_entrance
from continuity import names
from continuity.admin import Admin
from continuity.config import Config, Dialing
from continuity.core.model import TrackingNumber
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import LocalStack, resolve_database_url, temporary_database
from localstack.carrier import CarrierControl
from localstack.instance import AsteriskInstance
from localstack.ports import LOOPBACK, PortAllocator
from localstack.product import product_config
from localstack.rendering import render

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class Rig:
    stack: LocalStack
    config: Config
    app: AppProcess
    admin: Admin
    store: Store
    #: Tracking numbers per route (``dialplan`` numbers are not in the database).
    numbers: dict[str, list[str]]
    routes: tuple[str, ...]
    cpu: CpuMeter
    carrier: CarrierControl


PBX_TRANSPORT = "transport-udp"

#: Outage switch runs: seconds without a failed check before an outage clears, kept
#: short so the next repeat can start (it does not affect the switch itself).
OUTAGE_HOLD_DOWN = 2.0


def outage_overrides(config_fields: set[str], qualify: float) -> dict[str, object]:
    """The app samples the trunk once per qualify (outage detection, once it exists)."""
    if "outage_check_interval" not in config_fields:
        return {}
    return {"outage_check_interval": qualify, "outage_hold_down": OUTAGE_HOLD_DOWN}


async def widen_rtp(stack: LocalStack, size: int) -> None:
    """Give each instance ``size`` RTP ports (the stack's default fits ~50 pbx calls)."""
    ports = PortAllocator()
    for instance in (stack.pbx, stack.carrier, stack.primary):
        start, end = ports.rtp_range(size)
        instance.write_config("rtp.conf", render("rtp.conf", rtp_start=start, rtp_end=end))
        await instance.reload_module("res_rtp_asterisk.so")


async def include_dialplan(pbx: AsteriskInstance, relative: str, text: str) -> None:
    """Write a benchmark's dialplan file, ``#include`` it (once) from the pbx's own
    extensions.conf and reload the dialplan."""
    pbx.write_config(relative, text)
    own = pbx.etc_dir / "extensions.conf"
    include = f'#include "{relative}"\n'
    current = own.read_text()
    if include not in current:
        own.write_text(current + include)
    await pbx.reload_dialplan()


async def install_bench_dialplan(stack: LocalStack, config: Config, agi_url: str | None) -> None:
    """Write the baselines' file and ``#include`` it from the pbx's own extensions.conf."""
    pbx = stack.pbx
    text = dialplan.render_bench_dialplan(config.dial_timeout, agi_url)
    await include_dialplan(pbx, dialplan.INCLUDE, text)
    shown = await pbx.cli(f"dialplan show {dialplan.numbers('dialplan', 1)[0]}@{BASELINE_CONTEXT}")
    if "bench dialplan baseline" not in shown:
        raise RuntimeError(f"the benchmark dialplan did not load:\n{shown}")


async def add_tracking_numbers(admin: Admin, numbers: list[str]) -> None:
    for number in numbers:
        await admin.add_number(TrackingNumber(number, label="bench"))


def agi_url(config: Config) -> str | None:
    """The FastAGI route's URL when the app serves one (``agi_port`` set), else ``None``."""
    port = getattr(config, "agi_port", 0)
    script = getattr(names, "AGI_ROUTE", None)
    if not port or not script:
        return None
    return f"agi://{getattr(config, 'agi_host', LOOPBACK)}:{port}/{script}"


@contextlib.asynccontextmanager
async def rig(
    workdir: Path,
    *,
    numbers_per_route: int,
    rtp_ports: int,
    qualify_frequency: int,
    qualify_timeout: float,
    progress: Progress,
    dialing: str = "ari",
) -> AsyncIterator[Rig]:
    """Start the stack, the database and the app; yield the running :class:`Rig`."""
    progress("starting pbx, carrier and primary (real Asterisk) ...")
    async with LocalStack(
        qualify_frequency=qualify_frequency, qualify_timeout=qualify_timeout
    ) as stack:
        await widen_rtp(stack, rtp_ports)
        await add_bench_entrance(stack)
        carrier = stack.control
        progress("creating a temporary PostgreSQL database ...")
        base = await resolve_database_url()
        async with temporary_database(base, prefix="continuity_bench") as url:
            await migrate.upgrade(url)
            pool = Pool(url, open=False, min_size=1, max_size=2)
            await pool.open(wait=True)
            try:
                store = Store(pool)
                admin = Admin(store, "bench")
                fields = {f.name for f in dataclasses.fields(Config)}
                overrides = outage_overrides(fields, float(qualify_frequency or 1))
                if "trunk_transport" in fields:
                    # The pbx's own transport (localstack's pbx_pjsip.conf). Without one,
                    # Asterisk looks up its host name for every outbound leg, and with no
                    # DNS to answer that stalls every call for seconds (see README).
                    overrides["trunk_transport"] = PBX_TRANSPORT
                overrides["dialing"] = Dialing(dialing)  # who dials a planned call
                if "metrics_listen" in fields:  # the bench reads ARI message counts there
                    overrides["metrics_listen"] = f"{LOOPBACK}:{PortAllocator().tcp()}"
                config = product_config(stack, url, workdir / "state", **overrides)
                url_agi = agi_url(config)
                routes = ("dialplan", "ari") + (("agi",) if url_agi else ())
                numbers = {r: dialplan.numbers(r, numbers_per_route) for r in routes}
                progress(f"adding {numbers_per_route} tracking numbers per routed path ...")
                for route in routes:
                    if route != "dialplan":
                        await add_tracking_numbers(admin, numbers[route])
                await install_bench_dialplan(stack, config, url_agi)
                progress("starting `continuity serve` ...")
                async with app_process(config, stack.pbx, workdir / "continuity.log") as app:
                    pids = {"app": app.pid}
                    for name in ("pbx", "carrier", "primary"):
                        pid = getattr(stack, name).pid
                        if pid is not None:
                            pids[name] = pid
                    cpu = CpuMeter(pids)
                    yield Rig(stack, config, app, admin, store, numbers, routes, cpu, carrier)
            finally:
                await pool.close()
