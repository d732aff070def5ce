"""Alembic's environment for the store: run by ``migrations.migrate`` (and any ``alembic.command``
given ``migrations.alembic_config``) on the connection it passes, which already holds the lock
and the transaction. There is no ``alembic.ini``: everything comes from ``config.attributes``."""

from __future__ import annotations

from alembic import context

from prestashop_infor.store.migrations import VERSION_TABLE


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the store's migrations run on a connection given by prestashop_infor.store.migrations "
            "(prestashop-infor db upgrade), not from an alembic.ini"
        )
    context.configure(
        connection=connection,
        version_table=VERSION_TABLE,
        version_table_schema=config.attributes.get("schema"),
        render_as_batch=True,  # ALTERs as batch operations, so SQLite can follow
        on_version_apply=config.attributes.get("on_version_apply", ()),
    )
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # run by Alembic, not merely imported (a test imports every module)
    run_migrations()
