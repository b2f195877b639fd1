"""``cometchat-auth users import FILE``: the file read as it goes, a progress bar, a report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from cometchat_auth.accounts.passwords import FirebaseScryptParams
from cometchat_auth.ops.drain import drain
from cometchat_auth.ops.importer import Tally, import_users
from cometchat_auth.ops.rows import Format, NewUser, Rejected, check, records
from cometchat_auth.outbox.cometchat_jobs import CREATE_USER
from cometchat_auth.services import Services

#: Rejected rows shown on the console; all of them go to the rejects file.
SHOWN = 10


class _Counted(io.RawIOBase):
    """The file's bytes, counted as they are read: the progress bar's position."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.read_bytes += count or 0
        return int(count or 0)


def _checked(
    text: IO[str], format: Format, firebase: FirebaseScryptParams | None
) -> Iterator[NewUser | Rejected]:
    for line, fields in records(text, format):
        yield Rejected(line, fields) if isinstance(fields, str) else check(line, fields, firebase)


def _open(stack: ExitStack, path: Path, rejects: Path) -> tuple[int, _Counted, IO[str], Any]:
    """The export's size, its bytes counted, its text, and the rejects report's CSV writer."""
    counted = _Counted(stack.enter_context(path.open("rb")))
    text = io.TextIOWrapper(io.BufferedReader(counted), encoding="utf-8-sig", newline="")
    report = csv.writer(stack.enter_context(rejects.open("w", newline="")))
    return path.stat().st_size, counted, text, report


async def run(
    services: Services,
    path: Path,
    *,
    format: Format,
    dry_run: bool,
    firebase: FirebaseScryptParams | None,
    rejects: Path,
    wait: bool,
    console: Console,
) -> Tally:
    shown = 0
    with ExitStack() as stack:
        size, counted, text, report = _open(stack, path, rejects)
        report.writerow(["line", "reason"])

        def rejected(row: Rejected) -> None:
            nonlocal shown
            report.writerow([row.line, row.reason])
            if shown < SHOWN:
                console.print(f"[yellow]line {row.line}:[/yellow] {row.reason}", soft_wrap=True)
            shown += 1

        progress = stack.enter_context(
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("{task.fields[rows]} rows, {task.fields[rate]}"),
                TimeRemainingColumn(),
                console=console,
            )
        )
        task: TaskID = progress.add_task(
            "dry run" if dry_run else "importing", total=size, rows=0, rate=""
        )

        def advanced(tally: Tally) -> None:
            elapsed = progress.tasks[0].elapsed or 1e-6
            progress.update(
                task,
                completed=counted.read_bytes,
                rows=tally.read,
                rate=f"{tally.read / elapsed:.0f} rows/s",
            )

        tally = await import_users(
            services,
            _checked(text, format, firebase),
            dry_run=dry_run,
            on_rejected=rejected,
            on_batch=advanced,
        )
        progress.update(task, completed=size)
    verb = "would create" if dry_run else "created"
    summary = (
        f"{tally.read} rows: {verb} {tally.created} ({tally.must_reset} must reset their "
        f"password), {tally.existing} already here, {tally.rejected} rejected"
    )
    console.print(summary + (f" (all in {rejects})" if tally.rejected else ""), soft_wrap=True)
    if dry_run or not tally.created:
        return tally
    if not wait:
        console.print("CometChat users queued: the server's outbox worker creates them")
        return tally
    left = await drain(services, (CREATE_USER,), console)
    if left:
        console.print(f"{left} CometChat users still queued: the server's worker will finish them")
    return tally
