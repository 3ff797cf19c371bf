"""penalties: cases, their officers, evidence and steps; the leader role; decision numbers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

* role `leader` (单位主管领导): approves penalty cases (第十八条);
* number kind `penalty`: 公安行政处罚决定书 numbers, per deciding unit and year;
* `penalty_case`, `penalty_officer`, `penalty_evidence`, `penalty_step` (registry/penalties).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATES = ("preparing", "proposed", "approved", "issued")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Allowed inside the migration's transaction (PostgreSQL 12+) as long as nothing here uses the values.
        op.execute("ALTER TYPE role ADD VALUE IF NOT EXISTS 'leader'")
        op.execute("ALTER TYPE numberkind ADD VALUE IF NOT EXISTS 'penalty'")
    op.create_table(
        "penalty_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("state", sa.Enum(*STATES, name="penaltystate"), nullable=False),
        sa.Column("violation", sa.Enum("not_filed", "other", name="penaltyviolation"), nullable=False),
        sa.Column("legal_basis", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Enum("warning", "fine", name="penaltydecision"), nullable=True),
        sa.Column("fine_yuan", sa.Integer(), nullable=True),
        sa.Column("proposal_reason", sa.Text(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("statement_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approval_opinion", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("decision_number", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["opened_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["approved_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["issued_document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("decision_number"),
    )
    op.create_index("ix_penalty_case_operator_id_id", "penalty_case", ["operator_id", "id"])
    op.create_index("ix_penalty_case_unit_code_id", "penalty_case", ["unit_code", "id"])
    op.create_index("ix_penalty_case_state_id", "penalty_case", ["state", "id"])
    op.create_table(
        "penalty_officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["penalty_case.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "user_id", name="uq_penalty_officer"),
    )
    op.create_index("ix_penalty_officer_case_id", "penalty_officer", ["case_id"])
    op.create_table(
        "penalty_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mime", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["penalty_case.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_penalty_evidence_case_id", "penalty_evidence", ["case_id"])
    op.create_table(
        "penalty_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["penalty_case.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_penalty_step_case_id", "penalty_step", ["case_id"])


def downgrade() -> None:
    for table in ("penalty_step", "penalty_evidence", "penalty_officer", "penalty_case"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for enum in ("penaltystate", "penaltyviolation", "penaltydecision"):
            op.execute(f"DROP TYPE IF EXISTS {enum}")
    # PostgreSQL cannot drop an enum value: leaders and penalty counters must be gone before a downgrade.
