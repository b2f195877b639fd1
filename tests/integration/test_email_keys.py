"""Email keys never merge two people's addresses; old keys are re-keyed by a migration that
reports a collision instead of merging the accounts."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, text

from cometchat_auth.store.db import MIGRATIONS
from tests.support.auth_server import PASSWORD

REVISION = "email_keys"


def test_an_address_in_a_lookalike_domain_is_another_account(client: httpx.Client) -> None:
    # Under NFKC + casefold the two shared a key: a login as the squatter reached the account.
    owner = {"email": "alice@straße.de", "password": PASSWORD, "name": "Alice"}
    assert client.post("/auth/register", json=owner).status_code == 201
    other = {"email": "alice@strasse.de", "password": PASSWORD}
    assert client.post("/auth/login", json=other).status_code == 401
    answer = client.post("/auth/register", json={**other, "name": "Other"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["user"]["email"] == "alice@strasse.de"
    # The same mailbox in capitals (ẞ is the capital ß) is still the owner's.
    login = client.post("/auth/login", json={"email": "ALICE@STRAẞE.DE", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["name"] == "Alice"


def _upgrade(url: str, target: str) -> None:
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, target)

    with engine.begin() as connection:
        run(connection)
    engine.dispose()


def _insert_user(connection: Connection, user_id: str, email: str, key: str) -> None:
    connection.execute(
        text(
            "INSERT INTO users (id, email, email_key, name, password_hash, email_verified, "
            "created_at, updated_at) VALUES (:id, :email, :key, 'N', 'h', 0, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ),
        {"id": user_id, "email": email, "key": key},
    )


def test_the_migration_rekeys_rows_and_reports_collisions_without_merging(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _upgrade(url, f"{REVISION}-1")
    engine = create_engine(url)
    with engine.begin() as connection:
        # Keys as the old NFKC + casefold rule made them.
        _insert_user(connection, "straße", "alice@straße.de", "alice@strasse.de")
        _insert_user(connection, "plain", "Bob@Example.com", "bob@example.com")
        _insert_user(connection, "fullwidth", "\uff43arl@example.com", "carl@example.com")
        # Two rows of one mailbox under different old keys (written by hand, say): not merged.
        _insert_user(connection, "dana-1", "Dana@example.com", "legacy-dana-1")
        _insert_user(connection, "dana-2", "dana@EXAMPLE.com", "legacy-dana-2")
        connection.execute(
            text(
                "INSERT INTO login_lockouts (email_key, failures, first_failure_at) "
                "VALUES ('alice@strasse.de', 3, '2026-01-01 00:00:00')"
            )
        )
    caplog.set_level(logging.WARNING)
    _upgrade(url, REVISION)
    with engine.connect() as connection:
        keys = {row.id: row.email_key for row in connection.execute(text("SELECT * FROM users"))}
        lockouts = connection.execute(text("SELECT email_key FROM login_lockouts")).scalars().all()
    engine.dispose()
    assert keys == {
        "straße": "alice@straße.de",
        "plain": "bob@example.com",
        "fullwidth": "\uff43arl@example.com",
        "dana-1": "legacy-dana-1",
        "dana-2": "legacy-dana-2",
    }
    # A lock-out follows its account to the new key.
    assert lockouts == ["alice@straße.de"]
    assert "dana@example.com" in caplog.text
    assert "dana-1" in caplog.text
    assert "dana-2" in caplog.text
