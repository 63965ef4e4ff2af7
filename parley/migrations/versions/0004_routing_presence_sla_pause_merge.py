"""routing, presence, sla pause, merge

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 02:34:04.329523
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agent_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", parley.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_assigned_at", parley.db.base.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sla_paused_at", parley.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("resolution_remaining_s", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("abandoned_at", parley.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            "ix_interactions_waiting", ["queue_id", "state", "priority", "queued_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_interactions_merged_into_id_interactions"),
            "interactions",
            ["merged_into_id"],
            ["id"],
        )

    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("accept_tags", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("position", sa.Integer(), nullable=False, server_default="100")
        )
        batch_op.add_column(sa.Column("last_routed_user_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_queues_last_routed_user_id_users"),
            "users",
            ["last_routed_user_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_queues_last_routed_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("last_routed_user_id")
        batch_op.drop_column("position")
        batch_op.drop_column("accept_tags")

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_interactions_merged_into_id_interactions"), type_="foreignkey"
        )
        batch_op.drop_index("ix_interactions_waiting")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("abandoned_at")
        batch_op.drop_column("resolution_remaining_s")
        batch_op.drop_column("sla_paused_at")

    with op.batch_alter_table("agent_profiles", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("last_seen_at")
