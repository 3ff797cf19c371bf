"""operator drafts: a filing saved before it is submitted, where the system is, who files for the unit

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

* filing state `draft`: the operator's own filing, not yet in the filing unit's queue;
* material kind `authorization`: the signed 委托办理备案登记授权书 when an agent files for the unit;
* filing: `site_lon`/`site_lat` (where the system is, WGS-84; cameras listed without a position take
  it), `agent_name`/`agent_id_number` (the agent and their 18-character resident ID).

Existing rows keep their values; the new columns are null for them.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Allowed inside the migration's transaction (PostgreSQL 12+) as long as nothing here uses the values.
        op.execute("ALTER TYPE filingstate ADD VALUE IF NOT EXISTS 'draft' BEFORE 'submitted'")
        op.execute("ALTER TYPE materialkind ADD VALUE IF NOT EXISTS 'authorization' BEFORE 'other'")
    with op.batch_alter_table("filing") as batch_op:
        batch_op.add_column(sa.Column("site_lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("site_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("agent_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.add_column(sa.Column("agent_id_number", sqlmodel.sql.sqltypes.AutoString(length=18),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("filing") as batch_op:
        for name in ("agent_id_number", "agent_name", "site_lat", "site_lon"):
            batch_op.drop_column(name)
    # PostgreSQL cannot drop an enum value; drafts and authorisation letters must be gone before a downgrade.
