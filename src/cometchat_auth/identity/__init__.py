"""Bring your own identity: verify an identity provider's tokens and end chat sessions on its
back-channel logout. No HTTP framework here: plain values in, plain exceptions out."""

from cometchat_auth.identity.config import IdentityConfig
from cometchat_auth.identity.errors import ProviderUnavailable, Reason, TokenRejected
from cometchat_auth.identity.keys import ProviderKeys
from cometchat_auth.identity.uids import cometchat_uid
from cometchat_auth.identity.verify import TokenVerifier, token_verifier

__all__ = [
    "IdentityConfig",
    "ProviderKeys",
    "ProviderUnavailable",
    "Reason",
    "TokenRejected",
    "TokenVerifier",
    "cometchat_uid",
    "token_verifier",
]
