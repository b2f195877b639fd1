"""The emulator's memory: users and auth tokens per app, and how they change."""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import role_not_found, token_not_found, uid_exists, uid_not_found

#: CometChat keeps only the newest 100 tokens of a user valid.
TOKEN_WINDOW = 100


#: Every app has this role, and users created without one get it.
DEFAULT_ROLE = "default"


@dataclass
class RoleRecord:
    """A role (``POST /roles``); a user's role must be one of these."""

    role: str
    name: str
    created_at: int
    description: str | None = None
    metadata: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"role": self.role, "name": self.name}
        more = {
            "description": self.description,
            "metadata": self.metadata,
            "settings": self.settings,
        }
        shown.update({key: value for key, value in more.items() if value is not None})
        shown["createdAt"] = self.created_at
        return shown


@dataclass
class TokenRecord:
    auth_token: str = field(repr=False)
    created_at: int
    platform: str | None = None
    device_id: str | None = None
    app_info: dict[str, Any] | None = None
    user_agent: str | None = None
    #: Set by the SDK's ``PUT /me``, cleared by ``DELETE /me``; the token stays valid either way.
    session_active: bool = False


@dataclass
class UserRecord:
    uid: str
    name: str
    created_at: int
    avatar: str | None = None
    link: str | None = None
    role: str = DEFAULT_ROLE
    status_message: str | None = None
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    updated_at: int | None = None
    deactivated_at: int | None = None
    tokens: list[TokenRecord] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``available`` while the SDK holds a session (``PUT /me`` without ``DELETE /me``).

        [GUESS] Real CometChat tracks presence on its websocket, which the emulator has not.
        """
        return "available" if any(token.session_active for token in self.tokens) else "offline"

    def public(self, *, with_tags: bool = True) -> dict[str, Any]:
        """The user as CometChat shows it: unset optional fields are left out.

        Lists leave ``tags`` out unless asked (``withTags``); single users carry them.
        """
        shown: dict[str, Any] = {"uid": self.uid, "name": self.name}
        optional = {"avatar": self.avatar, "link": self.link}
        shown.update({k: v for k, v in optional.items() if v is not None})
        shown["role"] = self.role
        shown["status"] = self.status
        more = {
            "statusMessage": self.status_message,
            "metadata": self.metadata,
            "tags": self.tags if with_tags else None,
        }
        shown.update({k: v for k, v in more.items() if v is not None})
        shown["createdAt"] = self.created_at
        if self.updated_at is not None:
            shown["updatedAt"] = self.updated_at
        if self.deactivated_at is not None:
            shown["deactivatedAt"] = self.deactivated_at
        return shown

    def token_view(self, token: TokenRecord, *, device: bool = True) -> dict[str, Any]:
        """A token as the auth-token routes show it; the device fields only once set."""
        shown: dict[str, Any] = {
            "uid": self.uid,
            "authToken": token.auth_token,
            "createdAt": token.created_at,
        }
        if not device:
            return shown
        used = {"platform": token.platform, "userAgent": token.user_agent}
        shown.update({key: value for key, value in used.items() if value is not None})
        if token.app_info is not None:
            shown["appInfo"] = token.app_info
        return shown


@dataclass(frozen=True)
class UserQuery:
    """The filters of ``GET /users``; empty ones match everyone."""

    search: str | None = None
    statuses: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    with_deactivated: bool = False
    only_deactivated: bool = False

    def matches(self, user: UserRecord) -> bool:
        deactivated = user.deactivated_at is not None
        if self.only_deactivated and not deactivated:
            return False
        if deactivated and not (self.with_deactivated or self.only_deactivated):
            return False
        if self.search:
            needle = self.search.lower()
            if not (user.uid.startswith(needle) or user.name.lower().startswith(needle)):
                return False
        if self.statuses and user.status not in self.statuses:
            return False
        if self.roles and user.role not in self.roles:
            return False
        # [GUESS] "users that have these tags": any one of them.
        return not self.tags or bool(self.tags.intersection(user.tags or ()))


#: Field names of the user body that map one to one onto a ``UserRecord`` attribute.
USER_FIELDS = {
    "name": "name",
    "avatar": "avatar",
    "link": "link",
    "role": "role",
    "statusMessage": "status_message",
    "metadata": "metadata",
    "tags": "tags",
}


class AppState:
    """One app's users, in creation order, each with its tokens (oldest first)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.users: dict[str, UserRecord] = {}
        # [SPEC list-roles example] every app starts with "default".
        default = RoleRecord(
            DEFAULT_ROLE, "Default Role", self.now(), "This role gives full access"
        )
        self.roles: dict[str, RoleRecord] = {DEFAULT_ROLE: default}

    def now(self) -> int:
        return int(self.clock())

    def user(self, uid: str, *, include_deactivated: bool = False) -> UserRecord:
        user = self.users.get(uid.lower())
        if user is None or (user.deactivated_at is not None and not include_deactivated):
            raise uid_not_found(uid)
        return user

    def create_user(self, body: dict[str, Any]) -> UserRecord:
        uid = body["uid"]
        if uid in self.users:
            raise uid_exists(uid)
        user = UserRecord(uid=uid, name=body["name"], created_at=self.now())
        self._apply(user, body)
        self.users[uid] = user
        return user

    def update_user(self, uid: str, body: dict[str, Any]) -> UserRecord:
        user = self.user(uid)
        self._apply(user, body)
        for name in body.get("unset", []):
            setattr(user, name, None)
        user.updated_at = self.now()
        return user

    def delete_user(self, uid: str, *, permanent: bool) -> None:
        user = self.user(uid, include_deactivated=permanent)
        if permanent:
            del self.users[user.uid]
        else:
            user.deactivated_at = self.now()

    def set_active(self, uids: list[str], *, active: bool) -> list[str]:
        """Deactivate or reactivate existing users; returns the uids that changed.

        [GUESS] Unknown uids, and users already in the asked state, are skipped silently: the
        reference shows only a list of uids in the answer.
        """
        changed = []
        for uid in uids:
            user = self.users.get(uid.lower())
            if user is None or (user.deactivated_at is None) == active:
                continue
            user.deactivated_at = None if active else self.now()
            changed.append(user.uid)
        return changed

    def list_users(self, query: UserQuery) -> list[UserRecord]:
        return [user for user in self.users.values() if query.matches(user)]

    def create_token(
        self, uid: str, body: dict[str, Any], *, force: bool
    ) -> tuple[UserRecord, TokenRecord]:
        """A new token; without ``force`` the user's newest valid token, when there is one.

        [GUESS] What real CometChat does without ``force`` is undocumented; one report
        (chat-sdk-javascript#66) got the old token back. The emulator takes that cautious reading,
        so a client that forgets ``force: true`` shares a token between sessions here too.
        """
        user = self.user(uid)
        if not force and user.tokens:
            return user, user.tokens[-1]
        now = self.now()
        token = TokenRecord(
            auth_token=f"{user.uid}_{now:010d}{secrets.token_hex(15)}",
            created_at=now,
            platform=body.get("platform"),
            device_id=body.get("deviceId"),
            app_info=body.get("appInfo"),
        )
        user.tokens.append(token)
        del user.tokens[:-TOKEN_WINDOW]
        return user, token

    def token(self, uid: str, auth_token: str) -> tuple[UserRecord, TokenRecord]:
        user = self.user(uid)
        for token in user.tokens:
            if secrets.compare_digest(token.auth_token, auth_token):
                return user, token
        raise token_not_found(user.uid)

    def update_token(
        self, uid: str, auth_token: str, body: dict[str, Any]
    ) -> tuple[UserRecord, TokenRecord]:
        """Record where a token is used (``platform``, ``userAgent``, ``appInfo``)."""
        user, token = self.token(uid, auth_token)
        token.platform = body.get("platform", token.platform)
        token.user_agent = body.get("userAgent", token.user_agent)
        token.app_info = body.get("appInfo", token.app_info)
        return user, token

    def delete_token(self, uid: str, auth_token: str) -> None:
        user, token = self.token(uid, auth_token)
        user.tokens.remove(token)

    def flush_tokens(self, uid: str) -> None:
        self.user(uid).tokens.clear()

    def find_token(self, auth_token: str) -> tuple[UserRecord, TokenRecord] | None:
        """The active user owning ``auth_token``, for the SDK's client API."""
        uid = auth_token.rpartition("_")[0]
        user = self.users.get(uid)
        if user is None or user.deactivated_at is not None:
            return None
        for token in user.tokens:
            if secrets.compare_digest(token.auth_token, auth_token):
                return user, token
        return None

    def _apply(self, user: UserRecord, body: dict[str, Any]) -> None:
        role = body.get("role")
        if role is not None and role not in self.roles:
            raise role_not_found(role)
        for key, attribute in USER_FIELDS.items():
            if key in body:
                setattr(user, attribute, body[key])

    def dump(self) -> list[dict[str, Any]]:
        return [asdict(user) for user in self.users.values()]

    def dump_roles(self) -> list[dict[str, Any]]:
        return [asdict(role) for role in self.roles.values()]

    def load_roles(self, roles: list[dict[str, Any]]) -> None:
        self.roles.update({data["role"]: RoleRecord(**data) for data in roles})

    def load(self, users: list[dict[str, Any]]) -> None:
        self.users = {}
        for data in users:
            tokens = [TokenRecord(**token) for token in data.pop("tokens", [])]
            self.users[data["uid"]] = UserRecord(**data, tokens=tokens)


class Store:
    """Every app's state behind one lock, saved to ``state_file`` when it changes."""

    def __init__(self, app_ids: list[str], clock: Callable[[], float], path: Path | None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.path = path
        self.apps = {app_id: AppState(clock) for app_id in app_ids}

    def reset(self, app_id: str) -> None:
        with self.lock:
            self.apps[app_id] = AppState(self.clock)

    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        saved = json.loads(self.path.read_text())
        with self.lock:
            for app_id, users in saved.get("apps", {}).items():
                if app_id in self.apps:
                    self.apps[app_id].load(users)
            for app_id, roles in saved.get("roles", {}).items():
                if app_id in self.apps:
                    self.apps[app_id].load_roles(roles)

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            data = {
                "apps": {app_id: state.dump() for app_id, state in self.apps.items()},
                "roles": {app_id: state.dump_roles() for app_id, state in self.apps.items()},
            }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash mid-save never leaves half a file behind. Owner-only
        # (0600), the temp file too: the state holds auth tokens.
        partial = self.path.with_suffix(self.path.suffix + ".tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a temp file left over from an older save keeps its mode otherwise
        with open(fd, "w") as file:
            file.write(json.dumps(data))
        partial.replace(self.path)
