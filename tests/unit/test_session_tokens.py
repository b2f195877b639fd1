"""Access JWTs, refresh token hashes, and CometChat tokens sealed at rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from cometchat_auth.chat_tokens.vault import TokenVault
from cometchat_auth.errors import Unauthenticated
from cometchat_auth.sessions.tokens import AccessTokens, hash_token, new_refresh_token

SECRET = "a-secret-key-long-enough-for-hs256-use"


def test_access_token_round_trip_and_expiry() -> None:
    tokens = AccessTokens(SECRET, ttl=900)
    now = datetime.now(UTC)
    claims = tokens.read(tokens.issue("user1", "session1", now))
    assert (claims.user_id, claims.session_id) == ("user1", "session1")
    expired = tokens.issue("user1", "session1", now - timedelta(seconds=900 + 31))
    with pytest.raises(Unauthenticated):
        tokens.read(expired)
    with pytest.raises(Unauthenticated):
        AccessTokens("another-secret-key-long-enough-for-hs256", ttl=900).read(
            tokens.issue("user1", "session1", now)
        )


def test_access_tokens_allow_a_little_clock_skew() -> None:
    # Issued by a server whose clock runs ahead: valid here too, within 30 seconds either way.
    tokens = AccessTokens(SECRET, ttl=900)
    now = datetime.now(UTC)
    ahead = tokens.issue("user1", "session1", now + timedelta(seconds=20))
    assert tokens.read(ahead).user_id == "user1"
    just_expired = tokens.issue("user1", "session1", now - timedelta(seconds=900 + 20))
    assert tokens.read(just_expired).session_id == "session1"


def test_access_token_leeway_is_a_setting() -> None:
    # ACCESS_TOKEN_LEEWAY=0: a token is refused as soon as it expires.
    strict = AccessTokens(SECRET, ttl=900, leeway=timedelta(0))
    just_expired = strict.issue("user1", "session1", datetime.now(UTC) - timedelta(seconds=901))
    with pytest.raises(Unauthenticated):
        strict.read(just_expired)


def test_refresh_tokens_are_random_and_only_their_hash_is_kept() -> None:
    first, first_hash = new_refresh_token()
    second, _ = new_refresh_token()
    assert first != second
    assert len(first) >= 43  # 256 bits, URL-safe base64
    assert first_hash == hash_token(first) != first
    assert len(first_hash) == 64


def test_vault_rotates_keys() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_with_old = TokenVault([old]).seal("cometchat-token")
    assert "cometchat-token" not in sealed_with_old
    rotated = TokenVault([new, old])
    assert rotated.open(sealed_with_old) == "cometchat-token"
    assert rotated.open(rotated.seal("x")) == "x"
    assert TokenVault([new]).open(sealed_with_old) is None
    with pytest.raises(ValueError, match="empty"):
        TokenVault([])
