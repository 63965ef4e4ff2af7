"""coaching

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 03:58:45.758442
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import parley.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scorecards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column(
            "criteria", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scorecards_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecards")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_scorecards_organization_id_name")
        ),
    )
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scorecards_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("scorecard_id", sa.Uuid(), nullable=False),
        sa.Column("scorecard_name", sa.String(length=120), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column(
            "criteria", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "scores", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", parley.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_reviews_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_reviews_interaction_id_interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_reviews_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_reviews_reviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"], ["scorecards.id"], name=op.f("fk_reviews_scorecard_id_scorecards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reviews_org_agent", ["organization_id", "agent_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_reviews_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_reviews_org_interaction", ["organization_id", "interaction_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reviews_scorecard_id"), ["scorecard_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_scorecard_id"))
        batch_op.drop_index("ix_reviews_org_interaction")
        batch_op.drop_index("ix_reviews_org_created")
        batch_op.drop_index("ix_reviews_org_agent")

    op.drop_table("reviews")
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecards_organization_id"))

    op.drop_table("scorecards")
