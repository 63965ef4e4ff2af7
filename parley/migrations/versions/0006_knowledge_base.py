"""knowledge base: collections, FAQs, resources, chunks, and their full-text index

The full-text index is written by hand (autogenerate cannot see it): an FTS5 table on SQLite, a
tsvector column with a GIN index on PostgreSQL. Both are maintained by
parley.automation.kb.index, and left out of schema comparisons (Base.metadata.info["unmanaged"]).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 03:19:19.896982
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import parley.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# scope: tokens "o<org hex>", "c<collection hex>", "s<source hex>" (filtering and deletion);
# titles and body are weighted apart by bm25(); chunk_id links back to kb_chunks.id (hex).
FTS5_TABLE = (
    "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5("
    "scope, titles, body, chunk_id UNINDEXED, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    op.create_table(
        "knowledge_collections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_collections_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_collections")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_knowledge_collections_organization_id_name")
        ),
    )
    with op.batch_alter_table("knowledge_collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_collections_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "faqs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("question", sa.String(length=1000), nullable=False),
        sa.Column(
            "alternatives", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["knowledge_collections.id"],
            name=op.f("fk_faqs_collection_id_knowledge_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_faqs_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faqs")),
    )
    with op.batch_alter_table("faqs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_faqs_org_collection", ["organization_id", "collection_id"], unique=False
        )

    op.create_table(
        "kb_chunks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("heading", sa.String(length=500), nullable=False),
        sa.Column(
            "titles", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=True),
        sa.Column("encoder", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["knowledge_collections.id"],
            name=op.f("fk_kb_chunks_collection_id_knowledge_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_kb_chunks_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_chunks")),
    )
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kb_chunks_org_collection", ["organization_id", "collection_id"], unique=False
        )
        batch_op.create_index("ix_kb_chunks_source", ["source_id", "ordinal"], unique=False)

    op.create_table(
        "kb_resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("updated_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", parley.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["knowledge_collections.id"],
            name=op.f("fk_kb_resources_collection_id_knowledge_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_kb_resources_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_resources")),
    )
    with op.batch_alter_table("kb_resources", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kb_resources_org_collection", ["organization_id", "collection_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE kb_chunks ADD COLUMN search_vector tsvector")
        op.execute("CREATE INDEX ix_kb_chunks_search_vector ON kb_chunks USING gin (search_vector)")
    else:
        op.execute(FTS5_TABLE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS kb_chunks_fts")
    with op.batch_alter_table("kb_resources", schema=None) as batch_op:
        batch_op.drop_index("ix_kb_resources_org_collection")

    op.drop_table("kb_resources")
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_kb_chunks_source")
        batch_op.drop_index("ix_kb_chunks_org_collection")

    op.drop_table("kb_chunks")
    with op.batch_alter_table("faqs", schema=None) as batch_op:
        batch_op.drop_index("ix_faqs_org_collection")

    op.drop_table("faqs")
    with op.batch_alter_table("knowledge_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_collections_organization_id"))

    op.drop_table("knowledge_collections")
