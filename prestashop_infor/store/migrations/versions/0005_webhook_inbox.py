"""webhook_inbox: the events the webhook receiver accepted, unique on the event id

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(100), nullable=False, unique=True),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resource_type", sa.String(50), nullable=True),
        sa.Column("resource_id", sa.Integer, nullable=True),
        sa.Column("shop_url", sa.String(255), nullable=True),
        sa.Column("attempt", sa.Integer, nullable=True),
        sa.Column("occurred_at", sa.String(40), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )


def downgrade() -> None:
    op.drop_table("webhook_inbox", schema=store_schema())
