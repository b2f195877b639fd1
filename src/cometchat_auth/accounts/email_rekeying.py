"""Re-keying accounts when the email key's rule changes, without ever merging two accounts.

Rows whose new keys would collide keep their old keys and are reported: which account a mailbox
belongs to is an operator's decision, never a migration's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from cometchat_auth.accounts.emails import email_key


@dataclass(frozen=True, slots=True)
class Rekeying:
    #: user id -> (old key, new key), for the rows whose key changes.
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: new key -> the ids of the rows that would share it (they keep their old keys).
    collisions: dict[str, list[str]] = field(default_factory=dict)


def plan_rekeying(rows: Iterable[tuple[str, str, str]]) -> Rekeying:
    """What to change for ``(user id, email, old key)`` rows, all of a table at once."""
    rows = list(rows)
    wanted: dict[str, str] = {}
    for user_id, email, old in rows:
        try:
            wanted[user_id] = email_key(email)
        except ValueError:
            wanted[user_id] = old  # an address the new rule refuses stays where it is
    old_keys = {user_id: old for user_id, _, old in rows}
    kept: set[str] = set()
    collisions: dict[str, list[str]] = {}
    while True:  # each round keeps more rows on their old (unique) keys, so it ends
        final = {uid: old_keys[uid] if uid in kept else wanted[uid] for uid in old_keys}
        holders: dict[str, list[str]] = defaultdict(list)
        for user_id, key in final.items():
            holders[key].append(user_id)
        clashes = {key: ids for key, ids in holders.items() if len(ids) > 1}
        if not clashes:
            break
        for key, ids in clashes.items():
            collisions.setdefault(key, []).extend(i for i in ids if i not in kept)
            kept.update(ids)
    changes = {uid: (old_keys[uid], key) for uid, key in final.items() if key != old_keys[uid]}
    return Rekeying(changes, {key: sorted(ids) for key, ids in collisions.items() if ids})
