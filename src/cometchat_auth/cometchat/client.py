"""The async CometChat REST client: one pooled connection pool, typed results, bounded retries."""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote

import httpx

from .answers import data_of, error_from, meta_of, parse, parse_list
from .errors import CometChatError, RateLimited, Unavailable, UserAlreadyExists
from .hooks import CallDone, Hooks
from .logs import hide_tokens_from_httpx_logs, logger, redact_path
from .retries import UNSENT, backoff, retry_after
from .types import AuthToken, Pagination, Role, User
from .uids import validate_uid

T = TypeVar("T")
Unsettable = Literal["avatar", "link", "metadata"]

USER_AGENT = f"cometchat-auth-client/0.1 httpx/{httpx.__version__}"


def _token_path(uid: str, auth_token: str) -> str:
    # Tokens are opaque: quote every character that could change the path.
    return f"/users/{validate_uid(uid)}/auth_tokens/{quote(auth_token, safe='')}"


def _uids(data: Any, *keys: str) -> list[str]:
    """The first of ``keys`` in ``data`` that holds a list of uids."""
    if isinstance(data, Mapping):
        for key in keys:
            found = data.get(key)
            if isinstance(found, list) and all(isinstance(uid, str) for uid in found):
                return found
    raise Unavailable(f"CometChat sent no list of uids under {' or '.join(keys)}")


