"""Email keys by IDNA 2008 / UTS #46 for the domain and lower case for the local part.

The old keys (NFKC + casefold of the whole address) merged different people's addresses
(``alice@straße.de`` and ``alice@strasse.de``). Each account is re-keyed from its stored address;
rows whose new keys would collide keep their old keys and are logged, never merged. Lock-outs
follow their account to its new key.

Revision ID: email_keys
Revises: identity
"""

import logging

import sqlalchemy as sa
from alembic import op

from cometchat_auth.accounts.email_rekeying import plan_rekeying

revision = "email_keys"
down_revision = "identity"
branch_labels = None
depends_on = None

log = logging.getLogger("cometchat_auth.store.migrations")

users = sa.table("users", sa.column("id"), sa.column("email"), sa.column("email_key"))
lockouts = sa.table(
    "login_lockouts",
    sa.column("email_key"),
    sa.column("failures"),
    sa.column("first_failure_at"),
    sa.column("locked_until"),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email, users.c.email_key)).all()
    plan = plan_rekeying((row.id, row.email, row.email_key) for row in rows)
    for key, ids in plan.collisions.items():
        log.warning(
            "email key %s would be shared by accounts %s: they keep their old keys, "
            "not merged; decide which account the mailbox belongs to",
            key,
            ", ".join(ids),
        )
    if not plan.changes:
        return
    olds = [old for old, _ in plan.changes.values()]
    moved = connection.execute(sa.select(lockouts).where(lockouts.c.email_key.in_(olds))).all()
    connection.execute(sa.delete(lockouts).where(lockouts.c.email_key.in_(olds)))
    # Through a placeholder first: one row's new key may be another's old key.
    for user_id in plan.changes:
        connection.execute(
            sa.update(users).where(users.c.id == user_id).values(email_key=f"rekeying:{user_id}")
        )
    for user_id, (_, new) in plan.changes.items():
        connection.execute(sa.update(users).where(users.c.id == user_id).values(email_key=new))
    new_of = dict(plan.changes.values())
    if moved:
        connection.execute(sa.delete(lockouts).where(lockouts.c.email_key.in_(new_of.values())))
        connection.execute(
            sa.insert(lockouts),
            [{**row._asdict(), "email_key": new_of[row.email_key]} for row in moved],
        )
    log.info("re-keyed %d accounts' email keys", len(plan.changes))


def downgrade() -> None:
    # The old keys merged people's addresses; nothing worth going back to.
    pass
