"""An async client for CometChat's REST API (v3): users and auth tokens, typed, retried.

It stands alone: it imports nothing else of cometchat-auth.
"""

from .client import CometChatClient
from .errors import (
    AuthTokenNotFound,
    BadRequest,
    CometChatError,
    InvalidUid,
    NoAccess,
    RateLimited,
    RoleNotFound,
    Unauthorized,
    Unavailable,
    UserAlreadyExists,
    UserNotFound,
)
from .hooks import CallDone, Hooks
from .types import AuthToken, Pagination, Role, User
from .uids import validate_uid

__all__ = [
    "AuthToken",
    "AuthTokenNotFound",
    "BadRequest",
    "CallDone",
    "CometChatClient",
    "CometChatError",
    "Hooks",
    "InvalidUid",
    "NoAccess",
    "Pagination",
    "RateLimited",
    "Role",
    "RoleNotFound",
    "Unauthorized",
    "Unavailable",
    "User",
    "UserAlreadyExists",
    "UserNotFound",
    "validate_uid",
]
