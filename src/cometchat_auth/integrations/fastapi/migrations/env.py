"""Alembic environment of the plug-in's tables: their own version table, the host's connection."""

from alembic import context

from cometchat_auth.integrations.fastapi.tables import VERSION_TABLE, PluginBase

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=PluginBase.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
