"""the staff room and the register: a tenancy left out of an import has ended
(tenancies.ended_at) and the register's latest change is indexed; a reply to one of
the bot's messages is found by the platform's id; a username by its current holder

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import helpbot.store.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = helpbot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tenancies") as batch_op:
        batch_op.add_column(sa.Column("ended_at", WHEN, nullable=True))
    op.create_index("ix_tenancies_updated_at", "tenancies", ["updated_at"])
    op.create_index("ix_messages_chat_channel_id", "messages", ["chat_id", "channel_message_id"])
    op.create_index("ix_people_channel_username", "people", ["channel", sa.text("lower(username)")])


def downgrade() -> None:
    # An expression index: on SQLite a later migration's batch downgrade of "people"
    # rebuilds the table without it (it cannot be reflected), so it may be gone already.
    op.execute("DROP INDEX IF EXISTS ix_people_channel_username")
    op.drop_index("ix_messages_chat_channel_id", table_name="messages")
    op.drop_index("ix_tenancies_updated_at", table_name="tenancies")
    with op.batch_alter_table("tenancies") as batch_op:
        batch_op.drop_column("ended_at")
