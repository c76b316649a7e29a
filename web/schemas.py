"""Request bodies of the API. Absent fields keep their value; ``null`` clears or inherits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Annotated[str, Field(max_length=200)]
Mode = Literal["on", "off", "inherit"]
Failover = Literal["enabled", "disabled", "inherit"]
LineKindName = Literal["main", "department", "contact_center", "user"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DestinationIn(Body):
    kind: Literal["external", "voice_agent", "sip", "voicemail"]
    #: E.164 for external, endpoint[/sip:uri] for sip, a line id for voicemail; none for
    #: the voice agent.
    target: Text = ""


class SettingsIn(Body):
    continuity: Mode | None = Field(
        None, description="on: skip the primary and send calls to continuity now"
    )
    failover: Failover | None = Field(
        None, description="disabled keeps continuity out of routing entirely"
    )
    destination: DestinationIn | None = Field(None, description="null clears this level's")


class AccountPatch(SettingsIn):
    voice_agent: Text | None = Field(None, description="PJSIP endpoint[/sip:uri]; null removes")
    failover_sip_codes: list[Annotated[int, Field(ge=400, le=699)]] | None = Field(
        None, min_length=1, max_length=30
    )
    primary_timeout: Annotated[int, Field(gt=0, le=600)] | None = None


class LineIn(SettingsIn):
    id: Annotated[str, Field(max_length=40)]
    kind: LineKindName
    name: Text = ""


class LinePatch(SettingsIn):
    name: Text | None = None


class ForwardingIn(Body):
    number: Text


class TestModeIn(Body):
    on: bool


class NumberIn(SettingsIn):
    number: Text
    label: Text = ""
    line: Text | None = None
    primary_target: Text | None = None


class NumberPatch(SettingsIn):
    label: Text | None = None
    line: Text | None = None
    primary_target: Text | None = None


class EmailIn(Body):
    email: Text | None = Field(None, description="null: send no notices")


class OverrideIn(Body):
    state: Literal["declare", "clear", "auto"] = Field(
        description="declare: calls skip the primary; clear: force it up; auto: detection"
    )
    reason: Text = ""


class TestCallIn(Body):
    number: Text
