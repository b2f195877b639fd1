"""The transactional outbox: side effects (CometChat, mail) queued with the change they follow.

A job is written in the caller's transaction, so it exists exactly when the change does; a worker
in the server process runs it after commit, retrying with back-off, in order per ordering key.
"""

from cometchat_auth.outbox.errors import PermanentFailure, RetryLater
from cometchat_auth.outbox.models import Job
from cometchat_auth.outbox.worker import Handler, Outbox

__all__ = ["Handler", "Job", "Outbox", "PermanentFailure", "RetryLater"]
