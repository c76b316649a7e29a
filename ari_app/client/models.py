"""Small frozen views of the ARI JSON models this app uses.

Each ``from_json`` is strict about the fields we rely on and raises
``AriProtocolError`` naming the missing or mistyped field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from continuity.ari_app.client.errors import AriProtocolError
from continuity.core.value import value

Json = Mapping[str, Any]
_EMPTY: dict[str, Any] = {}
_STRINGS = frozenset({str})


def obj(data: Json, key: str, where: str) -> Json:
    """``data[key]`` as a JSON object."""
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise AriProtocolError(f"{where}: field {key!r} must be an object, got {value!r}")
    return value


def opt_obj(data: Json, key: str, where: str) -> Json | None:
    """``data[key]`` as a JSON object, or None when absent."""
    if data.get(key) is None:
        return None
    return obj(data, key, where)


def text(data: Json, key: str, where: str) -> str:
    """``data[key]`` as a string."""
    value = data.get(key)
    if not isinstance(value, str):
        raise AriProtocolError(f"{where}: field {key!r} must be a string, got {value!r}")
    return value


def opt_text(data: Json, key: str, where: str) -> str | None:
    """``data[key]`` as a string, or None when absent."""
    if data.get(key) is None:
        return None
    return text(data, key, where)


def opt_int(data: Json, key: str, where: str) -> int | None:
    """``data[key]`` as an int, or None when absent."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AriProtocolError(f"{where}: field {key!r} must be an integer, got {value!r}")
    return value


@value
class Channel:
    """A channel snapshot (ARI ``Channel``)."""

    id: str
    name: str
    state: str
    caller_number: str
    caller_name: str
    connected_number: str
    connected_name: str
    context: str
    exten: str
    priority: int | None
    #: The dialplan application it runs, e.g. ``Stasis`` with data ``continuity``.
    app_name: str = ""
    app_data: str = ""

    @classmethod
    def from_json(cls, data: Json) -> Channel:
        # Fast path (every event carries channels, issue 13): plain dicts whose fields
        # have the expected types. Anything else takes the checked path below, which
        # names the field that is missing or mistyped.
        caller = data.get("caller", _EMPTY)
        connected = data.get("connected", _EMPTY)
        dialplan = data.get("dialplan", _EMPTY)
        if type(caller) is dict and type(connected) is dict and type(dialplan) is dict:
            fields = (
                data.get("id"),
                data.get("name"),
                data.get("state"),
                caller.get("number", ""),
                caller.get("name", ""),
                connected.get("number", ""),
                connected.get("name", ""),
                dialplan.get("context", ""),
                dialplan.get("exten", ""),
            )
            app = (dialplan.get("app_name", ""), dialplan.get("app_data", ""))
            priority = dialplan.get("priority")
            if (
                _STRINGS.issuperset(map(type, fields))  # every one a str, in C
                and _STRINGS.issuperset(map(type, app))
                and (priority is None or type(priority) is int)
            ):
                return cls(*fields, priority, *app)  # type: ignore[arg-type]
        return cls._checked(data)

    @classmethod
    def _checked(cls, data: Json) -> Channel:
        where = "Channel"
        caller = opt_obj(data, "caller", where) or {}
        connected = opt_obj(data, "connected", where) or {}
        dialplan = opt_obj(data, "dialplan", where) or {}
        return cls(
            id=text(data, "id", where),
            name=text(data, "name", where),
            state=text(data, "state", where),
            caller_number=opt_text(caller, "number", "Channel.caller") or "",
            caller_name=opt_text(caller, "name", "Channel.caller") or "",
            connected_number=opt_text(connected, "number", "Channel.connected") or "",
            connected_name=opt_text(connected, "name", "Channel.connected") or "",
            context=opt_text(dialplan, "context", "Channel.dialplan") or "",
            exten=opt_text(dialplan, "exten", "Channel.dialplan") or "",
            priority=opt_int(dialplan, "priority", "Channel.dialplan"),
            app_name=opt_text(dialplan, "app_name", "Channel.dialplan") or "",
            app_data=opt_text(dialplan, "app_data", "Channel.dialplan") or "",
        )


@value
class Bridge:
    """A bridge snapshot (ARI ``Bridge``)."""

    id: str
    bridge_type: str
    technology: str
    name: str
    channels: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Json) -> Bridge:
        where = "Bridge"
        channels = data.get("channels", [])
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise AriProtocolError(f"{where}: field 'channels' must be a list of ids")
        return cls(
            id=text(data, "id", where),
            bridge_type=opt_text(data, "bridge_type", where) or "",
            technology=opt_text(data, "technology", where) or "",
            name=opt_text(data, "name", where) or "",
            channels=tuple(channels),
        )


@value
class Playback:
    """A playback (ARI ``Playback``); ``target_uri`` is e.g. ``channel:<id>``."""

    id: str
    media_uri: str
    target_uri: str
    state: str

    @classmethod
    def from_json(cls, data: Json) -> Playback:
        where = "Playback"
        return cls(
            id=text(data, "id", where),
            media_uri=opt_text(data, "media_uri", where) or "",
            target_uri=opt_text(data, "target_uri", where) or "",
            state=opt_text(data, "state", where) or "",
        )

    @property
    def channel_id(self) -> str | None:
        """The channel this playback targets, if it targets a channel."""
        kind, _, target = self.target_uri.partition(":")
        return target if kind == "channel" and target else None


@dataclass(frozen=True)
class AsteriskInfo:
    """The parts of ``GET /asterisk/info`` we use to check who we talk to."""

    version: str
    entity_id: str
    startup_time: str

    @classmethod
    def from_json(cls, data: Json) -> AsteriskInfo:
        system = opt_obj(data, "system", "AsteriskInfo") or {}
        status = opt_obj(data, "status", "AsteriskInfo") or {}
        return cls(
            version=opt_text(system, "version", "AsteriskInfo.system") or "",
            entity_id=opt_text(system, "entity_id", "AsteriskInfo.system") or "",
            startup_time=opt_text(status, "startup_time", "AsteriskInfo.status") or "",
        )
