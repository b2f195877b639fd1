"""A provider's user id as a CometChat uid: kept when CometChat can hold it, else hashed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cometchat_auth.cometchat.uids import validate_uid
from cometchat_auth.identity import cometchat_uid
from cometchat_auth.identity.uids import HASHED


def test_plain_ids_are_kept_and_others_hashed() -> None:
    assert cometchat_uid("6f1c2a0e-uuid") == "6f1c2a0e-uuid"
    assert cometchat_uid("ann", "idp_") == "idp_ann"
    for subject in ("Ann", "auth0|64f0c2", "google-oauth2|1234", "\u212a", "ann ", "a" * 101):
        assert cometchat_uid(subject).startswith(HASHED)


def test_look_alikes_never_share_a_uid() -> None:
    # Lower-casing would merge these: a user must never land on another's CometChat account.
    for a, b in (("Ann", "ann"), ("\u212a", "k"), ("h_x", cometchat_uid("h_x"))):
        assert cometchat_uid(a) != cometchat_uid(b)


@given(st.text(min_size=1, max_size=200), st.from_regex(r"[a-z0-9_-]{0,40}", fullmatch=True))
def test_every_id_maps_to_a_valid_uid_the_same_way_each_time(subject: str, prefix: str) -> None:
    uid = cometchat_uid(subject, prefix)
    assert validate_uid(uid) == uid
    assert uid.startswith(prefix)
    assert cometchat_uid(subject, prefix) == uid


@given(st.text(min_size=1, max_size=120), st.text(min_size=1, max_size=120))
def test_different_ids_get_different_uids(a: str, b: str) -> None:
    if a != b:
        assert cometchat_uid(a, "p_") != cometchat_uid(b, "p_")
