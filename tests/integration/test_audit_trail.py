"""Every audit event the README lists is written, read back here from the audit log by account:
the second factor, an email change, and an operator disabling and enabling an account (the core
flows are read back in test_security_api)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from cometchat_auth.audit import Event
from tests.integration.test_cli import beside_server_env, cli
from tests.integration.test_mfa_api import code, enrolled, password_step, verify
from tests.support.audit import account_events
from tests.support.auth_server import (
    PASSWORD,
    bearer,
    new_email,
    register,
)
from tests.support.smtp import link_in
from tests.support.waiting import eventually


def test_the_second_factor_is_audited(client: httpx.Client, database_url: str) -> None:
    account, app, recovery = enrolled(client)
    step = password_step(client, account)
    assert verify(client, step, "aaaaa-aaaaa").status_code == 401
    assert verify(client, step, recovery[0]).status_code == 200
    off = client.request(
        "DELETE",
        "/auth/mfa/totp",
        json={"password": PASSWORD, "code": code(app, 1)},
        headers=bearer(account),
    )
    assert off.status_code == 204, off.text
    events = account_events(database_url, account["user"]["id"])
    for event in ("mfa_enabled", "mfa_required", "mfa_failed", "mfa_succeeded", "mfa_disabled"):
        assert event in events, events


def _mails(folder: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def test_an_email_change_is_audited(
    client: httpx.Client, database_url: str, tmp_path: Path
) -> None:
    account = register(client)
    new = new_email()
    asked = client.post(
        "/auth/email", json={"newEmail": new, "password": PASSWORD}, headers=bearer(account)
    )
    assert asked.status_code == 202, asked.text
    folder = tmp_path / "state" / "mail"
    mail = eventually(lambda: [m for m in _mails(folder) if m["To"] == new])[0]
    token = parse_qs(urlsplit(link_in(mail, "/email/confirm")).query)["token"][0]
    assert client.post("/auth/email/confirm", json={"token": token}).status_code == 200
    events = account_events(database_url, account["user"]["id"])
    assert "email_change_requested" in events, events
    assert "email_changed" in events, events


def test_an_operator_disabling_and_enabling_an_account_is_audited(
    client: httpx.Client, emulator_url: str, database_url: str, tmp_path: Path
) -> None:
    env = beside_server_env(database_url, emulator_url, tmp_path / "cli-state")
    account = register(client)
    for command in ("disable", "enable"):
        done = cli(["users", command, account["user"]["email"]], env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    events = account_events(database_url, account["user"]["id"])
    assert events[-2:] == ["account_disabled", "account_enabled"], events


def test_the_readme_lists_every_audit_event_and_no_other() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    listed = readme.split("### Audit log", 1)[1].split("in the same transaction", 1)[1]
    listed = listed.split("each with the time", 1)[0]
    assert set(re.findall(r"`([a-z_]+)`", listed)) == {event.value for event in Event}
