"""What a job handler raises to steer the outbox: try again later, or give up now."""

from __future__ import annotations


class RetryLater(Exception):
    """Run the job again, no sooner than ``after`` seconds (back-off may wait longer)."""

    def __init__(self, after: float = 0.0) -> None:
        super().__init__(f"retry in {after:.1f} s")
        self.after = after


class PermanentFailure(Exception):
    """The job can never succeed as it stands: mark it failed at once (the CLI lists it)."""
