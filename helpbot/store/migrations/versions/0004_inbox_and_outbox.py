"""the one message path: inbox events and the outbox replace channel_updates; web
chat sessions minted by the server; the origin of a web case (for rate limits)

Updates stored but never processed move into the inbox as pending events, each in a
conversation of its own (their chat is not known here), so none is lost by upgrading.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import helpbot.store.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = helpbot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=128), nullable=False),
        sa.Column("conversation", sa.String(length=160), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("error_class", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "event_key"),
    )
    op.create_index(
        "ix_inbox_events_status_conversation",
        "inbox_events",
        ["status", "conversation", "id"],
    )
    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("lane", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("deliver_until", WHEN, nullable=False),
        sa.Column("lease_until", WHEN, nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_status_lane", "outbox", ["status", "lane", "id"])
    op.create_table(
        "web_visitors",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=32), nullable=True))
        batch.create_index("ix_cases_origin", ["origin"])
    op.execute(
        "INSERT INTO inbox_events (channel, event_key, conversation, payload, status, attempts,"
        " next_attempt_at, received_at) SELECT channel, update_key,"
        " 'upgraded:' || CAST(id AS VARCHAR(20)), payload, 'pending', 0, received_at, received_at"
        " FROM channel_updates WHERE processed_at IS NULL"
    )
    op.drop_table("channel_updates")


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_origin")
        batch.drop_column("origin")
    op.drop_table("web_visitors")
    op.create_table(
        "channel_updates",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("update_key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("processed_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "update_key"),
    )
    op.drop_index("ix_outbox_status_lane", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_inbox_events_status_conversation", table_name="inbox_events")
    op.drop_table("inbox_events")
