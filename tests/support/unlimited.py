"""Settings overrides for tests that send many requests from one address on purpose (races,
fault and schema runs): the rate limits are another issue's subject, not theirs."""

from __future__ import annotations

from cometchat_auth.settings import Settings

UNLIMITED: dict[str, str] = {
    name: "100000/minute"
    for name in Settings.model_fields
    if name.startswith("rate_limit_") and name != "rate_limit_key_prefix"
}
