"""indexes for a million cameras: keyset-ordered lookups and lists, provisional deadlines, audit by object

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Every list the API serves is `WHERE <filter> AND id > :after ORDER BY id LIMIT :n`. A single-column
index on the filter finds the rows but then sorts all of them to return one page; an index on
(filter, id) returns the page in order and starts a deep page at the cursor. Cheap cameras share
IPs (192.168.1.64 is a factory default), serials and MACs, so even the "lookups" can be long lists.
The composite indexes replace the single-column ones they extend (same leading column).

On PostgreSQL the database's random_page_cost is set to 1.1 (the usual value for SSDs and for data
that fits in RAM). With the default 4.0 the planner prices the scattered heap reads of a (key, id)
index so high that it pages the primary key and filters instead: 4.7 ms instead of 0.1 ms for a
shared IP among a million cameras, and a walk through the whole table for a key whose rows are all
recent. Without the privilege to alter the database the migration goes on and says so.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, old single-column index, column): each becomes (column, id).
REPLACED = (
    ("camera", "ix_camera_serial", "serial"),
    ("camera", "ix_camera_mac", "mac"),
    ("camera", "ix_camera_ip", "ip"),
    ("camera", "ix_camera_operator_id", "operator_id"),
    ("filing", "ix_filing_state", "state"),
    ("filing", "ix_filing_filing_unit_code", "filing_unit_code"),
    ("filing", "ix_filing_operator_id", "operator_id"),
    ("operator", "ix_operator_district_code", "district_code"),
    ("operator", "ix_operator_station_id", "station_id"),
    ("operator", "ix_operator_filing_unit_code", "filing_unit_code"),
    ("operator", "ix_operator_verifying_unit_code", "verifying_unit_code"),
)

# Partial indexes: loading a calendar recomputes only the provisional deadlines, a tiny share of rows.
PARTIAL = (
    ("filing", "ix_filing_provisional", "deadline_provisional"),
    ("correction_notice", "ix_correction_notice_provisional", "due_provisional"),
)


def upgrade() -> None:
    for table, old, column in REPLACED:
        op.drop_index(old, table_name=table)
        op.create_index(f"ix_{table}_{column}_id", table, [column, "id"])
    # Overdue lists and counts: open states with a deadline before a day.
    op.create_index("ix_filing_state_deadline", "filing", ["state", "deadline"])
    for table, name, flag in PARTIAL:
        op.create_index(name, table, ["id"], postgresql_where=sa.text(flag), sqlite_where=sa.text(f"{flag} = 1"))
    # The audit trail of one object, in chain order.
    op.create_index("ix_audit_event_object", "audit_event", ["object_type", "object_id", "seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1', current_database()); "
            "EXCEPTION WHEN insufficient_privilege THEN RAISE WARNING 'camreg: could not set random_page_cost "
            "on this database; set it to 1.1 (see README, several workers on PostgreSQL)'; END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET random_page_cost', current_database()); "
            "EXCEPTION WHEN insufficient_privilege THEN NULL; END $$"
        )
    op.drop_index("ix_audit_event_object", table_name="audit_event")
    for table, name, _flag in PARTIAL:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_filing_state_deadline", table_name="filing")
    for table, old, column in REPLACED:
        op.drop_index(f"ix_{table}_{column}_id", table_name=table)
        op.create_index(old, table, [column])
