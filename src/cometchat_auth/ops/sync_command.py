"""``cometchat-auth cometchat sync``: print the diff, queue the fixes, run them with progress."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cometchat_auth.ops.drain import drain
from cometchat_auth.ops.sync import KINDS, Diff, compare, fix
from cometchat_auth.services import Services

#: Rows of each kind shown; the counts are always complete.
SHOWN = 20


def show(diff: Diff, console: Console, *, delete_extra: bool) -> None:
    extra_fate = "deleted" if delete_extra else "kept (--delete-extra deletes them)"
    console.print(
        f"missing in CometChat: {len(diff.missing)}, extra in CometChat: {len(diff.extra)} "
        f"({extra_fate}), name or avatar differing: {len(diff.differing)}"
        + (f", already queued: {diff.queued}" if diff.queued else ""),
        soft_wrap=True,
    )
    if diff.empty:
        return
    table = Table("", "uid", "CometChat", "app")
    for uid, name in diff.missing[:SHOWN]:
        table.add_row("missing", uid, "", name)
    for uid, name in diff.extra[:SHOWN]:
        table.add_row("extra", uid, name, "")
    for uid, theirs, ours in diff.differing[:SHOWN]:
        table.add_row("differs", uid, theirs, ours)
    console.print(table)


async def run(
    services: Services, *, dry_run: bool, delete_extra: bool, wait: bool, console: Console
) -> Diff:
    diff = await compare(services)
    show(diff, console, delete_extra=delete_extra)
    if dry_run:
        return diff
    if diff.empty and not diff.queued:
        console.print("CometChat is in step")
        return diff
    queued = await fix(services, diff, delete_extra=delete_extra)
    console.print(f"{queued} CometChat changes queued")
    if not wait:
        return diff
    left = await drain(services, KINDS, console, label="CometChat changes")
    console.print(
        f"{left} changes still queued: run sync again, or let the server's worker finish them"
        if left
        else "CometChat is in step"
    )
    return diff
