"""a web chat the visitor ended: its cookie opens nothing again

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import helpbot.store.models

WHEN = helpbot.store.models.UTCDateTime(timezone=True)

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_visitors") as batch:
        batch.add_column(sa.Column("ended_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_visitors") as batch:
        batch.drop_column("ended_at")
