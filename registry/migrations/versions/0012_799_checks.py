"""799号令 checks: prohibited-place terms (第八条, the default list loaded as rows), the operator's staff and
their training records (第十九条)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DEFAULT_TERMS = ("客房", "宿舍", "卫生间", "厕所", "洗手间", "浴室", "更衣室", "哺乳室", "母婴室", "试衣间", "淋浴",
                 "病房", "诊室")


def upgrade() -> None:
    terms = op.create_table(
        "prohibited_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["changed_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("term"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(terms, [{"term": t, "active": True, "note": "799号令 第八条（默认）", "changed_by_id": None,
                            "changed_at": now} for t in DEFAULT_TERMS])
    op.create_table(
        "staff_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("duty", sa.Enum("watch", "leader", "maintainer", "inspector", "other", name="staffduty"),
                  nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_member_operator_id_id", "staff_member", ["operator_id", "id"])
    op.create_table(
        "training_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("trainer", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_member.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_training_record_staff_id_trained_on", "training_record", ["staff_id", "trained_on"])
    op.create_index("ix_training_record_operator_id_id", "training_record", ["operator_id", "id"])


def downgrade() -> None:
    op.drop_table("training_record")
    op.drop_table("staff_member")
    op.drop_table("prohibited_term")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS staffduty")
