"""``cometchat-auth doctor``: every check, a PASS/WARN/FAIL table, non-zero exit on a FAIL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from cometchat_auth.ops import config_checks, service_checks
from cometchat_auth.ops.findings import Finding, Status
from cometchat_auth.settings import Settings

_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}


async def examine(settings: Settings) -> list[Finding]:
    """Every finding: the settings' own first, then what the server talks to (side by side)."""
    found = [*config_checks.keys(settings), *config_checks.urls(settings)]
    for checked in await asyncio.gather(
        service_checks.cometchat(settings),
        service_checks.database(settings),
        service_checks.redis(settings),
        service_checks.smtp(settings),
    ):
        found += checked
    # Last and alone: timing a hash beside the network checks would measure them too.
    return found + config_checks.argon2(settings)


def show(found: Sequence[Finding], console: Console) -> None:
    table = Table("", "check", "finding", "fix", show_lines=False)
    for finding in found:
        style = _STYLE[finding.status]
        table.add_row(
            f"[{style}]{finding.status}[/{style}]", finding.check, finding.detail, finding.fix
        )
    console.print(table)
    failures = sum(finding.status is Status.FAIL for finding in found)
    warnings = sum(finding.status is Status.WARN for finding in found)
    console.print(f"{failures} FAIL, {warnings} WARN, {len(found) - failures - warnings} PASS")


def run(settings: Settings, console: Console) -> int:
    """Print the table; the exit status: 1 on any FAIL, else 0."""
    found = asyncio.run(examine(settings))
    show(found, console)
    return 1 if any(finding.status is Status.FAIL for finding in found) else 0
