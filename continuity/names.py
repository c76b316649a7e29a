"""Every name shared between Python and Asterisk, defined once.

Dialplan templates receive these constants (see ``continuity.dialplan_templates``), the
ARI app and the FastAGI route import them. Never spell one of these strings
anywhere else.
"""

from __future__ import annotations

from typing import Final

#: The Stasis application name the ARI app registers.
ARI_APP: Final = "continuity"

#: Context where the carrier's calls to tracking numbers arrive (generated).
CTX_TRACKING: Final = "continuity-tracking"
#: Context the generated dialplan falls back to when Stasis() fails (generated).
CTX_FALLBACK: Final = "continuity-fallback"
#: Context of the fallback chains out of business hours, entered after GotoIfTime (generated).
CTX_FALLBACK_CLOSED: Final = "continuity-fallback-closed"
#: Context a forwarding number's verification call runs in: prompt, Read() of the code (generated).
CTX_VERIFY: Final = "continuity-verify"
#: Raised by CTX_VERIFY with the digits keyed (headers id, digits, status).
USEREVENT_VERIFY: Final = "ContinuityVerify"
#: Stock Asterisk prompts of the verification call: "please enter your password followed
#: by the pound key", then "thank you" or "incorrect" (nothing is shipped).
VERIFY_PROMPT: Final = "agent-pass"
VERIFY_OK_PROMPT: Final = "auth-thankyou"
VERIFY_BAD_PROMPT: Final = "auth-incorrect"
#: Context the ARI app sends a caller on to once its leg answered, the leg's plan step
#: as the extension: Answer(), then Bridge() with the leg ``<caller>~<step>``, in
#: dialplan (generated). Asterisk hangs up the other side whichever side leaves first.
CTX_BRIDGE: Final = "continuity-bridge"
#: Context for numbers we do not terminate (generated).
CTX_UNKNOWN: Final = "continuity-unknown"
#: Context whose extensions are the lines' failover mailboxes (generated).
CTX_VOICEMAIL: Final = "continuity-voicemail"
#: app_voicemail context holding every line's box (generated voicemail.conf).
VOICEMAIL_CONTEXT: Final = "continuity"

#: The FastAGI script name: ``AGI(agi://host:port/continuity_route)``.
AGI_ROUTE: Final = "continuity_route"

#: Hangup handler of every leg the ARI app dials; it raises USEREVENT_LEG_CAUSE with
#: the cause and SIP response that ended a leg that never reached the app (generated).
CTX_LEG_HANGUP: Final = "continuity-leg-hangup"
USEREVENT_LEG_CAUSE: Final = "ContinuityLegCause"
#: Names of the ARI app's pooled mixing bridges: ``<prefix><run>-<n>``; a bridge is
#: kept from call to call (creating and destroying one per call cost 4 messages).
BRIDGE_POOL_PREFIX: Final = "continuity-pool-"

#: Pre-dial handler (Dial option ``b``) of every continuity leg the dialplan dials:
#: sets the leg's redirecting identity (Diversion / History-Info) and caller ID
#: from its arguments (generated; see ``continuity.core.static_route.redirect_args``).
CTX_REDIRECT: Final = "continuity-redirect"
#: Hangup handler pushed on every caller in CTX_TRACKING: appends the call's line to
#: CALL_TRACE_FILE, so a call leaves a trace however it was routed (generated).
CTX_CALL_TRACE: Final = "continuity-call-trace"
#: The file Asterisk appends call traces to, relative to its spool directory; the app
#: ingests it into the call records (``continuity/call_trace.py``).
CALL_TRACE_FILE: Final = "continuity/call-trace.psv"

#: Separates the caller's channel id from a leg or bridge suffix in the app's ids:
#: leg ``<caller>~<step>``, bridge ``<caller>~bridge``.
ID_SEP: Final = "~"
#: How Asterisk names the channel a masquerade leaves behind (``ast_channel_yank``):
#: a ``Bridge()`` in dialplan takes a channel out of Stasis that way (earlier versions
#: of the app bridged every call so), and in Asterisk 22.5 and later the old channel is
#: now and then never hung up (about once in 1,000 such calls, bench, Asterisk 22.10).
LEFT_BEHIND_PREFIX: Final = "Surrogate/"

#: appArgs of the channels the app creates, to tell them from callers in StasisStart.
ARI_LEG_ARG: Final = "dialed"

#: PJSIP endpoint names of the trunks the product dials out on.
ENDPOINT_PRIMARY: Final = "continuity-primary"
ENDPOINT_PSTN: Final = "continuity-pstn"
#: PJSIP endpoint the carrier's inbound calls are matched to.
ENDPOINT_INBOUND: Final = "continuity-inbound"

