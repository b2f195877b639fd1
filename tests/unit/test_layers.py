"""The domain knows nothing of HTTP, and the settings nothing of the domain."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(statement: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running ``statement``."""
    script = f"{statement}; import sys; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return {name.split(".")[0] for name in out.split()} | set(out.split())


@pytest.mark.parametrize(
    "modules",
    [
        "cometchat_auth.sessions, cometchat_auth.accounts",
        "cometchat_auth.accounts.service, cometchat_auth.sessions.service",
        "cometchat_auth.outbox.cometchat_jobs, cometchat_auth.security.ratelimit",
        "cometchat_auth.audit, cometchat_auth.mail, cometchat_auth.errors",
    ],
)
def test_the_domain_loads_no_web_framework(modules: str) -> None:
    loaded = loaded_after(f"import {modules}")
    assert not loaded & {"fastapi", "starlette", "cometchat_auth.api"}


def test_settings_load_nothing_of_the_domain() -> None:
    loaded = loaded_after("import cometchat_auth.settings")
    ours = {name for name in loaded if name.startswith("cometchat_auth.")}
    assert ours == {"cometchat_auth.settings"}
    assert not loaded & {"fastapi", "argon2", "purgatory"}
