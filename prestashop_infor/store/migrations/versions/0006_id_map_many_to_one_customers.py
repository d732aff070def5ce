"""id_map: several shop keys may name one M3 customer (an e-mail change, guest and registered accounts)

Revision ID: 0006
Revises: 0005

The unique (entity, target_key) constraint becomes a unique index that leaves out the entities whose
target several source keys may share: ``customer`` (normalized e-mail -> CUNO: the old and the new
e-mail of a customer who changed it) and ``shop_customer`` (PrestaShop customer id -> CUNO: a guest
and a registered account with one e-mail). Sales orders and items stay one to one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = "uq_id_map_entity_target"
ONE_TO_ONE = sa.text("entity NOT IN ('customer', 'shop_customer')")  # as MANY_TO_ONE in store/tables.py


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a constraint, so the table is copied without it.
    with op.batch_alter_table("id_map", schema=store_schema()) as batch:
        batch.drop_constraint(NAME, type_="unique")
    op.create_index(
        NAME,
        "id_map",
        ["entity", "target_key"],
        unique=True,
        schema=store_schema(),
        sqlite_where=ONE_TO_ONE,
        postgresql_where=ONE_TO_ONE,
    )


def downgrade() -> None:
    # Fails while two shop keys share one M3 customer: those bindings need a human before going back.
    op.drop_index(NAME, table_name="id_map", schema=store_schema())
    with op.batch_alter_table("id_map", schema=store_schema()) as batch:
        batch.create_unique_constraint(NAME, ["entity", "target_key"])
