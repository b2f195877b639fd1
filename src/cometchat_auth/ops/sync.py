"""``cometchat sync``: the app's users against CometChat's, and the jobs that bring them in step.

CometChat's users are listed page by page (the client waits out 429s); the app's come from the
database. What differs is queued in the outbox as the usual user jobs, which send the account's
profile as it is when they run: missing users are created, differing names and avatars updated,
and with ``delete_extra`` users the app does not have are deleted. Users that already have a
queued job are left to it, so a sync interrupted and run again queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from cometchat_auth.cometchat import CometChatClient
from cometchat_auth.outbox.cometchat_jobs import CREATE_USER, DELETE_USER, UPDATE_USER
from cometchat_auth.outbox.models import PENDING, JobRow
from cometchat_auth.services import Services
from cometchat_auth.store import UserRow

#: The job kinds a sync queues; a uid with one of them pending is already on its way.
KINDS = (CREATE_USER, UPDATE_USER, DELETE_USER)
PAGE = 1000


@dataclass(slots=True)
class Diff:
    #: App users CometChat lacks: uid and name.
    missing: list[tuple[str, str]] = field(default_factory=list)
    #: CometChat users the app lacks.
    extra: list[tuple[str, str]] = field(default_factory=list)
    #: Both have them, but name or avatar differ: uid, what CometChat shows, what the app has.
    differing: list[tuple[str, str, str]] = field(default_factory=list)
    #: Left out because a job for them is already queued (a sync run before, say).
    queued: int = 0

    @property
    def empty(self) -> bool:
        return not (self.missing or self.extra or self.differing)


async def cometchat_users(client: CometChatClient) -> dict[str, tuple[str, str | None]]:
    """Every active CometChat user's name and avatar, by uid, a page at a time."""
    return {user.uid: (user.name, user.avatar) async for user in client.list_users(per_page=PAGE)}


async def compare(services: Services) -> Diff:
    """What differs between the app's active accounts and CometChat's users."""
    remote = await cometchat_users(services.cometchat)
    diff = Diff()
    async with services.database.sessionmaker() as db:
        busy = set(
            await db.scalars(
                select(JobRow.ordering_key).where(JobRow.kind.in_(KINDS), JobRow.status == PENDING)
            )
        )
        rows = await db.stream(
            select(UserRow.id, UserRow.name, UserRow.avatar, UserRow.disabled_at).execution_options(
                yield_per=PAGE
            )
        )
        async for uid, name, avatar, disabled_at in rows:
            theirs = remote.pop(uid, None)
            if disabled_at is not None:
                continue  # deactivated in CometChat on purpose
            if uid in busy:
                diff.queued += 1
            elif theirs is None:
                diff.missing.append((uid, name))
            elif theirs != (name, avatar):
                diff.differing.append((uid, _profile(*theirs), _profile(name, avatar)))
    for uid, (name, _) in remote.items():
        if uid in busy:
            diff.queued += 1
        else:
            diff.extra.append((uid, name))
    return diff


def _profile(name: str, avatar: str | None) -> str:
    return f"{name} ({avatar})" if avatar else name


async def fix(services: Services, diff: Diff, *, delete_extra: bool) -> int:
    """Queue the jobs that close ``diff``, in one transaction; how many."""
    jobs = services.cometchat_jobs
    async with services.database.sessionmaker() as db:
        queued = await jobs.bulk(db, CREATE_USER, _uids(diff.missing))
        queued += await jobs.bulk(db, UPDATE_USER, _uids(diff.differing))
        if delete_extra:
            queued += await jobs.bulk(db, DELETE_USER, _uids(diff.extra))
        await db.commit()
    return queued


def _uids(entries: Iterable[tuple[str, ...]]) -> list[str]:
    return [entry[0] for entry in entries]