#: Channel variables set on the caller's channel.
VAR_TRACKING_NUMBER: Final = "CONTINUITY_TRACKING_NUMBER"
#: Set by the FastAGI route: what the call reaches first (primary, external, sip,
#: voice_agent, voicemail), ``unknown`` for a number we do not route.
VAR_ROUTE_KIND: Final = "CONTINUITY_ROUTE_KIND"
#: Set by the FastAGI route: why (normal, continuity, outage, test_mode, unknown_number).
VAR_ROUTE_REASON: Final = "CONTINUITY_ROUTE_REASON"
#: Set by the FastAGI route: the first Dial() resource, its ring timeout and the
#: ``-``-separated Q.850 causes after which the call moves on to the fallback
#: (empty: any failure does).
VAR_DIAL_STRING: Final = "CONTINUITY_DIAL_STRING"
VAR_DIAL_TIMEOUT: Final = "CONTINUITY_DIAL_TIMEOUT"
VAR_FAILOVER_CAUSES: Final = "CONTINUITY_FAILOVER_CAUSES"
#: Set by the FastAGI route: the continuity destination tried next, and its timeout.
VAR_FALLBACK_DIAL: Final = "CONTINUITY_FALLBACK_DIAL"
VAR_FALLBACK_TIMEOUT: Final = "CONTINUITY_FALLBACK_TIMEOUT"
#: Set by the FastAGI route: the redirecting pre-dial handler's arguments for the
#: first dial (empty for the primary) and for the fallback dial, to which the
#: dialplan appends ``^<cause of the first dial>``: ``b(continuity-redirect^s^1(...))``.
VAR_DIAL_REDIRECT: Final = "CONTINUITY_DIAL_REDIRECT"
VAR_FALLBACK_REDIRECT: Final = "CONTINUITY_FALLBACK_REDIRECT"
#: The voicemail box (an extension of ``CTX_VOICEMAIL``) that ends the chain, if any.
VAR_MAILBOX: Final = "CONTINUITY_MAILBOX"
#: The Q.850 cause of the last failed Dial() in the generated fallback.
VAR_DIAL_CAUSE: Final = "CONTINUITY_DIAL_CAUSE"
#: Set on the caller: when it entered CTX_TRACKING (epoch seconds), which path routed
#: it (``fallback``, ``handed_to_fallback``; unset: the app), its line, the destination
#: being dialed and the one it landed on (``kind/target``, target URL-quoted).
VAR_CALL_STARTED: Final = "CONTINUITY_CALL_STARTED"
VAR_CALL_PATH: Final = "CONTINUITY_CALL_PATH"
VAR_LINE: Final = "CONTINUITY_LINE"
VAR_DIALING: Final = "CONTINUITY_DIALING"
VAR_LANDED: Final = "CONTINUITY_LANDED"
#: Set on every leg the ARI app dials: its destination (``kind/target``, as above).
VAR_DESTINATION: Final = "CONTINUITY_DESTINATION"
#: A SHARED() variable of the caller, set by each leg the ARI app dials: that leg's
#: channel id. Whichever side of a bridged call hangs up, its hangup handler hangs
#: up the other, so the app need not (and Asterisk does it while the app is down).
VAR_CURRENT_LEG: Final = "CONTINUITY_CURRENT_LEG"
#: The local date (YYYY-MM-DD in the schedule's zone) the fallback checks holidays with.
VAR_LOCAL_DATE: Final = "CONTINUITY_LOCAL_DATE"
#: The verification call's id, expected code, keyed digits, and whether it reported them.
VAR_VERIFY_ID: Final = "CONTINUITY_VERIFY_ID"
VAR_VERIFY_CODE: Final = "CONTINUITY_VERIFY_CODE"
VAR_VERIFY_DIGITS: Final = "CONTINUITY_VERIFY_DIGITS"
VAR_VERIFY_REPORTED: Final = "CONTINUITY_VERIFY_REPORTED"
#: Path (without extension) of the line's custom voicemail prompt, in dialplan.
VAR_VOICEMAIL_PROMPT: Final = "CONTINUITY_VOICEMAIL_PROMPT"

#: With ``fallback_store = astdb``: the AstDB family holding each tracking number's
#: fallback route (key: the number), read by the generic CTX_FALLBACK; the context of
#: one extension per business-hours schedule that says whether it is open now; and
#: the channel variables the generic fallback walks a route with.
ASTDB_FAMILY: Final = "continuity-route"
CTX_HOURS: Final = "continuity-hours"
VAR_ROUTE: Final = "CONTINUITY_ROUTE"
VAR_STEPS: Final = "CONTINUITY_STEPS"
VAR_STEP: Final = "CONTINUITY_STEP"
VAR_STEP_INDEX: Final = "CONTINUITY_STEP_INDEX"

#: Directory (relative to the Asterisk config dir) holding generated files.
GENERATED_DIR: Final = "continuity"
#: Generated file names, each ``#include``d from the admin's own file.
GENERATED_EXTENSIONS: Final = "extensions_continuity.conf"
GENERATED_PJSIP: Final = "pjsip_continuity.conf"
GENERATED_VOICEMAIL: Final = "voicemail_continuity.conf"

#: Custom voicemail prompts, one ``<line id>.wav`` each, relative to Asterisk's
#: spool directory (``${ASTSPOOLDIR}`` in dialplan, ``asterisk_spool_dir`` in Config).
VOICEMAIL_PROMPTS_DIR: Final = "continuity/prompts"
#: The stock prompt played when a line has no custom one: "Nobody is available to
#: take your call at the moment. Please leave your message after the tone."
VOICEMAIL_DEFAULT_PROMPT: Final = "vm-nobodyavail&vm-intro"

#: Kamailio dispatcher set holding the pbx nodes (generated ``dispatcher.list``).
DISPATCHER_SET_NODES: Final = 1
#: Generated Kamailio files (``continuity proxy render``).
GENERATED_KAMAILIO_CFG: Final = "kamailio.cfg"
GENERATED_DISPATCHER_LIST: Final = "dispatcher.list"
#: What the proxy says it is in Server/User-Agent headers.
PROXY_USER_AGENT: Final = "continuity-proxy"
