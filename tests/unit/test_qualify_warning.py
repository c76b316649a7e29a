"""Issue 12: the "not qualified" warning only for an AOR Asterisk never qualifies.

A freshly (re)created contact reads NonQualified until its first OPTIONS, so at
first start the warning used to fire although the rendered AOR qualifies every
second. The fake here answers PJSIPShowEndpoint as Asterisk 22 does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from continuity.agi.ami import AmiCredentials
from continuity.agi.ami_monitor import ContactWatch

CREDS = AmiCredentials("127.0.0.1", 5038, "continuity", "secret")


class Manager:
    def __init__(self, qualify_frequency: str) -> None:
        self.frequency = qualify_frequency

    async def send_action(self, action: dict[str, str], as_list: bool = False) -> list[Any]:
        return [
            {"Response": "Success", "EventList": "start"},
            {"Event": "AorDetail", "ObjectName": "continuity-primary",
             "QualifyFrequency": self.frequency},
            {"Event": "ContactStatusDetail", "URI": "sip:127.0.0.1:5070",
             "Status": "NonQualified"},
            {"Event": "EndpointDetailComplete"},
        ]  # fmt: skip


@pytest.mark.parametrize(("frequency", "warned"), [("1", False), ("0", True)])
async def test_a_contact_not_yet_qualified_is_reported_only_when_its_aor_never_qualifies(
    frequency: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    watch = ContactWatch(CREDS, "continuity-primary", interval=1.0)
    with caplog.at_level(logging.WARNING, logger="continuity.agi.ami_monitor"):
        await watch._resync(Manager(frequency))
        await asyncio.sleep(0)
    assert ("is not qualified" in caplog.text) is warned
    assert watch.contacts == {"sip:127.0.0.1:5070": "NonQualified"}
