"""automation sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 03:22:14.594929
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import parley.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "automation_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("ai_agent_id", sa.Uuid(), nullable=True),
        sa.Column("procedure_name", sa.String(length=120), nullable=True),
        sa.Column("procedure_version", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("updated_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ai_agent_id"],
            ["ai_agents.id"],
            name=op.f("fk_automation_sessions_ai_agent_id_ai_agents"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_automation_sessions_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_automation_sessions_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_sessions")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_automation_sessions_interaction_id")),
    )


def downgrade() -> None:
    op.drop_table("automation_sessions")
