"""The long-lived parts a process shares: database, CometChat client, hasher, session manager.

The HTTP app (lifespan) and the ``users`` CLI open them the same way.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cometchat_auth.accounts import email_tokens, mfa_tokens, passkeys
from cometchat_auth.accounts.lockout import Lockout
from cometchat_auth.accounts.passwords import Passwords
from cometchat_auth.chat_tokens import ChatTokens, Slots
from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.cometchat import CometChatClient
from cometchat_auth.identity import IdentityConfig, token_verifier
from cometchat_auth.identity.config import IdentityConfigError
from cometchat_auth.identity.exchange import CHAT_SESSIONS, Exchange
from cometchat_auth.mail import MAIL_SEND, Mail, Mailer, MailFolder, Sender, SmtpSender
from cometchat_auth.ops import metrics
from cometchat_auth.ops.instrument import cometchat_hooks
from cometchat_auth.outbox import Outbox
from cometchat_auth.outbox.breaker import CircuitBreaker
from cometchat_auth.outbox.cometchat_jobs import CometChatJobs
from cometchat_auth.outbox.worker import Sealer
from cometchat_auth.security.ratelimit import ACTIONS, RateLimits, Rule, open_storage
from cometchat_auth.sessions.service import SessionManager, session_slots
from cometchat_auth.sessions.tokens import AccessTokens
from cometchat_auth.settings import Settings, SettingsError
from cometchat_auth.store import Database, open_database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    cometchat: CometChatClient
    passwords: Passwords
    sessions: SessionManager
    mailer: Mailer
    limits: RateLimits
    lockout: Lockout
    #: CometChat's side of accounts and sessions, queued.
    cometchat_jobs: CometChatJobs
    #: Encryption at rest for what must be read back: CometChat tokens, TOTP secrets.
    vault: TokenVault
    #: Bring your own identity: set when an issuer is (OIDC_ISSUER or JWT_ISSUER).
    exchange: Exchange | None = None

    async def sweep(self) -> int:
        """End idle and expired sessions (their CometChat tokens die now, or as soon as CometChat
        can) and delete lock-outs and mailed tokens that can no longer count; returns how many
        sessions ended."""
        async with self.database.sessionmaker() as db:
            users = await self.sessions.sweep(db)
            await self.lockout.sweep(db)
            await email_tokens.sweep(db)
            await mfa_tokens.sweep(db)
            await passkeys.sweep(db)
            if self.exchange is not None:
                users += await self.exchange.sweep(db, self.settings.session_retention)
            await db.commit()
        for user_id in dict.fromkeys(users):
            await self.cometchat_jobs.settle(user_id)
        return len(users)

    @property
    def outbox(self) -> Outbox:
        """The outbox the CometChat jobs go through; it runs other jobs too (mail)."""
        return self.cometchat_jobs.outbox


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
        hooks=cometchat_hooks(),
    )


def mint_guard_grace(settings: Settings) -> float:
    """Seconds after which a request that minted a token is surely over: a sign-in settles the
    user's jobs and mints (a CometChat deadline each) around a few bounded statements."""
    if settings.mint_guard_grace is not None:
        return settings.mint_guard_grace
    return 2 * (settings.cometchat_deadline + settings.database_timeout) + 5


def cometchat_jobs(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: CometChatClient,
    vault: Sealer,
) -> CometChatJobs:
    """The process's outbox, with the CometChat jobs registered, and its circuit breaker."""
    outbox = Outbox(
        sessionmaker,
        vault,
        concurrency=settings.outbox_concurrency,
        lease=settings.outbox_lease,
        max_attempts=settings.outbox_max_attempts,
        backoff_base=settings.outbox_backoff_base,
        backoff_cap=settings.outbox_backoff_cap,
        poll_interval=settings.outbox_poll_interval,
    )
    breaker = CircuitBreaker(
        threshold=settings.cometchat_breaker_threshold,
        reset_after=settings.cometchat_breaker_reset,
        deadline=settings.cometchat_deadline,
    )
    return CometChatJobs(outbox, client, breaker)


def rate_limits(settings: Settings) -> RateLimits:
    """The server's limits: ``RATE_LIMIT_<ACTION>_IP`` and ``_ACCOUNT`` for every action."""
    rules = {
        action: Rule(
            per_ip=getattr(settings, f"rate_limit_{action}_ip"),
            per_account=getattr(settings, f"rate_limit_{action}_account"),
        )
        for action in ACTIONS
    }
    storage = open_storage(settings.redis_url)
    quotas = {"mail": settings.mail_limit_per_address}
    return RateLimits(rules, storage, key_prefix=settings.rate_limit_key_prefix, quotas=quotas)


def lockout(settings: Settings) -> Lockout:
    return Lockout(
        threshold=settings.lockout_threshold,
        window=timedelta(seconds=settings.lockout_window),
        base_delay=timedelta(seconds=settings.lockout_base_delay),
        max_delay=timedelta(seconds=settings.lockout_max_delay),
    )


