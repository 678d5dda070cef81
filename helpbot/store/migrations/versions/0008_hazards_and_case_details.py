"""Awaab's Law: a repair's detail dialogue (case_details), its hazard (hazards) and the
steps of the hazard clock (hazard_steps)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import helpbot.store.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = helpbot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_details",
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("pending", sa.String(length=16), nullable=True),
        sa.Column("asked_at", WHEN, nullable=True),
        sa.Column("asked", sa.JSON(), nullable=False),
        sa.Column("told", sa.String(length=16), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "hazards",
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("aware_at", WHEN, nullable=False),
        sa.Column("proposed", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("clock", sa.String(length=12), nullable=True),
        sa.Column("confirmed", sa.String(length=12), nullable=True),
        sa.Column("confirmed_by", sa.String(length=256), nullable=False),
        sa.Column("confirmed_at", WHEN, nullable=True),
        sa.Column("confirmed_reason", sa.Text(), nullable=False),
        sa.Column("at_risk", sa.JSON(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("works_later", sa.Text(), nullable=False),
        sa.Column("alternative", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "hazard_steps",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("due_at", WHEN, nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_at", WHEN, nullable=True),
        sa.Column("done_by", sa.String(length=256), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("warned_at", WHEN, nullable=True),
        sa.Column("missed_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["hazards.case_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "step"),
    )
    op.create_index("ix_hazard_steps_open", "hazard_steps", ["done_at", "missed_at"])


def downgrade() -> None:
    op.drop_index("ix_hazard_steps_open", table_name="hazard_steps")
    op.drop_table("hazard_steps")
    op.drop_table("hazards")
    op.drop_table("case_details")
