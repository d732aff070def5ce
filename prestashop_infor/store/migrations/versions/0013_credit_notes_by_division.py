"""M3's credit notes keyed by division too: M3 numbers invoices per division, and a shop of a
multistore may have an M3 division of its own. The notes stored so far are the mapping's own
division's ("").

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "m3_credit_notes"
COPY = "m3_credit_notes_copy"
INDEX = "ix_m3_credit_notes_orno"
COLUMNS = ("year", "ivno", "orno", "amount", "currency", "corrects", "invoice_date", "loaded_at")


def _create(name: str, *, with_division: bool) -> None:
    division = [sa.Column("division", sa.String(3), primary_key=True)] if with_division else []
    op.create_table(
        name,
        *division,
        sa.Column("year", sa.String(4), primary_key=True),
        sa.Column("ivno", sa.String(15), primary_key=True),
        sa.Column("orno", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric(20, 6), nullable=False),  # gross, in the ERP currency: below 0
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("corrects", sa.String(14), nullable=False),  # RXIN: the invoice it credits
        sa.Column("invoice_date", sa.Date, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )


def _copy(*, division: str | None) -> None:
    """The notes of ``TABLE`` into ``COPY``, with ``division`` ("" for all) or without the column (the
    mapping's own division's only)."""
    schema = store_schema()
    source_columns = [*COLUMNS, *(["division"] if division is None else [])]
    source = sa.table(TABLE, *(sa.column(c) for c in source_columns), schema=schema)
    target_columns = [*COLUMNS, *(["division"] if division is not None else [])]
    target = sa.table(COPY, *(sa.column(c) for c in target_columns), schema=schema)
    selected = [source.c[c] for c in COLUMNS]
    query = sa.select(*selected, sa.literal(division)) if division is not None else sa.select(*selected)
    if division is None:
        query = query.where(source.c.division == "")
    op.execute(target.insert().from_select(target_columns, query))


def _replace() -> None:
    """``COPY`` becomes ``TABLE``; on PostgreSQL its primary key takes the table's name too, so a
    later ``COPY`` can be made again."""
    schema = store_schema()
    op.drop_index(INDEX, TABLE, schema=schema)
    op.drop_table(TABLE, schema=schema)
    op.rename_table(COPY, TABLE, schema=schema)
    op.create_index(INDEX, TABLE, ["orno"], schema=schema)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        quote = bind.dialect.identifier_preparer.quote
        table = f"{quote(schema)}.{quote(TABLE)}" if schema else quote(TABLE)
        op.execute(
            f"ALTER TABLE {table} RENAME CONSTRAINT {quote(COPY + '_pkey')} TO {quote(TABLE + '_pkey')}"
        )


def upgrade() -> None:
    _create(COPY, with_division=True)
    _copy(division="")
    _replace()


def downgrade() -> None:
    # a shop's own division's notes cannot be kept without the column: they are read again from M3
    # only if their cursor is reset, so a downgrade with shops in divisions of their own loses them
    _create(COPY, with_division=False)
    _copy(division=None)
    _replace()