def identity_config(settings: Settings) -> IdentityConfig | None:
    """The identity provider's settings, checked; None when no issuer is set."""
    if not settings.exchange:
        return None
    if settings.oidc_issuer and settings.jwt_issuer and settings.oidc_issuer != settings.jwt_issuer:
        raise SettingsError("OIDC_ISSUER and JWT_ISSUER name different issuers")
    secret = settings.jwt_shared_secret
    try:
        return IdentityConfig(
            issuer=settings.oidc_issuer or settings.jwt_issuer or "",
            audience=settings.jwt_audience or "",
            discover=bool(settings.oidc_issuer) and not settings.jwks_url,
            jwks_url=settings.jwks_url,
            algorithms=tuple(settings.jwt_algorithms),
            shared_secret=secret.get_secret_value() if secret else None,
            uid_claim=settings.uid_claim,
            uid_prefix=settings.uid_prefix,
            name_claim=settings.name_claim,
            avatar_claim=settings.avatar_claim,
            session_claim=settings.session_claim,
            leeway=settings.jwt_leeway,
            max_token_bytes=settings.jwt_max_bytes,
            jwks_cache_ttl=settings.jwks_cache_ttl,
            jwks_refetch_interval=settings.jwks_refetch_interval,
            logout_max_age=settings.logout_token_max_age,
            beside_accounts=settings.accounts,
        )
    except IdentityConfigError as exc:
        raise SettingsError(str(exc)) from None


@asynccontextmanager
async def open_exchange(
    settings: Settings, client: CometChatClient, vault: TokenVault, jobs: CometChatJobs
) -> AsyncIterator[Exchange | None]:
    """The exchange, with its own HTTP client for the provider's keys; None without an issuer."""
    config = identity_config(settings)
    if config is None:
        yield None
        return
    async with httpx.AsyncClient(timeout=settings.cometchat_timeout) as http:
        tokens = ChatTokens(Slots.of(CHAT_SESSIONS), vault=vault, cometchat=client, jobs=jobs)
        verifier = token_verifier(config, http)
        yield Exchange(verifier, tokens, max_age=settings.session_max_age)


def mailer(settings: Settings) -> Mailer:
    """SMTP when SMTP_HOST is set, else the local mail folder (STATE_DIR/mail)."""
    sender: Sender
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        sender = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            # Implicit TLS (port 465) leaves nothing for STARTTLS to upgrade.
            starttls=settings.smtp_starttls and not settings.smtp_tls,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
        )
    else:
        sender = MailFolder(settings.state_dir / "mail")
        if not settings.local:
            log.warning("no SMTP_HOST: mails are written to %s, nobody gets them", sender.folder)
    return Mailer(sender, app_name=settings.app_name, mail_from=settings.mail_from)


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Everything open (migrations applied) for the block, closed after; settings are prepared."""
    if settings.secret_key is None:
        raise SettingsError("no SECRET_KEY")
    async with (
        AsyncExitStack() as stack,
        open_database(
            settings.database_url,
            max_wait=settings.database_timeout,
            pool_size=settings.database_pool_size,
        ) as database,
        cometchat_client(settings) as client,
        aclosing(rate_limits(settings)) as limits,
    ):
        vault = TokenVault([key.get_secret_value() for key in settings.token_encryption_keys])
        jobs = cometchat_jobs(settings, database.sessionmaker, client, vault)
        exchange = await stack.enter_async_context(open_exchange(settings, client, vault, jobs))
        sessions = SessionManager(
            access=AccessTokens(
                settings.secret_key.get_secret_value(),
                settings.access_token_ttl,
                timedelta(seconds=settings.access_token_leeway),
            ),
            chat=ChatTokens(
                session_slots(),
                vault=vault,
                cometchat=client,
                jobs=jobs,
                guard_grace=mint_guard_grace(settings),
            ),
            idle_timeout=settings.session_idle_timeout,
            max_age=settings.session_max_age,
            retention=settings.session_retention,
            reuse_grace=settings.refresh_reuse_grace,
            require_verified_email=settings.require_verified_email_for_chat,
        )
        passwords = Passwords(
            memory_cost=settings.argon2_memory_cost,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
        )
        mail = mailer(settings)
        jobs.outbox.register(MAIL_SEND, lambda payload: _send_counted(mail, payload))
        jobs.breaker.watch(metrics.breaker_state)
        yield Services(
            settings,
            database,
            client,
            passwords,
            sessions,
            mail,
            limits=limits,
            lockout=lockout(settings),
            cometchat_jobs=jobs,
            vault=vault,
            exchange=exchange,
        )


async def _send_counted(mail: Mailer, payload: dict[str, Any]) -> None:
    try:
        await mail.send(Mail.from_payload(payload))
    except Exception:
        metrics.MAILS.labels("failed").inc()
        raise
    metrics.MAILS.labels("sent").inc()
