"""The lifecycle of one real Asterisk instance: boot, reload, stop, failures."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from localstack import AsteriskInstance, AsteriskStartError

AttachLogs = Callable[[AsteriskInstance], None]


def asterisk_processes_for(instance: AsteriskInstance) -> list[int]:
    """PIDs of processes whose command line names this instance's config."""
    config = str(instance.config_path).encode()
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if config in cmdline:
            pids.append(int(proc.name))
    return pids


async def test_an_instance_boots_reloads_a_written_config_and_stops_without_leftovers(
    rootfs: Path, attach_logs: AttachLogs
) -> None:
    instance = AsteriskInstance(rootfs, "lifecycle")
    attach_logs(instance)
    await instance.start()
    try:
        assert instance.boot_seconds is not None
        assert asterisk_processes_for(instance) == [instance.pid]
        settings = await instance.cli("core show settings")
        assert str(instance.chroot_root / "etc") in settings

        instance.write_config("extensions.conf", "[probe]\nexten => s,1,NoOp(written)\n")
        await instance.reload_dialplan()
        assert "NoOp(written)" in await instance.cli("dialplan show probe")
    finally:
        await instance.stop()

    assert instance.stop_seconds is not None
    assert instance.stop_seconds < 5
    assert not instance.running
    assert asterisk_processes_for(instance) == []
    assert not instance.root.exists()


async def test_a_broken_config_fails_the_start_with_the_log_tail(rootfs: Path) -> None:
    instance = AsteriskInstance(rootfs, "broken", configs={"extensions.conf": "[unclosed\n"})

    with pytest.raises(AsteriskStartError) as raised:
        await instance.start()

    message = str(raised.value)
    assert "exited with status" in message
    assert "log tail" in message
    assert "no closing ']'" in message
    assert "pbx_config" in message
    assert asterisk_processes_for(instance) == []
    await instance.stop()


async def test_a_sip_port_already_in_use_fails_the_start_and_says_so(rootfs: Path) -> None:
    instance = AsteriskInstance(rootfs, "port-taken")
    instance.configs["pjsip.conf"] = (
        f"[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:{instance.sip_port}\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", instance.sip_port))
        with pytest.raises(AsteriskStartError, match="Address already in use"):
            await instance.start()

    assert asterisk_processes_for(instance) == []
    await instance.stop()


def test_instances_get_distinct_ports_and_credentials(rootfs: Path) -> None:
    first, second = AsteriskInstance(rootfs, "a"), AsteriskInstance(rootfs, "b")

    ports = {first.sip_port, first.http_port, first.ami_port, second.sip_port, second.http_port}
    assert len(ports) == 5
    assert first.rtp_end < second.rtp_start or second.rtp_end < first.rtp_start
    assert first.ari.password != second.ari.password
    assert first.ami.secret not in repr(first.ami)
    assert first.ari.password not in repr(first.ari)


def test_an_instance_tree_lives_inside_the_rootfs(rootfs: Path) -> None:
    instance = AsteriskInstance(rootfs, "paths")

    assert instance.root.is_relative_to(rootfs)
    assert instance.host_path(instance.config_path) == instance.etc_dir / "asterisk.conf"
    configs = instance.base_configs()
    assert f"astetcdir => {instance.chroot_root}/etc" in configs["asterisk.conf"]
    assert f"bindport = {instance.http_port}" in configs["http.conf"]
    assert f"rtpstart = {instance.rtp_start}" in configs["rtp.conf"]
    assert os.path.isdir(rootfs / "usr" / "sbin")
