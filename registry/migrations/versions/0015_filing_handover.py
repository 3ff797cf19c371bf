"""移交: an operator's open filings change hands when the operator moves (issue 13 point 6)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

* table `filing_handover`: every time an open filing's filing unit or verifying unit changed because its
  operator was moved (an officer's correction of its location, affiliation or kind, or the reroute command
  after the jurisdiction layers changed): from which units to which, the filing's state then, when, by whom.

Existing rows: none; a filing orphaned by an earlier move keeps its stored filing unit (the reroute command
or a move back hands it over from now on).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FILING_STATES = ("draft", "submitted", "accepted", "correction_requested", "corrected", "filed", "rejected",
                 "superseded")


def upgrade() -> None:
    # The filing's state column reuses the existing enum type (PostgreSQL: created by migration 0001).
    state = sa.Enum(*FILING_STATES, name="filingstate").with_variant(
        postgresql.ENUM(*FILING_STATES, name="filingstate", create_type=False), "postgresql")
    op.create_table(
        "filing_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("state", state, nullable=False),
        sa.Column("from_filing_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("to_filing_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("from_verifying_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("to_verifying_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("cause", sa.Enum("operator_moved", "reroute", name="handovercause"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.ForeignKeyConstraint(["from_filing_unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["to_filing_unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["from_verifying_unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["to_verifying_unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_filing_handover_filing_id_id", "filing_handover", ["filing_id", "id"])
    op.create_index("ix_filing_handover_to_filing_unit_code_id", "filing_handover", ["to_filing_unit_code", "id"])


def downgrade() -> None:
    op.drop_index("ix_filing_handover_to_filing_unit_code_id", table_name="filing_handover")
    op.drop_index("ix_filing_handover_filing_id_id", table_name="filing_handover")
    op.drop_table("filing_handover")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS handovercause")
