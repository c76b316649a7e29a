"""The session app's outage settings: qualify every second, small thresholds and hold-down."""

from __future__ import annotations

#: The pbx qualifies its trunks every second, waiting half a second for a reply.
QUALIFY_FREQUENCY = 1
QUALIFY_TIMEOUT = 0.5
FAIL_AFTER = 2
RECOVER_AFTER = 2
HOLD_DOWN = 4.0
ONCALL = "oncall@example.com"


def outage_settings(webhook_url: str) -> dict[str, object]:
    """Overrides for :func:`localstack.product.product_config`."""
    return {
        "outage_fail_after": FAIL_AFTER,
        "outage_recover_after": RECOVER_AFTER,
        "outage_hold_down": HOLD_DOWN,
        "outage_check_interval": float(QUALIFY_FREQUENCY),
        "outage_webhook_url": webhook_url,
        "outage_email_to": ONCALL,
    }
