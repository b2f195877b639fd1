"""Typed results of CometChat's REST API, parsed from its JSON with clear errors on odd bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class User:
    """A CometChat user (the fields of the users reference)."""

    uid: str
    name: str
    avatar: str | None = None
    link: str | None = None
    role: str | None = None
    status: str | None = None
    status_message: str | None = None
    metadata: Mapping[str, Any] | None = None
    tags: tuple[str, ...] = ()
    created_at: int | None = None
    updated_at: int | None = None
    deactivated_at: int | None = None
    #: Present only when the user was created with ``with_auth_token=True``.
    auth_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AuthToken:
    """An auth token of one user; ``auth_token`` is the secret the client SDK logs in with."""

    uid: str
    auth_token: str = field(repr=False)
    created_at: int | None = None
    platform: str | None = None
    user_agent: str | None = None
    app_info: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Role:
    """A user role; a user's ``role`` must name one (every app has ``default``)."""

    role: str
    name: str
    description: str | None = None
    metadata: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] | None = None
    created_at: int | None = None
    updated_at: int | None = None


@dataclass(frozen=True, slots=True)
class Pagination:
    """The ``meta.pagination`` object of a list answer."""

    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int
