"""procedures, ai agents, organization secrets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 03:10:49.834963
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import parley.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_agents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("greeting", sa.String(length=2000), nullable=False),
        sa.Column("tone", sa.String(length=500), nullable=False),
        sa.Column(
            "procedures", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "knowledge_collections",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("llm_model", sa.String(length=200), nullable=True),
        sa.Column(
            "channel_kinds",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ai_agents_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_agents")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_ai_agents_organization_id_name")
        ),
    )
    with op.batch_alter_table("ai_agents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_agents_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "organization_secrets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_secrets_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_secrets")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_organization_secrets_organization_id_name")
        ),
    )
    op.create_table(
        "procedures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "definition", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_procedures_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_procedures_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
        sa.UniqueConstraint(
            "organization_id",
            "name",
            "version",
            name=op.f("uq_procedures_organization_id_name_version"),
        ),
    )
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_procedures_org_active", ["organization_id", "is_active"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_index("ix_procedures_org_active")

    op.drop_table("procedures")
    op.drop_table("organization_secrets")
    with op.batch_alter_table("ai_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_agents_organization_id"))

    op.drop_table("ai_agents")
