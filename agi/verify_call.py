"""The verification call over AMI: dial a forwarding number, run CTX_VERIFY, report.

One AMI session per call: it listens for the context's UserEvent before it
originates, so the digits cannot arrive unheard.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from continuity import names
from continuity.agi.ami import AmiCredentials, AmiError
from continuity.agi.ami_monitor import _manager
from continuity.core.verification import READ_TIMEOUT, CallReport

log = logging.getLogger(__name__)


async def verification_call(
    creds: AmiCredentials,
    *,
    dial: str,
    call_id: str,
    code: str,
    ring_timeout: float,
    caller_id: str = '"Continuity verification" <>',
) -> CallReport:
    """Dial ``dial`` (a Dial() resource) into CTX_VERIFY; return what happened."""
    manager = _manager(creds, "call,user", 3600)
    loop = asyncio.get_running_loop()
    keyed: asyncio.Future[Mapping[str, Any]] = loop.create_future()

    def on_user_event(_manager: Any, event: Mapping[str, Any]) -> None:
        if (
            event.get("UserEvent") == names.USEREVENT_VERIFY
            and event.get("id") == call_id
            and not keyed.done()
        ):
            keyed.set_result(event)

    ended: asyncio.Future[int | None] = loop.create_future()

    def on_hangup(_manager: Any, event: Mapping[str, Any]) -> None:
        if event.get("Uniqueid") == call_id and not ended.done():
            cause = str(event.get("Cause", ""))
            ended.set_result(int(cause) if cause.isdigit() else None)

    manager.register_event("UserEvent", on_user_event)
    manager.register_event("Hangup", on_hangup)
    try:
        async with asyncio.timeout(10):
            await manager.connect()
            while manager.authenticated_future is None and not manager.authenticated:
                await asyncio.sleep(0.01)
            if manager.authenticated_future is not None:
                await manager.authenticated_future
                await asyncio.sleep(0)
        if not manager.authenticated:
            raise AmiError(f"AMI login as {creds.username!r} was refused")
        responses = await asyncio.wait_for(
            manager.send_action(
                {
                    "Action": "Originate",
                    "Channel": dial,
                    "ChannelId": call_id,
                    "Context": names.CTX_VERIFY,
                    "Exten": "s",
                    "Priority": "1",
                    "Variable": f"{names.VAR_VERIFY_ID}={call_id},{names.VAR_VERIFY_CODE}={code}",
                    "CallerID": caller_id,
                    "Timeout": str(int(ring_timeout * 1000)),
                    "Async": "true",
                }
            ),
            ring_timeout + 10,
        )
        messages = responses if isinstance(responses, list) else [responses]
        if messages[0].get("Response") == "Error":
            raise AmiError(f"Originate refused: {messages[0].get('Message')}")
        final = messages[-1]
        if final.get("Response") != "Success":
            reason = str(final.get("Reason", ""))
            try:  # the Q.850 cause says busy where the originate reason says only 0
                cause = await asyncio.wait_for(ended, 2.0)
            except TimeoutError:
                cause = None
            return CallReport(False, int(reason) if reason.isdigit() else None, cause=cause)
        try:
            event = await asyncio.wait_for(keyed, READ_TIMEOUT + 15)
        except TimeoutError:
            log.warning("verification call %s: no report from %s", call_id, names.CTX_VERIFY)
            return CallReport(True, status="TIMEOUT")
        return CallReport(True, digits=str(event.get("digits", "")), status=event.get("status"))
    except (OSError, TimeoutError) as exc:
        raise AmiError(f"AMI at {creds.host}:{creds.port}: {exc or 'timeout'}") from exc
    finally:
        manager.close()
