"""The long-lived parts a process shares: database, CometChat client, hasher, session manager.

The HTTP app (lifespan) and the ``users`` CLI open them the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from cometchat_auth.accounts.passwords import Passwords
from cometchat_auth.cometchat import CometChatClient
from cometchat_auth.sessions.service import SessionManager
from cometchat_auth.sessions.tokens import AccessTokens
from cometchat_auth.sessions.vault import TokenVault
from cometchat_auth.settings import Settings, SettingsError
from cometchat_auth.store import Database, open_database


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    cometchat: CometChatClient
    passwords: Passwords
    sessions: SessionManager


def cometchat_client(settings: Settings) -> CometChatClient:
    if not (settings.cometchat_app_id and settings.cometchat_rest_api_key):
        raise SettingsError("no COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY")
    return CometChatClient(
        settings.cometchat_app_id,
        settings.cometchat_rest_api_key.get_secret_value(),
        region=settings.cometchat_region,
        base_url=settings.cometchat_api_base,
        timeout=settings.cometchat_timeout,
        deadline=settings.cometchat_deadline,
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Everything open (migrations applied) for the block, closed after; settings are prepared."""
    if settings.secret_key is None:
        raise SettingsError("no SECRET_KEY")
    async with (
        open_database(settings.database_url) as database,
        cometchat_client(settings) as client,
    ):
        sessions = SessionManager(
            access=AccessTokens(settings.secret_key.get_secret_value(), settings.access_token_ttl),
            vault=TokenVault([key.get_secret_value() for key in settings.token_encryption_keys]),
            cometchat=client,
            idle_timeout=settings.session_idle_timeout,
            max_age=settings.session_max_age,
            reuse_grace=settings.refresh_reuse_grace,
        )
        passwords = Passwords(
            memory_cost=settings.argon2_memory_cost,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
        )
        yield Services(settings, database, client, passwords, sessions)
