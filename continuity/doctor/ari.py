"""ARI: reachable, the credentials work, and the Asterisk version behind it."""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx

from continuity import names
from continuity.ari_app.client import AriConfig, AriCredentials, AriRest
from continuity.ari_app.client.errors import AriConnectionError, AriError, AriHttpError, AriNotFound
from continuity.ari_app.client.models import Channel
from continuity.config import Config
from continuity.doctor.result import Result

#: First release of each branch that takes REST requests over the event WebSocket.
REST_OVER_WS = {20: 14, 21: 9, 22: 4}


def takes_rest_over_websocket(version: str) -> bool | None:
    """True/False from an Asterisk version string; None if it cannot be read."""
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None:
        return None
    major, minor = int(found[1]), int(found[2])
    if major in REST_OVER_WS:
        return minor >= REST_OVER_WS[major]
    return major > max(REST_OVER_WS)


_SKIPPED = (
    Result.skipped("Asterisk version", "needs ARI"),
    Result.skipped("ARI app", "needs ARI"),
    Result.skipped("channels left behind", "needs ARI"),
)
LEFT_BEHIND = "channels left behind"


def is_left_behind(name: str, state: str, application: str) -> bool:
    """A channel a masquerade left behind: ``Surrogate/...``, Down, running nothing."""
    return name.startswith(names.LEFT_BEHIND_PREFIX) and state == "Down" and not application


def left_behind(channels: Sequence[Channel]) -> Result:
    """Channels a masquerade left behind: named ``Surrogate/...``, Down, running nothing.
    No call is in them and nothing can hang them up; they cost memory until Asterisk
    restarts, and show in ``core show channels`` as if calls were up."""
    stuck = [c.name for c in channels if is_left_behind(c.name, c.state, c.app_name)]
    if not stuck:
        return Result.ok(LEFT_BEHIND, "none (no channel a masquerade left behind)")
    shown = ", ".join(stuck[:3]) + (f" and {len(stuck) - 3} more" if len(stuck) > 3 else "")
    return Result.failed(
        LEFT_BEHIND,
        f"Asterisk keeps {len(stuck)} channel(s) a masquerade left behind ({shown}): Down,"
        " running nothing, no call in them; an Asterisk 22 race in a masquerade (a Bridge()"
        " in dialplan taking a channel out of Stasis, as earlier versions of this app did"
        " for every call; a transfer or a pickup)",
        "they cannot be hung up; they go when Asterisk restarts (`core restart gracefully`"
        " at a quiet hour)",
    )


async def check_ari(config: Config, http: httpx.AsyncClient) -> list[Result]:
    rest = AriRest(
        AriConfig(
            base_url=config.ari_url,
            credentials=AriCredentials(config.ari_username, config.ari_password),
            app=names.ARI_APP,
        ),
        http,
    )
    where = f"{config.ari_url} as {config.ari_username!r}"
    try:
        info = await rest.asterisk_info()
    except AriConnectionError as exc:
        return [
            Result.failed(
                "ARI",
                f"cannot reach {config.ari_url}: {exc.reason}",
                "start Asterisk, enable its HTTP server (http.conf enabled = yes) and check "
                "ari_url",
            ),
            *_SKIPPED,
        ]
    except AriHttpError as exc:
        if exc.status == 401:
            return [
                Result.failed(
                    "ARI",
                    f"{where}: credentials refused (HTTP 401)",
                    f"set CONTINUITY_ARI_PASSWORD to the password of [{config.ari_username}] "
                    "in ari.conf (or fix ari_username)",
                ),
                *_SKIPPED,
            ]
        return [
            Result.failed(
                "ARI",
                f"{where}: {exc}",
                "enable ARI: ari.conf [general] enabled = yes, and load res_ari.so",
            ),
            *_SKIPPED,
        ]
    except AriError as exc:
        return [
            Result.failed("ARI", f"{where}: {exc}", "check that ari_url points at Asterisk's ARI"),
            *_SKIPPED,
        ]
    results = [Result.ok("ARI", f"{where}: logged in")]
    ws = takes_rest_over_websocket(info.version)
    if ws is None:
        taken = "version not recognised; REST over the WebSocket is probed on connect"
    elif ws:
        taken = "takes REST over the WebSocket"
    else:  # it works, a little slower: not a fault
        taken = "REST over HTTP only (the WebSocket takes it from 20.14, 21.9, 22.4)"
    results.append(Result.ok("Asterisk version", f"Asterisk {info.version}: {taken}"))
    results.append(await _app_registered(rest))
    try:
        results.append(left_behind(await rest.list_channels()))
    except AriError as exc:
        results.append(Result.failed(LEFT_BEHIND, str(exc), "check the ARI user's permissions"))
    return results


async def _app_registered(rest: AriRest) -> Result:
    """Asterisk knows the Stasis app only while `continuity serve` is connected."""
    check = "ARI app"
    try:
        await rest.event_filter(names.ARI_APP)
    except AriNotFound:
        return Result.failed(
            check,
            f"no Stasis app {names.ARI_APP!r} is connected: calls take the fallback dialplan",
            "start `continuity serve` (under your supervisor)",
        )
    except AriError as exc:
        return Result.failed(check, str(exc), "check the ARI user's permissions in ari.conf")
    return Result.ok(check, f"Stasis app {names.ARI_APP!r} connected (continuity serve runs)")
