"""SIPp as the caller: many real SIP calls into the pbx at a steady rate.

SIPp (Debian's ``sip-tester``) plays ``sipp_scenarios/caller.xml``: each call
INVITEs its number from its own caller number, waits for the answer, holds,
and hangs up. The calls come from a CSV injection file, one ``caller;number``
line per call, so every call can be told apart afterwards by its caller
number. The scenario logs each call's steps (placed, answered, completed) and
SIPp's error file says why a call failed: :attr:`SippResult.calls` holds what
happened to each caller. Used by the load-with-kill test, the soak and the
benchmarks.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from localstack.ports import LOOPBACK, PortAllocator

SCENARIO = "caller.xml"
#: The same caller, sending ACK and BYE along the route set the 200 OK recorded
#: (Record-Route): through a proxy such as the stack's Kamailio.
SCENARIO_VIA_PROXY = "caller_via_proxy.xml"


class SippMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__("sipp is not installed: `apt-get install sip-tester` (./dev does it)")


@dataclass(frozen=True, slots=True)
class SippCall:
    caller: str
    number: str


@dataclass(slots=True)
class SippCallLog:
    """What SIPp saw of one call: wall-clock times (seconds since the epoch) of each
    step it reached, and why it failed when it did (SIPp's own words)."""

    caller: str
    call_id: str
    placed: float
    answered: float | None = None
    completed: float | None = None
    failure: str = ""


@dataclass(frozen=True, slots=True)
class SippResult:
    #: SIPp's exit status: 0 every call succeeded, 1 some failed, other: SIPp itself failed.
    returncode: int
    placed: int
    succeeded: int
    failed: int
    #: SIPp's final screen (statistics), for failure messages.
    screen: str
    #: Each call by its caller number.
    calls: dict[str, SippCallLog] = field(default_factory=dict)


def scenario_path(name: str = SCENARIO) -> Path:
    return Path(str(resources.files("localstack") / "sipp_scenarios" / name))


def _injection(calls: list[SippCall]) -> str:
    return "SEQUENTIAL\n" + "".join(f"{c.caller};{c.number};\n" for c in calls)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _count(screen: str, label: str) -> int:
    """The cumulative figure of one line of SIPp's statistics screen."""
    for line in screen.splitlines():
        if line.strip().startswith(label):
            fields = [f.strip() for f in line.split("|")]
            figures = [f for f in fields if f.isdigit()]
            if figures:
                return int(figures[-1])
    return 0


_EPOCH = re.compile(r"\t(\d+\.\d+)$")
#: One event of SIPp's error file: its time, then the Call-ID (two spellings) and the reason.
_ERROR = re.compile(
    r"\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: (.*?)(?=\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: |\Z)", re.S
)
_ERROR_CALL_ID = re.compile(r"(?:Call-I[dD]:? '?|for call: )([^',\s]+)")


def parse_call_log(log: str, errors: str = "") -> dict[str, SippCallLog]:
    """Each call of the scenario's log lines (``step|caller|call-id|timestamp``), with
    the first reason SIPp's error file gives for its Call-ID."""
    calls: dict[str, SippCallLog] = {}
    by_id: dict[str, SippCallLog] = {}
    for line in log.splitlines():
        parts = line.split("|")
        if len(parts) != 4 or not (stamp := _EPOCH.search(parts[3])):
            continue
        step, caller, call_id, when = parts[0], parts[1], parts[2], float(stamp[1])
        if step == "placed":
            calls[caller] = by_id[call_id] = SippCallLog(caller, call_id, when)
        elif (call := by_id.get(call_id)) is not None:
            if step == "answered":
                call.answered = when
            elif step == "completed":
                call.completed = when
    for event in _ERROR.finditer(errors):
        text = " ".join(event[1].split())
        found = _ERROR_CALL_ID.search(text)
        call = by_id.get(found[1]) if found else None
        if call is not None and not call.failure:
            call.failure = text[:300]
    return calls


async def place_calls(
    calls: list[SippCall],
    target: str,
    workdir: Path,
    *,
    rate: float = 20.0,
    hold_ms: int = 3000,
    timeout: float = 120.0,
    scenario: str = SCENARIO,
    local_ip: str = LOOPBACK,
) -> SippResult:
    """Place ``calls`` at ``rate`` calls/s to ``target`` (``host:port``); return when
    every call has ended. ``scenario``: :data:`SCENARIO_VIA_PROXY` through a proxy.
    ``local_ip``: the loopback address SIPp calls from (the pbx identifies callers by it)."""
    sipp = shutil.which("sipp")
    if sipp is None:
        raise SippMissing
    csv = workdir / "calls.csv"
    await asyncio.to_thread(_write, csv, _injection(calls))
    ports = PortAllocator()
    screen = workdir / "screen.log"
    call_log, errors = workdir / "calls.log", workdir / "errors.log"
    process = await asyncio.create_subprocess_exec(
        sipp, target,
        "-sf", str(scenario_path(scenario)),
        "-inf", str(csv),
        "-m", str(len(calls)),
        "-r", f"{rate:g}",
        "-d", str(hold_ms),
        "-i", local_ip, "-p", str(ports.udp(local_ip)),
        "-mi", local_ip, "-mp", str(ports.udp(local_ip)),
        "-recv_timeout", "30000",
        "-timeout", f"{int(timeout)}s",
        "-nostdin", "-trace_screen", "-screen_file", str(screen),
        "-trace_err", "-error_file", str(errors),
        "-trace_logs", "-log_file", str(call_log),
        cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(timeout + 10):
            _, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    text = await asyncio.to_thread(_read, screen) or err.decode(errors="replace")
    log_text, error_text = await asyncio.gather(
        asyncio.to_thread(_read, call_log), asyncio.to_thread(_read, errors)
    )
    return SippResult(
        process.returncode if process.returncode is not None else -1,
        _count(text, "Outgoing calls created"),
        _count(text, "Successful call"),
        _count(text, "Failed call"),
        text,
        parse_call_log(log_text, error_text),
    )
