"""The re-keying plan: new keys where they are unique, collisions kept apart and named."""

from __future__ import annotations

from cometchat_auth.accounts.email_rekeying import plan_rekeying


def test_rows_move_to_their_new_keys() -> None:
    plan = plan_rekeying(
        [("a", "alice@straße.de", "alice@strasse.de"), ("b", "b@x.org", "b@x.org")]
    )
    assert plan.changes == {"a": ("alice@strasse.de", "alice@straße.de")}
    assert plan.collisions == {}


def test_a_new_key_may_be_another_row_s_old_key_when_that_row_moves_too() -> None:
    rows = [("a", "a@x.org", "c@x.org"), ("c", "c@x.org", "zz")]
    assert plan_rekeying(rows).changes == {"a": ("c@x.org", "a@x.org"), "c": ("zz", "c@x.org")}


def test_rows_that_would_share_a_key_keep_their_old_keys() -> None:
    rows = [("1", "Dana@x.org", "k1@x.org"), ("2", "dana@X.ORG", "k2"), ("3", "K1@x.org", "o")]
    plan = plan_rekeying(rows)
    # "3" wanted k1@x.org, which row 1 keeps: it stays too, and is named with it.
    assert plan.changes == {}
    assert plan.collisions == {"dana@x.org": ["1", "2"], "k1@x.org": ["3"]}


def test_an_address_the_new_rule_refuses_stays_where_it_is() -> None:
    assert plan_rekeying([("a", "not an address", "old")]).changes == {}
