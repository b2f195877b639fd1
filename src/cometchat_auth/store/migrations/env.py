"""Alembic environment: run on the connection the server hands over (see ``store.db.migrate``)."""

from alembic import context

from cometchat_auth.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
