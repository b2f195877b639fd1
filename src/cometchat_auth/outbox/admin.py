"""What ``cometchat-auth outbox list | retry`` do: show the jobs not yet done, run them again."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.table import Table

from cometchat_auth.outbox import queries
from cometchat_auth.outbox.models import FAILED, Job
from cometchat_auth.store import open_database

console = Console()


async def _jobs(database_url: str) -> list[Job]:
    async with open_database(database_url) as database, database.sessionmaker() as db:
        return await queries.list_jobs(db)


async def _retry(database_url: str, job_id: int | None) -> int:
    async with open_database(database_url) as database, database.sessionmaker() as db:
        return await queries.retry(db, job_id)


def show(database_url: str, *, failed_only: bool = False) -> None:
    """Pending and failed jobs, oldest first; payloads stay encrypted and are never shown."""
    jobs = asyncio.run(_jobs(database_url))
    if failed_only:
        jobs = [job for job in jobs if job.status == FAILED]
    if not jobs:
        console.print("No jobs waiting: CometChat is in step.")
        return
    rows = [
        (
            str(job.id),
            job.kind,
            job.ordering_key or "",
            job.status,
            str(job.attempts),
            job.run_after.strftime("%Y-%m-%d %H:%M:%S"),
            job.last_error or "",
        )
        for job in jobs
    ]
    if not console.is_terminal:
        # Piped: one tab-separated line per job, for scripts (a table would be cut to fit).
        for fields in rows:
            print("\t".join(fields))
        return
    table = Table("id", "kind", "key", "status", "attempts", "next run (UTC)", "last error")
    for fields in rows:
        table.add_row(*fields, style="red" if fields[3] == FAILED else None)
    console.print(table)
    failed = sum(job.status == FAILED for job in jobs)
    console.print(f"{len(jobs) - failed} pending, {failed} failed")


def retry(database_url: str, job_id: int | None) -> int:
    """Queue one job (or, with None, every failed or waiting job) to run now; how many."""
    return asyncio.run(_retry(database_url, job_id))
