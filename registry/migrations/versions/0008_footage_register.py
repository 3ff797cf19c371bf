"""footage-access register: each read, copy or taking of an operator's footage, with its approval

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

One append-only row per access (第二十、二十一条; 799号令 第十六条): reason, cameras and time range, the
unit and names of who took it, the approving county-level head and unit, the approval's number and date,
the day of the access, and who registered it (registry/footage).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "footage_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("view", "copy", "take", name="footagekind"), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("cameras", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("footage_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("footage_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taker_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("taker_unit_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("taker_names", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("approver_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("approver_title", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("approver_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("approval_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("accessed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.ForeignKeyConstraint(["taker_unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["approver_unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_footage_access_operator_id_id", "footage_access", ["operator_id", "id"])
    op.create_index("ix_footage_access_accessed_on_id", "footage_access", ["accessed_on", "id"])
    op.create_index("ix_footage_access_taker_unit_code_id", "footage_access", ["taker_unit_code", "id"])


def downgrade() -> None:
    op.drop_table("footage_access")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS footagekind")
