"""accounts: password change flag, sign-in throttle; database facts; TRUNCATE refused on the audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "registry_meta",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # TRUNCATE fires no row triggers, so 0002's append-only trigger does not see it: refuse it with a
        # statement trigger, and take the privilege from the role that runs the registry (a superuser keeps it).
        op.execute(
            "CREATE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only (TRUNCATE refused)'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate()"
        )
        op.execute("REVOKE TRUNCATE ON audit_event, audit_head FROM PUBLIC, CURRENT_USER")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT TRUNCATE ON audit_event, audit_head TO CURRENT_USER")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_no_truncate()")
    op.drop_table("registry_meta")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("must_change_password")