def _without_none(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _profile(
    name: str | None,
    avatar: str | None,
    link: str | None,
    role: str | None,
    status_message: str | None,
    metadata: Mapping[str, Any] | None,
    tags: Sequence[str] | None,
) -> dict[str, Any]:
    """The user fields create and update share, camelCased, with the ones left out dropped."""
    return _without_none(
        name=name,
        avatar=avatar,
        link=link,
        role=role,
        statusMessage=status_message,
        metadata=metadata,
        tags=list(tags) if tags is not None else None,
    )


class CometChatClient:
    """Talks to one CometChat app's REST API (v3) with its REST API key.

    Use it as ``async with CometChatClient(...) as client`` or call ``aclose()``; one per process.
    """

    def __init__(
        self,
        app_id: str,
        rest_api_key: str,
        *,
        region: str = "us",
        base_url: str | None = None,
        timeout: float = 5.0,
        deadline: float = 15.0,
        max_attempts: int = 5,
        backoff_base: float = 0.2,
        backoff_max: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | str | bool = True,
        user_agent: str | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.app_id = app_id
        self.region = region
        self.base_url = base_url or f"https://{app_id}.api-{region}.cometchat.io/v3"
        self.timeout = timeout
        self.deadline = deadline
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._key = rest_api_key
        self._hooks = hooks or Hooks()
        hide_tokens_from_httpx_logs()
        # Injectable so tests can wait without waiting.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._jitter: Callable[[], float] = random.random
        self._clock: Callable[[], float] = time.monotonic
        self._now: Callable[[], float] = time.time
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                "apikey": rest_api_key,
                "appId": app_id,
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": user_agent or USER_AGENT,
            },
            timeout=timeout,
            transport=transport,
            verify=verify,
        )

    def __repr__(self) -> str:
        return f"CometChatClient(app_id={self.app_id!r}, base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # Users

    async def create_user(
        self,
        uid: str,
        name: str,
        *,
        avatar: str | None = None,
        link: str | None = None,
        role: str | None = None,
        status_message: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        with_auth_token: bool = False,
    ) -> User:
        """Create a user; safe to retry, because a retry that finds the user returns it."""
        uid = validate_uid(uid)
        body = {
            "uid": uid,
            **_profile(name, avatar, link, role, status_message, metadata, tags),
            **_without_none(withAuthToken=with_auth_token or None),
        }
        response = await self._call(
            "create_user", "POST", "/users", json=body, created_on_retry=True
        )
        if response is not None:
            return parse(User, data_of(response))
        # An earlier attempt created the user but its answer was lost.
        user = await self.get_user(uid)
        if with_auth_token:
            token = await self.create_auth_token(uid, force=True)
            user = replace(user, auth_token=token.auth_token)
        return user

    async def get_user(self, uid: str) -> User:
        """The user ``uid``; ``UserNotFound`` also when the user is deactivated."""
        return parse(User, await self._data("get_user", "GET", f"/users/{validate_uid(uid)}"))

    async def update_user(
        self,
        uid: str,
        *,
        name: str | None = None,
        avatar: str | None = None,
        link: str | None = None,
        role: str | None = None,
        status_message: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        unset: Sequence[Unsettable] = (),
    ) -> User:
        """Change the given fields (``None`` leaves a field alone; ``unset`` clears one)."""
        body = {
            **_profile(name, avatar, link, role, status_message, metadata, tags),
            **_without_none(unset=list(unset) or None),
        }
        path = f"/users/{validate_uid(uid)}"
        return parse(User, await self._data("update_user", "PUT", path, json=body))

    async def delete_user(self, uid: str, *, permanent: bool = False) -> None:
        """Deactivate the user, or with ``permanent=True`` erase it with its messages."""
        path = f"/users/{validate_uid(uid)}"
        await self._data("delete_user", "DELETE", path, json={"permanent": permanent})

    def list_users(
        self,
        *,
        per_page: int = 100,
        search_key: str | None = None,
        status: Literal["available", "offline"] | None = None,
        role: str | None = None,
        roles: Sequence[str] = (),
        tags: Sequence[str] = (),
        with_tags: bool = False,
        with_deactivated: bool = False,
        only_deactivated: bool = False,
    ) -> AsyncIterator[User]:
        """Every user matching the filters, one page fetched at a time as the iteration needs it.

        CometChat leaves ``tags`` out of listed users unless ``with_tags`` asks for them.
        """
        params = _without_none(
            searchKey=search_key,
            status=status,
            role=role,
            roles=",".join(roles) or None,
            tags=",".join(tags) or None,
            withTags=with_tags or None,
            withDeactivated=with_deactivated or None,
            onlyDeactivated=only_deactivated or None,
        )
        return self._pages("list_users", User, "/users", per_page, params)

    async def deactivate_users(self, uids: Iterable[str]) -> list[str]:
        """Deactivate users in one call (they can no longer log in); returns the uids it changed."""
        body = {"uidsToDeactivate": [validate_uid(uid) for uid in uids]}
        data = await self._data("deactivate_users", "DELETE", "/users", json=body)
        return _uids(data, "deactivatedUids")

    async def reactivate_users(self, uids: Iterable[str]) -> list[str]:
        """Reactivate deactivated users in one call; returns the uids it changed."""
        body = {"uidsToActivate": [validate_uid(uid) for uid in uids]}
        # [GUESS] The reference's example answers with "nonDeactivatedUids", which reads like a
        # copy slip: a "reactivatedUids" list is taken as well.
        data = await self._data("reactivate_users", "PUT", "/users", json=body)
        return _uids(data, "nonDeactivatedUids", "reactivatedUids")

    # Roles

    async def create_role(
        self,
        role: str,
        name: str,
        *,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Role:
        """Create a role (its id follows the uid rules), so users can be given it."""
        body = {
            "role": validate_uid(role),
            "name": name,
            **_without_none(description=description, metadata=metadata, settings=settings),
        }
        return parse(Role, await self._data("create_role", "POST", "/roles", json=body))

    async def get_role(self, role: str) -> Role:
        """The role, or ``RoleNotFound``."""
        path = f"/roles/{validate_uid(role)}"
        return parse(Role, await self._data("get_role", "GET", path))

    def list_roles(self, *, per_page: int = 100) -> AsyncIterator[Role]:
        """Every role of the app, ``default`` included, a page at a time."""
        return self._pages("list_roles", Role, "/roles", per_page, {})

    # Auth tokens

    async def create_auth_token(self, uid: str, *, force: bool = True) -> AuthToken:
        """Mint a token for the SDK's ``login``; never resent once it may have reached CometChat.

        ``force`` (the default) asks for a new token. [GUESS] Without it CometChat may hand back
        one the user already has: a token shared by two sessions dies with the first logout.
        """
        path = f"/users/{validate_uid(uid)}/auth_tokens"
        data = await self._data(
            "create_auth_token", "POST", path, json={"force": force}, idempotent=False
        )
        return parse(AuthToken, data)

    def list_auth_tokens(self, uid: str, *, per_page: int = 100) -> AsyncIterator[AuthToken]:
        """The user's valid tokens (CometChat keeps the newest 100), a page at a time."""
        path = f"/users/{validate_uid(uid)}/auth_tokens"
        return self._pages("list_auth_tokens", AuthToken, path, per_page, {})

    async def get_auth_token(self, uid: str, auth_token: str) -> AuthToken:
        """The token, or ``AuthTokenNotFound`` once deleted, flushed or pushed out of the window."""
        path = _token_path(uid, auth_token)
        data = await self._data("get_auth_token", "GET", path, secrets=(auth_token,))
        return parse(AuthToken, data)

    async def update_auth_token(
        self,
        uid: str,
        auth_token: str,
        *,
        platform: str | None = None,
        user_agent: str | None = None,
        app_info: Mapping[str, Any] | None = None,
    ) -> AuthToken:
        """Record where a token is used (CometChat lists these fields with the token)."""
        body = _without_none(platform=platform, userAgent=user_agent, appInfo=app_info)
        if not body:
            raise ValueError("give at least one of platform, user_agent and app_info")
        path = _token_path(uid, auth_token)
        data = await self._data("update_auth_token", "PUT", path, json=body, secrets=(auth_token,))
        return parse(AuthToken, data)

    async def delete_auth_token(self, uid: str, auth_token: str) -> None:
        """Revoke one token (one device signed out)."""
        path = _token_path(uid, auth_token)
        await self._data("delete_auth_token", "DELETE", path, secrets=(auth_token,))

    async def flush_auth_tokens(self, uid: str) -> None:
        """Revoke every token of the user (signed out everywhere)."""
        await self._data("flush_auth_tokens", "DELETE", f"/users/{validate_uid(uid)}/auth_tokens")

    # Plumbing

    async def _pages(
        self, operation: str, kind: type[T], path: str, per_page: int, params: Mapping[str, Any]
    ) -> AsyncIterator[T]:
        if not 1 <= per_page <= 1000:
            raise ValueError("per_page must be between 1 and 1000")
        page = 1
        while True:
            query = {**params, "perPage": per_page, "page": page}
            response = await self._call(operation, "GET", path, params=query)
            assert response is not None
            items = parse_list(kind, data_of(response))
            for item in items:
                yield item
            if not items or not self._has_next(page, len(items), per_page, meta_of(response)):
                return
            page += 1

    @staticmethod
    def _has_next(page: int, count: int, per_page: int, meta: Mapping[str, Any]) -> bool:
        raw = meta.get("pagination")
        if raw is None:
            return count >= per_page  # no pagination sent: a full page may have a successor
        pagination = parse(Pagination, raw)
        # Count pages ourselves: a server repeating current_page must not loop us forever.
        return page < pagination.total_pages

    async def _data(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotent: bool = True,
        secrets: Iterable[str] = (),
    ) -> Any:
        response = await self._call(
            operation, method, path, json=json, idempotent=idempotent, secrets=secrets
        )
        assert response is not None
        return data_of(response)

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        **options: Any,
    ) -> httpx.Response | None:
        """``_send``, with the hooks told how the call went."""
        started = self._clock()
        outcome = "ok"
        try:
            return await self._send(method, path, **options)
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            if self._hooks.call_done is not None:
                self._hooks.call_done(CallDone(operation, outcome, self._clock() - started))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool = True,
        created_on_retry: bool = False,
        secrets: Iterable[str] = (),
    ) -> httpx.Response | None:
        """Send until a 2xx answer, a final error, ``max_attempts`` or the deadline.

        Returns ``None`` only with ``created_on_retry``, when a resent create met its earlier work.
        """
        secrets = (self._key, *secrets)
        log_path = redact_path(path)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            remaining = self.deadline - (self._clock() - started)
            wait: float | None
            try:
                # The per-attempt timeout shrinks with the budget; asyncio's guards slow drips too.
                async with asyncio.timeout(remaining):
                    response = await self._http.request(
                        method,
                        path,
                        json=json,
                        params=params,
                        headers=self._hooks.headers() if self._hooks.headers else None,
                        timeout=min(self.timeout, remaining),
                    )
            except (httpx.TransportError, TimeoutError) as exc:
                self._log(method, log_path, type(exc).__name__, attempt, started)
                error: CometChatError = Unavailable(
                    f"CometChat did not answer {method} {log_path}: {type(exc).__name__}"
                )
                error.__cause__ = exc
                if not idempotent and not isinstance(exc, UNSENT):
                    raise error from exc
                wait = None
            else:
                self._log(method, log_path, response.status_code, attempt, started)
                if response.is_success:
                    return response
                delay = retry_after(response.headers, now=self._now())
                error = error_from(response, retry_after=delay, secrets=secrets)
                if created_on_retry and attempt > 1 and isinstance(error, UserAlreadyExists):
                    return None
                if isinstance(error, RateLimited):
                    wait = delay
                elif isinstance(error, Unavailable) and idempotent:
                    wait = None
                else:
                    raise error
            if wait is None:
                wait = backoff(
                    attempt, base=self.backoff_base, cap=self.backoff_max, jitter=self._jitter()
                )
            remaining = self.deadline - (self._clock() - started)
            if attempt >= self.max_attempts or wait >= remaining:
                raise error
            await self._sleep(wait)

    def _log(self, method: str, path: str, outcome: object, attempt: int, started: float) -> None:
        logger.debug(
            "%s %s -> %s (attempt %d, %.0f ms)",
            method,
            path,
            outcome,
            attempt,
            (self._clock() - started) * 1000,
        )
