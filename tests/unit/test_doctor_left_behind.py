"""The doctor names the channels a masquerade left behind in Asterisk (a ``Bridge()``
in dialplan takes a channel out of Stasis; now and then Asterisk never hangs the old
channel up), and leaves live calls alone."""

from __future__ import annotations

from continuity.ari_app.client.models import Channel
from continuity.doctor.ari import left_behind
from continuity.doctor.result import Status


def _channel(name: str, state: str, app: str = "") -> Channel:
    return Channel(name, name, state, "", "", "", "", "continuity-unknown", "s", 1, app)


def test_a_channel_a_masquerade_left_behind_is_named_with_how_it_goes() -> None:
    stuck = _channel("Surrogate/PJSIP/continuity-primary-000001bb", "Down")
    live = [
        _channel("PJSIP/continuity-inbound-000001b0", "Up", "Bridge"),
        _channel("PJSIP/continuity-primary-000001b9", "Up"),
        _channel("Surrogate/PJSIP/continuity-primary-000001c0", "Up", "AppDial"),  # in use
    ]

    result = left_behind([*live, stuck])

    assert result.status is Status.FAILED
    assert "1 channel(s)" in result.detail
    assert stuck.name in result.detail
    assert "restart" in result.fix


def test_live_calls_are_not_left_behind() -> None:
    result = left_behind([_channel("PJSIP/continuity-inbound-000001b0", "Up", "Bridge")])

    assert result.status is Status.OK
