"""matters and the web chat's identity check: a case the tenant set aside with "new
issue", when a person's tenancy link was verified, and each try at the check

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import helpbot.store.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = helpbot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("set_aside_at", WHEN, nullable=True))
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("tenancy_verified_at", WHEN, nullable=True))
    op.create_table(
        "identity_checks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=True),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_identity_checks_person", "identity_checks", ["person_id", "at"])
    op.create_index("ix_identity_checks_origin", "identity_checks", ["origin", "at"])


def downgrade() -> None:
    op.drop_index("ix_identity_checks_origin", table_name="identity_checks")
    op.drop_index("ix_identity_checks_person", table_name="identity_checks")
    op.drop_table("identity_checks")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("tenancy_verified_at")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("set_aside_at")
