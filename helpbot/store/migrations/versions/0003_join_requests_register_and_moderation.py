"""join requests, the tenancy register, group members and the moderation log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:06:25.661359
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import helpbot.store.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_topics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "tenancies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("tenant_names", sa.JSON(), nullable=False),
        sa.Column("occupant_names", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("updated_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("tenancies", schema=None) as batch_op:
        batch_op.create_index("ix_tenancies_postcode", ["postcode"], unique=False)

    op.create_table(
        "discussions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("exchanges", sa.JSON(), nullable=False),
        sa.Column("started_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quiet_until", helpbot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closing_reply_to", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("discussions", schema=None) as batch_op:
        batch_op.create_index("ix_discussions_chat_last", ["chat_id", "last_at"], unique=False)

    op.create_table(
        "join_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("requested_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer_by", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=True),
        sa.Column(
            "rules_accepted_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("register_match", sa.String(length=8), nullable=True),
        sa.Column("register_note", sa.String(length=200), nullable=True),
        sa.Column("decided_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "decided_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("decided_by_name", sa.String(length=256), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["people.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("join_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_join_requests_person_status", ["person_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_join_requests_status_answer_by", ["status", "answer_by"], unique=False
        )

    op.create_table(
        "group_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("joined_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rules_version", sa.String(length=32), nullable=True),
        sa.Column(
            "rules_accepted_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "join_request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("updated_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
        ),
        sa.ForeignKeyConstraint(
            ["join_request_id"],
            ["join_requests.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "person_id"),
    )
    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", helpbot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_kind", sa.String(length=8), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_name", sa.String(length=256), nullable=False),
        sa.Column("until", helpbot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", helpbot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["people.id"],
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_action_lifted", ["action", "lifted_at"], unique=False)
        batch_op.create_index("ix_moderation_person_action", ["person_id", "action"], unique=False)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("staff_since", helpbot.store.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("staff_since")

    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_person_action")
        batch_op.drop_index("ix_moderation_action_lifted")

    op.drop_table("moderation_actions")
    op.drop_table("group_members")
    with op.batch_alter_table("join_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_join_requests_status_answer_by")
        batch_op.drop_index("ix_join_requests_person_status")

    op.drop_table("join_requests")
    with op.batch_alter_table("discussions", schema=None) as batch_op:
        batch_op.drop_index("ix_discussions_chat_last")

    op.drop_table("discussions")
    with op.batch_alter_table("tenancies", schema=None) as batch_op:
        batch_op.drop_index("ix_tenancies_postcode")

    op.drop_table("tenancies")
    op.drop_table("staff_topics")
