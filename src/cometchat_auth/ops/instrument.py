"""The hooks the server installs in parts that must not know of it (the CometChat client)."""

from __future__ import annotations

from collections.abc import Mapping

from cometchat_auth.cometchat import CallDone, Hooks
from cometchat_auth.ops import context, metrics
from cometchat_auth.ops.requests import REQUEST_ID_HEADER


def _request_id_header() -> Mapping[str, str]:
    # CometChat documents no request-id header; an unknown one is ignored, and the emulator logs it.
    request = context.current()
    return {REQUEST_ID_HEADER: request.request_id} if request is not None else {}


def _count_call(call: CallDone) -> None:
    metrics.COMETCHAT_CALLS.labels(call.operation, call.outcome).inc()
    metrics.COMETCHAT_SECONDS.labels(call.operation).observe(call.seconds)


def cometchat_hooks() -> Hooks:
    """Send the request id on each CometChat call, and count every call and its time."""
    return Hooks(headers=_request_id_header, call_done=_count_call)
