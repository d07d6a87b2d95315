"""Alembic environment: runs on the connection handed over by curation.store.db.migrate."""

from alembic import context
from sqlalchemy import create_engine

from curation import config as app_config
from curation.store.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # `alembic` CLI use: connect to the configured database
        engine = create_engine(app_config.database_url())
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
