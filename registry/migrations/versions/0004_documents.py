"""issued documents: frozen PDFs (receipt, correction notice, review form …) with their verification tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

One row per issued document. The bytes live in <data_dir>/documents/ under their SHA-256; the row keeps
the hash, who issued it and when, the unguessable token of its /verify URL and its typeable short code,
and, once a change filing replaces it, which document superseded it and when. Rows are never rewritten
otherwise. Documents of filings filed before this migration are issued at their first download.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("issuing_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("short_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.ForeignKeyConstraint(["issuing_unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["issued_document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject_type", "subject_id", name="uq_issued_document_subject"),
    )
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.create_index("ix_issued_document_token", ["token"], unique=True)
        batch_op.create_index("ix_issued_document_short_code", ["short_code"], unique=True)
        batch_op.create_index("ix_issued_document_number", ["number"], unique=False)
        batch_op.create_index("ix_issued_document_filing_id_id", ["filing_id", "id"], unique=False)
        batch_op.create_index("ix_issued_document_operator_id_id", ["operator_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("issued_document")
