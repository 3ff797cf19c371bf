"""the verifying unit's 核对, the suspended police clock, two dates for two lateness rules (issue 13)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

* table `verification`: every 核对 (on-site check of the materials against reality) by the verifying unit,
  with its result (matches / differs), notes and an optional scan of the site;
* filing: the latest 核对 (`verified_at`, `verified_by_id`, `verification_result`), the 竣工验收合格 date
  (`acceptance_date`, 第七条) beside the going-into-use date (799号令) and each rule's lateness
  (`late_days_acceptance`, `late_days_in_use`).

Existing rows: filings decided before this migration were filed without a recorded 核对 and keep no
verification; the single date they carried meant both, so `acceptance_date` is copied from
`system_in_use_date`, and each rule's lateness starts as the stored `late_days`. The suspended police clock needs no
column: it is derived from the correction notice's dates (registry/filings/clock.py).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("result", sa.Enum("matches", "differs", name="verificationresult"), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["police_unit.code"]),
        sa.ForeignKeyConstraint(["scan_id"], ["scan.id"]),
        sa.ForeignKeyConstraint(["verified_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_verification_filing_id", "verification", ["filing_id"])
    with op.batch_alter_table("filing") as batch_op:
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verified_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("verification_result", sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=True))
        batch_op.add_column(sa.Column("acceptance_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("late_days_acceptance", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("late_days_in_use", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_foreign_key("fk_filing_verified_by_id", "app_user", ["verified_by_id"], ["id"])
    op.execute("UPDATE filing SET acceptance_date = system_in_use_date, late_days_acceptance = late_days, "
               "late_days_in_use = late_days")


def downgrade() -> None:
    with op.batch_alter_table("filing") as batch_op:
        batch_op.drop_constraint("fk_filing_verified_by_id", type_="foreignkey")
        for name in ("late_days_in_use", "late_days_acceptance", "acceptance_date", "verification_result",
                     "verified_by_id", "verified_at"):
            batch_op.drop_column(name)
    op.drop_index("ix_verification_filing_id", table_name="verification")
    op.drop_table("verification")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS verificationresult")
