"""group threads: the conversations in the community groups, when the bot last spoke in
each (one public message an hour unless urgent) and the cases their matters opened

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import helpbot.store.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = helpbot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "group_threads",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("chat_id", BIG_ID, nullable=False),
        sa.Column("topic_id", sa.BigInteger(), nullable=True),
        sa.Column("root_message_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("last_message_at", WHEN, nullable=False),
        sa.Column("last_public_at", WHEN, nullable=True),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_group_threads_chat_last",
        "group_threads",
        ["chat_id", "topic_id", "last_message_at"],
    )
    op.create_table(
        "group_thread_messages",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("chat_id", BIG_ID, nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"]),
        sa.ForeignKeyConstraint(["thread_id"], ["group_threads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id"),
    )
    op.create_index("ix_group_thread_messages_thread_id", "group_thread_messages", ["thread_id"])


def downgrade() -> None:
    op.drop_index("ix_group_thread_messages_thread_id", table_name="group_thread_messages")
    op.drop_table("group_thread_messages")
    op.drop_index("ix_group_threads_chat_last", table_name="group_threads")
    op.drop_table("group_threads")
